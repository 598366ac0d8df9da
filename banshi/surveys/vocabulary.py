"""The words citizens use for the usual troubles of public services, by kind of trouble.

Short answers about the same trouble often share no word at all (排了两个小时 / 等号等太久 /
人山人海), and a few hundred answers are too few for co-occurrence alone to learn that they
mean the same. So each answer also gets a concept token for every trouble word it holds,
as the resolver expands a question with the lexicon. The kinds follow the 好差评 indicators
(办事效率, 服务态度, 办事指南精确度, 办事便捷度, 平台操作性; 国办发〔2019〕51号) and the
usual complaints about halls; words are matched as substrings of the simplified text, so a
one-character word is only used where it cannot hide inside another (趟).
"""

from __future__ import annotations

CONCEPTS: dict[str, tuple[str, ...]] = {
    "排队": (
        "排队", "排对", "排长队", "排长龙", "排号", "排不上", "排了", "等号", "叫号", "取号",
        "领号", "等候", "等待", "等了", "等太久", "等很久", "等半天", "傻等", "人太多", "人多",
        "人山人海", "人满为患", "窗口少", "窗口太少", "多开几个窗口", "增加窗口",
    ),
    "跑腿": (
        "跑了", "跑来跑去", "来回跑", "跑腿", "跑路", "冤枉路", "跑断腿", "跑一次", "跑多次",
        "跑好几", "跑三", "跑四", "跑五", "趟", "来回", "往返", "多次", "好几次", "好几回",
        "踢皮球", "推来推去", "互相推", "再来", "白跑", "到处跑",
    ),
    "材料": (
        "材料", "资料", "复印件", "原件", "复印", "补交", "补材料", "重复提交", "交过", "交了",
        "重新提供", "重复", "一式", "打回来", "退回", "不合格", "补正", "数据不共享", "不互通",
    ),
    "网办": (
        "网上", "网办", "线上", "在线", "app", "小程序", "网站", "网厅", "网页", "系统", "平台",
        "登录", "登陆", "注册", "刷脸", "人脸识别", "验证码", "闪退", "上传", "提交失败",
        "提交不了", "掌上", "一网通办", "浏览器", "转圈", "bug", "卡死", "报错", "电子签名",
    ),
    "预约": (
        "预约", "约不上", "约不到", "约号", "约满", "约到", "抢号", "抢不到", "号源", "放号",
        "约好", "改期", "黄牛",
    ),
    "态度": (
        "态度", "态肚", "不耐烦", "爱理不理", "冷冰冰", "太凶", "很凶", "吼", "呵斥", "脸色",
        "白眼", "敷衍", "推诿", "服务意识", "不客气", "不热情", "玩手机", "聊天", "一问三不知",
        "太横", "打发",
    ),
    "指南": (
        "指南", "指引", "须知", "说明", "看不懂", "看不明白", "术语", "流程图", "写得", "写的",
        "样表", "示例", "怎么填", "含糊", "笼统", "更新不及时", "视频讲解", "条款",
    ),
    "停车": ("停车", "车位", "停车场", "罚单", "停不了车", "停不下", "打车"),
    "证明": ("证明", "开证明", "开具", "奇葩证明", "盖章", "盖好几个章"),
    "时间": (
        "周末", "周六", "周日", "节假日", "中午", "午休", "下班", "上班时间", "上班族", "工作时间",
        "办公时间", "延时", "关门", "不开门", "晚上", "请假", "不取号",
    ),
}  # fmt: skip

_MARK = "§"  # concept tokens cannot collide with a word a citizen typed


def concept_tokens(cleaned: str) -> list[str]:
    """A token per kind of trouble ``cleaned`` (simplified, lower-case text) mentions."""
    text = cleaned.replace(" ", "")
    return [_MARK + name for name, words in CONCEPTS.items() if any(w in text for w in words)]
