"""Words that say nothing about what is wrong, for keywords and grouping of survey answers.

Function words, fillers, politeness, verdicts that say how bad but not what (体验很差, 改改)
and the words every answer about public services shares (办事, 办理, 政府, 部门): they would
pull unrelated complaints together. Kept short and our
own; jieba's keyword extractor drops one-character words by itself.
"""

from __future__ import annotations

STOP_WORDS = frozenset(
    """
    的 了 是 在 我 你 他 她 它 我们 你们 他们 大家 自己 人家 这 那 这个 那个 这些 那些 这样 那样
    这种 那种 什么 怎么 怎么办 怎样 为什么 为啥 咋 啥 哪 哪里 哪个 谁 吗 呢 吧 啊 呀 哦 嘛 哈 啦 么
    和 与 跟 及 或 或者 而且 并且 但是 但 可是 不过 因为 所以 如果 虽然 然后 还是 就是 只是 也是
    都 也 还 又 就 才 再 很 太 挺 蛮 真 真的 非常 特别 比较 有点 有些 一些 一点 一下 一个 一次 一样
    有 没 没有 不 不是 不会 不能 能 能不能 可以 可不可以 会 要 想 得 着 过 把 被 给 让 对 从 到 向
    上 下 里 中 时 时候 后 前 之后 以前 现在 每次 有时候 经常 总是 老是 一直 已经 还要 还得
    希望 建议 觉得 感觉 认为 知道 不知道 说 说是 问 问题 意见 情况 方面 方便 不方便 麻烦 太麻烦
    办事 办 办理 办个 去办 业务 事情 事 手续 政府 部门 单位 相关 服务 政务 群众 老百姓 市民
    谢谢 您好 你好 请问 好的 好 行 嗯 额 呃 哎 唉 吧 哈哈 就是说 其实 反正 然后呢
    说实话 老实 老实讲 实话 反映 一下 就一点 改改 改进 改善 体验 很差 太差 差劲 能否
    """.split()
)

# Answers with nothing to act on: grouped apart, never a hot issue.
NO_OPINION = frozenset(
    """
    无 没有 没 暂无 暂时没有 没意见 没有意见 无意见 无建议 没有建议 都挺好 挺好 挺好的 很好
    都很好 都好 还行 还可以 还好 可以 不错 满意 很满意 ok 好 好的 不知道 不清楚 说不好 没想好
    谢谢 辛苦了 无所谓
    """.split()
)
