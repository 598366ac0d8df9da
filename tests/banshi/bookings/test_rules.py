"""Every 预约规则 phrasing of the demo catalog, and what is read from it.

A new phrasing in the export fails ``test_the_table_covers_every_phrasing_of_the_demo``:
add it here with what it states, and teach :mod:`banshi.bookings.rules` to read it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.settings import PROJECT_ROOT
from banshi.bookings.rules import DayScope, Span, SpanUnit, read_rule
from banshi.text import clean_text


def WD(n: int) -> Span:  # noqa: N802 - reads like the rule: 5个工作日
    return Span(n, SpanUnit.WORKING_DAYS)


def D(n: int) -> Span:  # noqa: N802
    return Span(n, SpanUnit.DAYS)


def WEEK(n: int) -> Span:  # noqa: N802
    return Span(n, SpanUnit.WEEK)


PHRASINGS: list[tuple[str, dict[str, Any]]] = [
    (
        "可通过“示范市政务服务”微信小程序或示范市政务服务网预约未来7个工作日内的办理时段，每个身份证号每天限约1次；请于预约时段开始前10分钟到公安户政窗口取号，迟到超过30分钟预约自动失效，可现场取号排队办理。",
        {
            "horizon": WD(7),
            "arrive_before_minutes": 10,
            "late_minutes": 30,
            "one_per_person_per_day": True,
        },
    ),
    (
        "可通过“示范市政务服务”微信小程序选择桥西区社区事务受理服务中心预约办理时段，周六、周日预约名额有限，请至少提前1天预约；未预约的可现场取号。",
        {"lead": D(1), "weekend_limited": True},
    ),
    (
        "可通过“移民局”APP或“示范市出入境”微信公众号预约未来10个工作日内的办理时段；按预约时段携带本人居民身份证到大厅取号，预约号优先叫号，未预约的可现场取号办理。",
        {"horizon": WD(10)},
    ),
    (
        "可通过交管12123 APP“业务预约”功能预约示范市车辆管理所办理时段，预约成功后凭本人身份证明到所取号；未预约的可现场取号，预约号优先办理。",
        {},
    ),
    (
        "可通过“示范市政务服务”微信小程序“婚姻登记预约”栏目预约未来15天内的办理时段，须填写双方姓名和身份证号；5月20日、七夕等热门日期请提前预约，当日预约名额用完后不再现场加号。",
        {"horizon": D(15), "parties": 2},
    ),
    (
        "可通过“冀时办”APP、示范市政务服务网提前1至7天预约，每日放号60个，按半小时分时段；请于预约时段内凭身份证件到自助机签到取号，迟到超过15分钟的预约自动作废。",
        {"lead": D(1), "horizon": D(7), "daily_quota": 60, "slot_minutes": 30, "late_minutes": 15},
    ),
    (
        "可通过“冀时办”APP、示范市政务服务网或拨打咨询电话预约次日起7天内的办理时段，每日放号50个；预约成功后凭短信提示到服务中心自助机签到取号。",
        {"lead": D(1), "horizon": D(7), "daily_quota": 50},
    ),
    (
        "可通过“冀时办”APP、示范市政务服务网或拨打咨询电话预约次日起7天内的办理时段，每日放号30个；预约成功后凭短信提示到服务中心自助机签到取号。",
        {"lead": D(1), "horizon": D(7), "daily_quota": 30},
    ),
    (
        "可通过“冀时办”APP、示范市政务服务网或拨打咨询电话预约次日起7天内的办理时段，每日放号20个；预约成功后凭短信提示到服务中心自助机签到取号。",
        {"lead": D(1), "horizon": D(7), "daily_quota": 20},
    ),
    (
        "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约40个号；请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "daily_quota": 40,
            "slot_minutes": 30,
            "late_minutes": 15,
        },
    ),
    (
        "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约30个号；请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "daily_quota": 30,
            "slot_minutes": 30,
            "late_minutes": 15,
        },
    ),
    (
        "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约50个号；请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "daily_quota": 50,
            "slot_minutes": 30,
            "late_minutes": 15,
        },
    ),
    (
        "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约20个号；请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "daily_quota": 20,
            "slot_minutes": 30,
            "late_minutes": 15,
        },
    ),
    (
        "可通过“冀时办”APP、示范市政务服务网或拨打咨询电话预约次日起7天内的办理时段，每日放号40个；预约成功后凭短信提示到服务中心自助机签到取号。",
        {"lead": D(1), "horizon": D(7), "daily_quota": 40},
    ),
    (
        "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约60个号；请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "daily_quota": 60,
            "slot_minutes": 30,
            "late_minutes": 15,
        },
    ),
    (
        "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约25个号；请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "daily_quota": 25,
            "slot_minutes": 30,
            "late_minutes": 15,
        },
    ),
    (
        "通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每半小时一个时段，每日可预约80个号；请凭预约码于预约时段内到大厅取号，迟到超过15分钟的预约自动作废。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "daily_quota": 80,
            "slot_minutes": 30,
            "late_minutes": 15,
        },
    ),
    (
        "贷款业务须提前预约，通过“冀时办”APP或示范市政务服务网提前1至5个工作日预约，每日限约30组（借款人及配偶为1组）；请借款人及配偶共同携带材料原件于预约时段内到住房公积金窗口取号。",
        {"lead": WD(1), "horizon": WD(5), "daily_quota": 30},
    ),
    (
        "可通过“冀时办”APP或河北政务服务网“示范市政务服务中心”预约频道提前1-5个工作日预约，按上午、下午两个时段放号；请于预约时段内持本人身份证到一楼取号机取号，超过预约时段30分钟未到视为爽约，30日内爽约3次暂停预约资格。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "slot_minutes": 0,
            "late_minutes": 30,
            "no_show": {"limit": 3, "window_days": 30},
        },
    ),
    (
        "可通过“示范市不动产登记”微信公众号预约未来5个工作日内的办理时段，每日分上午、下午两个时段放号；需多方共同申请的，各方须按预约时段同时到场，预约号优先叫号。",
        {"horizon": WD(5), "slot_minutes": 0},
    ),
    (
        "可通过河北省电子税务局“预约办税”模块或拨打0311-67771236预约未来7个自然日内的办税时段，每个时段限额；预约纳税人到厅后凭预约号优先办理。年度汇算期间（3月1日至6月30日）按日增投预约号源。",
        {"horizon": D(7)},
    ),
    (
        "可通过河北省电子税务局“预约办税”模块或拨打0311-67771248预约未来7个自然日内的办税时段，每个时段限额；预约纳税人到厅后凭预约号优先办理。",
        {"horizon": D(7)},
    ),
    (
        "可通过“冀时办”APP预约，每个工作日分上午、下午两个时段放号；请携带预约短信及本人身份证于预约时段内到住建综合窗口取号，未按时到场的预约自动作废。",
        {"slot_minutes": 0, "day_scope": DayScope.WORKING_DAYS, "late_minutes": 0},
    ),
    (
        "可通过“冀时办”APP或示范市政务服务网提前1-5个工作日预约，按预约时段到卫生健康窗口办理；逾时15分钟未到视为自动取消，当月累计爽约3次的30日内不可预约。",
        {
            "lead": WD(1),
            "horizon": WD(5),
            "late_minutes": 15,
            "no_show": {"limit": 3, "window_days": 30, "ban_days": 30},
        },
    ),
    (
        "请通过“冀时办”APP或拨打咨询电话提前预约，预约时须选择“换发”或“补发”业务类型；当日预约号当日有效。",
        {},
    ),
    (
        "可通过“冀时办”APP提前预约当周任意工作日及周末时段；生育登记可全程网办，建议优先网上办理。",
        {"horizon": WEEK(0)},
    ),
    (
        "请通过“冀时办”APP预约卫生健康窗口号，医疗卫生机构集体办理的可联系窗口预约专场时段。",
        {},
    ),
    (
        "可通过“冀时办”APP或示范市政务服务网预约办理时段，每个预约号限办理一人一项业务。",
        {},
    ),
    (
        "仅限认定批次内办理咨询和纸质体检表交验，可通过“冀时办”APP预约；非认定期间不开放预约。",
        {"bookable": False},
    ),
    (
        "可通过“冀时办”APP或电话预约，行动不便的残疾人可预约工作人员上门受理；每日预约名额用完后当日不再新增。",
        {},
    ),
    (
        "可通过“冀时办”APP或电话预约办理时段，预约时须说明换领或补办原因。",
        {},
    ),
    (
        "可通过“冀时办”APP或电话预约，行动不便的重度残疾人可预约工作人员上门受理。",
        {},
    ),
    (
        "可通过“冀时办”APP预约，领证时请按短信通知的时间段前往；烈属、伤残军人等行动不便的可预约上门服务。",
        {},
    ),
    (
        "可通过“冀时办”APP或拨打12348预约，预约后按约定时间到法律援助窗口；紧急或者距时效届满不足七日的案件可直接到窗口办理，无需预约。",
        {},
    ),
    (
        "考试须提前通过“冀时办”APP预约考试场次，窗口业务可预约1-7个工作日内的时段；预约考试后无故缺考的，30日内不得再次预约。",
        {"lead": WD(1), "horizon": WD(7)},
    ),
    (
        "考试场次须提前通过“冀时办”APP预约；窗口业务每日上午、下午分时段预约，网约车平台公司集中申报的可预约专场。",
        {"slot_minutes": 0},
    ),
    (
        "企业可通过示范市政务服务网预约文化旅游窗口，提前1个工作日预约；现场勘验时间由窗口与申请人另行约定。",
        {"lead": WD(1)},
    ),
    (
        "可通过“冀时办”APP或电话预约，80周岁以上老年人到现场办理的可走“绿色通道”，无需预约优先办理。",
        {},
    ),
]


def _demo_rules() -> set[str]:
    rules = set()
    path = PROJECT_ROOT / "demo" / "catalog" / "items.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the export has a truncated line on purpose
        rule = clean_text(record.get("SCHEDULE_RULE", ""))
        if rule:
            rules.add(rule)
    return rules


def test_the_table_covers_every_phrasing_of_the_demo() -> None:
    assert {text for text, _ in PHRASINGS} == _demo_rules()


@pytest.mark.parametrize(
    ("text", "facts"), PHRASINGS, ids=[f"rule{i}" for i in range(len(PHRASINGS))]
)
def test_each_phrasing_reads_what_it_states(text: str, facts: dict[str, Any]) -> None:
    read = read_rule(text)
    assert read.values == facts
    for name in facts:  # each fact keeps the words it came from
        assert read.phrases[name] in text


def test_a_rule_with_nothing_structured_states_nothing() -> None:
    assert read_rule("").values == {}
    assert read_rule("请通过“冀时办”APP预约卫生健康窗口号。").values == {}
