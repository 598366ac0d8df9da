"""Item resolution: siblings told apart by what sets their names apart, asked about otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from app.settings import Settings
from banshi.db import session_scope
from banshi.lexicon import load_lexicon
from banshi.resolution import (
    Candidate,
    Decision,
    ItemIndex,
    PlaceHint,
    Resolution,
    Resolver,
    ResolverConfig,
    place_from_text,
    place_question,
)
from banshi.resolution.applicants import applicants_in, says_who, without_applicant
from banshi.resolution.search import _corrective_first, _unlike
from banshi.resolution.siblings import _common, _tell_siblings, said
from banshi.text import mainland_wording
from tests.banshi.districts import HK_PASSPORT_NAME

BIRTH_FIRST = "11139900MB1A00080B3002023004001"  # 出生医学证明首次签发 (five aliases)
BIRTH_AGAIN = "11139900MB1A00080B3002023004002"  # 出生医学证明补发换发 (none)
CARD = "11139900MB1A00030E3002016001"  # 社会保障卡 申领 001 / 补领换领 002 / 挂失 003
CARD_AGAIN, CARD_LOST = CARD + "002", CARD + "003"
RETIREMENT = "11139900MB1A00030E3000516004000"  # 职工基本养老保险待遇申领（退休）
PASSPORT = "11139900MB1A00010P3000111001000"  # 普通护照签发
SOLE_SETUP, SOLE_CLOSE = "11139900MB1A00060M3000124001001", "11139900MB1A00060M3000124001003"
TAXI = "11139900MB1A00140R3000119015000"  # 出租汽车驾驶员从业资格证核发
BIRTH_REGISTRATION = "11139900MB1A00010P3000711001001"  # 出生登记


@pytest.fixture
def resolve(catalog: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    resolver = Resolver(load_lexicon(settings.lexicon_path))

    def run(text: str) -> Resolution:
        with session_scope(catalog) as session:
            return resolver.resolve(session, text)

    return run


def test_the_word_that_sets_a_sibling_apart_wins_over_richer_aliases(resolve) -> None:  # type: ignore[no-untyped-def]
    # 首次签发 has five aliases and 补发换发 none: BM25 alone ranks 首次签发 first.
    result = resolve("出生医学证明坏了想换一张")
    assert result.best and result.best.task_code == BIRTH_AGAIN
    assert result.decision is Decision.ONE

    closing = resolve("个体户不想干了，要去注销")
    assert closing.best and closing.best.task_code == SOLE_CLOSE
    assert closing.decision is Decision.ONE


def test_siblings_the_question_cannot_tell_apart_are_asked_about(resolve) -> None:  # type: ignore[no-untyped-def]
    result = resolve("出生医学证明怎么办理")
    assert result.decision is Decision.ASK
    assert {c.task_code for c in result.options} >= {BIRTH_FIRST, BIRTH_AGAIN}

    # 首次申领 is qualified as the first time: beside 换领 and 补领 it is not "the" procedure
    # (most adults asking about an ID card already had one)
    card = resolve("我想办身份证")
    assert card.decision is Decision.ASK
    assert {"居民身份证首次申领", "居民身份证换领", "居民身份证补领"} <= {
        c.name for c in card.options
    }


def test_with_nothing_said_of_a_loss_or_a_change_the_procedure_itself_answers(resolve) -> None:  # type: ignore[no-untyped-def]
    # 社会保障卡申领 beside 挂失 and 补领换领; 个体工商户设立登记 beside 变更 and 注销
    card = resolve("我要办社保卡")
    assert card.decision is Decision.ONE and card.best and card.best.task_code == CARD + "001"
    sole = resolve("办个体户营业执照要钱不")
    assert sole.decision is Decision.ONE and sole.best and sole.best.task_code == SOLE_SETUP
    # said, the corrective sibling answers
    closing = resolve("个体户营业执照怎么注销")
    assert closing.best and closing.best.task_code == SOLE_CLOSE


def test_siblings_are_whole_words_shared_not_any_substring() -> None:
    assert _common(("居民", "身份证", "首次", "申领"), ("居民", "身份证", "补领")) == "居民身份证"
    # 残疾人证换领补办 and 居民身份证换领 share 证换领 as characters but only 换领 as a word
    assert _common(("残疾人", "证", "换领", "补办"), ("居民", "身份证", "换领")) == "换领"


def test_taiwan_wording_is_understood(resolve) -> None:  # type: ignore[no-untyped-def]
    assert mainland_wording("開計程車") == "开出租车"
    assert mainland_wording("我要办身份证") == ""  # nothing to add
    result = resolve("開計程車要考什麼證")
    assert result.best and result.best.task_code == TAXI
    # The hint adds, it never replaces: 人事檔案 keeps 档案 (OpenCC would say 文件).
    assert "档案" in resolve("人事檔案怎麼轉").query


def test_what_the_citizen_already_did_is_not_what_they_ask_for(resolve) -> None:  # type: ignore[no-untyped-def]
    assert resolve("社保卡要挂失").best.task_code == CARD_LOST  # type: ignore[union-attr]
    # 挂失 is in a clause about something done: the 补 of the question decides.
    result = resolve("社保卡之前已经挂失了，现在想补一张")
    assert result.best and result.best.task_code == CARD_AGAIN


def test_actions_the_lexicon_reads_in_count_less_than_words_said(resolve) -> None:  # type: ignore[no-untyped-def]
    # 被偷 reads as both 补领 and 挂失; the 补 the citizen typed puts 补领换领 first.
    assert resolve("社保卡被人偷了，补办一张").best.task_code == CARD_AGAIN  # type: ignore[union-attr]


def test_homophone_typos_of_item_words_are_heard(
    resolve, catalog: Engine, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    resolver = Resolver(load_lexicon(settings.lexicon_path))
    with session_scope(catalog) as session:
        index = resolver.index(session)
    assert "提取" in index.misheard("公积金题取要带啥")
    assert "结婚登记" in index.misheard("结昏登记要带什么")
    assert "失业" in index.misheard("湿业了")  # 湿业 is no word: heard as 失业
    assert index.misheard("想干一番事业") == []  # 事业 is a word: never 失业
    assert "律师" not in index.misheard("牛顿第一定律是什么")  # 律是 is no run of whole words
    # Heard, 户找 finds 护照; by its characters alone nothing fits.
    result = resolve("户找怎么办")
    assert result.decision is Decision.ONE
    assert result.best and result.best.task_code == PASSPORT


def test_a_promoted_sibling_does_not_pass_an_item_that_fits_better(resolve) -> None:  # type: ignore[no-untyped-def]
    # 单位职工 fits 住房公积金个人账户设立登记 best; 退休 promotes its sibling 离退休提取住房公积金
    # (8 points) — but 职工基本养老保险待遇申领（退休）(14 points) fits the words better.
    result = resolve("我是单位职工，退休咋办")
    assert result.best and result.best.task_code == RETIREMENT
    assert result.decision is Decision.ASK
    assert "离退休提取住房公积金" in {c.name for c in result.options}


def test_a_word_only_an_items_conditions_mention_is_not_enough(resolve) -> None:  # type: ignore[no-untyped-def]
    # 家里 / 上班 appear in some item's conditions or FAQs, never in what an item is called.
    for text in ("家里来客人了怎么招待", "上班路上堵车怎么办"):
        assert resolve(text).decision is Decision.NONE, text
    # 不会 of an alias (个人所得税APP不会操作) is a function word, not the item
    assert resolve("你会不会下棋").decision is Decision.NONE


def test_siblings_asked_about_are_listed_by_what_the_citizen_said() -> None:
    lost = Candidate("LOST", "居民身份证挂失申报", "1", 10.0)
    again = Candidate("AGAIN", "居民身份证补领", "1", 9.0)
    names = [("居民", "身份证", "挂失", "申报"), ("居民", "身份证", "补领")]
    # 补 typed (1.0); 挂, 失 and 报 in a clause about what is already done (0.25 each)
    said = {"补": 1.0, "挂": 0.25, "失": 0.25, "报": 0.25}
    told = _tell_siblings([lost, again], names, [10.0, 9.0], (said, []))
    assert told is not None
    order, siblings, leaders = told
    assert siblings == leaders == {"LOST", "AGAIN"}  # 1.0 against 0.75: too close to choose
    assert order == [1, 0]  # ... but the one with more said for it comes first


def test_asking_which_items_to_do_is_answered_with_a_choice(resolve) -> None:  # type: ignore[no-untyped-def]
    which = resolve("残疾人能申请什么补贴")
    assert which.decision is Decision.ASK and len(which.options) >= 2
    # what to bring for one item is not a question about which items
    bring = resolve("办护照要带什么证件")
    assert bring.decision is Decision.ONE
    assert bring.best and bring.best.task_code == PASSPORT


def test_a_replacement_nobody_asked_for_ranks_below_a_first_issue(resolve) -> None:  # type: ignore[no-untyped-def]
    # 补发换发 presupposes a lost or damaged certificate, and nothing here says so; by its
    # aliases alone it would come first.
    first = resolve("出生医学证明在哪领")
    assert first.decision is Decision.ASK
    assert [c.task_code for c in first.options] == [BIRTH_FIRST, BIRTH_AGAIN]
    # said, it is not discounted
    again = resolve("出生医学证明坏了在哪补")
    assert again.best and again.best.task_code == BIRTH_AGAIN
    # discounted siblings are still siblings: the three cards are ranked together, 申领 first
    card = resolve("社保卡怎么办")
    assert [c.task_code for c in card.candidates[:3]][0] == CARD + "001"
    assert {c.task_code for c in card.candidates[:3]} == {CARD + "001", CARD_AGAIN, CARD_LOST}


def test_actions_read_into_the_words_do_not_find_an_item(resolve) -> None:  # type: ignore[no-untyped-def]
    # 刚出生 / 刚出世 read as 首次申领 and 申领; that alone must not make 社会保障卡申领 or
    # 居民身份证首次申领 the answer to a question about registering a birth.
    for text in ("刚出世的孩子上户口", "孩子刚出生户口怎么上"):
        result = resolve(text)
        assert result.best and result.best.task_code == BIRTH_REGISTRATION, text


def test_siblings_are_judged_on_their_match_before_the_corrective_discount() -> None:
    again = Candidate("AGAIN", "居民身份证补领", "1", 20.0)
    lost = Candidate("LOST", "居民身份证挂失申报", "1", 9.0)  # 0.8 × 11.25: 挂失 not said
    names = [("居民", "身份证", "补领"), ("居民", "身份证", "挂失", "申报")]
    told = _tell_siblings([again, lost], names, [20.0, 14.0], ({}, []))
    assert told is not None
    assert told[1] == told[2] == {"AGAIN", "LOST"}  # nothing said tells them apart: ask
    # on discounted scores alone 挂失申报 would be no sibling and 补领 the answer
    assert _tell_siblings([again, lost], names, [20.0, 9.0], ({}, [])) is None


def test_the_longest_colloquial_word_found_decides_its_action(settings: Settings) -> None:
    index = ItemIndex([], load_lexicon(settings.lexicon_path))
    # 重新办一个 is a replacement; the 新办 inside it (a first issue) is not also read
    assert index.expand("身份证重新办一个")[1] == ["补领"]
    # 驾照丢了 names its own action (补证); the 丢了 inside it does not add 补领
    assert index.expand("驾照丢了")[1] == ["补证"]


# ---------------------------------------------------------------- at a province's size


def test_one_item_in_several_districts_asks_at_most_for_the_district(resolve, districts) -> None:  # type: ignore[no-untyped-def]
    result = resolve("护照办理收费吗")
    assert result.decision is Decision.ONE  # not a list of three near-identical names
    assert result.best and result.best.task_code == PASSPORT  # the city's stands for it
    assert result.needs_place and not result.place_known
    assert [p.label for p in result.places] == ["市本级", "桥西区", "桥东区"]
    question = place_question(result.best.name, result.places)
    assert "您在哪个区办理" in question and "2. 桥西区" in question
    # the answer to that question: a number or a name
    assert place_from_text(result.places, "2") == result.places[1]
    assert place_from_text(result.places, "桥东") == result.places[2]
    assert place_from_text(result.places, "都行") is None
    # said in the question, it is not asked
    named = resolve("桥西区办护照收费吗")
    assert named.best and named.best.task_code == districts["桥西区"]
    assert named.place_known and not named.needs_place


def test_the_place_comes_from_an_earlier_choice_or_the_hall_scanned(
    catalog: Engine, settings: Settings, districts
) -> None:  # type: ignore[no-untyped-def]
    resolver = Resolver(load_lexicon(settings.lexicon_path))
    with session_scope(catalog) as session:
        chosen = resolver.resolve(session, "护照办理收费吗", place=PlaceHint(region="桥东区"))
        scanned = resolver.resolve(
            session, "护照办理收费吗", place=PlaceHint(hall_code="H139900004")
        )
        near = resolver.resolve(
            session, "护照办理收费吗", place=PlaceHint(location=(38.04, 114.47))
        )
        places = resolver.places_of(session, districts["桥东区"])
    assert chosen.best and chosen.best.task_code == districts["桥东区"] and chosen.place_known
    assert scanned.best and scanned.best.task_code == districts["桥西区"]  # its hall's QR code
    assert near.best and near.best.task_code == districts["桥西区"]  # nearest hall of the three
    assert {p.task_code for p in places} == {PASSPORT, *districts.values()}


def test_a_sub_item_answers_only_when_its_note_is_spoken(resolve, districts) -> None:  # type: ignore[no-untyped-def]
    plain = resolve("护照办理收费吗")
    assert HK_PASSPORT_NAME not in {c.name for c in plain.candidates}
    spoken = resolve("港澳台居民办护照收费吗")
    assert spoken.best and spoken.best.name == HK_PASSPORT_NAME


def test_a_big_catalog_is_rebuilt_off_the_turn_and_incrementally(
    catalog: Engine, settings: Settings
) -> None:
    from catalog_sync.service import run_sync
    from tests.conftest import DELTA

    resolver = Resolver(load_lexicon(settings.lexicon_path), ResolverConfig(background_above=0))
    question = "电动自行车注册登记要带什么"  # an item only the delta adds
    with session_scope(catalog) as session:
        before = resolver.resolve(session, question)
    assert before.best is None or "电动自行车" not in before.best.name
    run_sync(str(DELTA), catalog, settings)
    with session_scope(catalog) as session:
        served = resolver.resolve(session, question)  # answered by the previous generation
    assert served.top(3) == before.top(3)
    builder = resolver._state.builder
    assert builder is not None
    builder.join(60)
    with session_scope(catalog) as session:
        after = resolver.resolve(session, question)
    assert after.best and after.best.name == "电动自行车注册登记"
    full, delta = resolver.builds[-2:]
    assert not full.incremental and delta.incremental
    assert 0 < delta.reread < full.reread / 5  # only what the delta changed is read again


def test_a_word_staff_add_is_understood_without_a_restart(
    catalog: Engine, settings: Settings
) -> None:
    from banshi.lexicon_overlay import add_word_for_item

    resolver = Resolver(load_lexicon(settings.lexicon_path))
    with session_scope(catalog) as session:
        assert resolver.resolve(session, "灰灰卡怎么办").decision is Decision.NONE
    with session_scope(catalog) as session:
        add_word_for_item(session, "灰灰卡", CARD + "001", actor="staff-1")
    with session_scope(catalog) as session:
        result = resolver.resolve(session, "灰灰卡怎么办")
    assert result.best and result.best.task_code == CARD + "001"
    assert resolver.builds[-1].generation.overlay == 1


def test_a_word_only_an_items_conditions_mention_does_not_make_it_the_answer(resolve) -> None:  # type: ignore[no-untyped-def]
    # 宅基地 is in 人民调解's 受理条件 (房屋宅基地纠纷), in nothing any item is called
    assert resolve("宅基地盖房子的审批怎么办").decision is Decision.NONE
    # a word of an item's name still finds it
    found = resolve("人民调解怎么申请")
    assert found.decision is Decision.ONE and found.best and found.best.name == "人民调解申请"


def test_a_loss_said_however_weakly_is_not_the_procedure_itself(resolve) -> None:  # type: ignore[no-untyped-def]
    # 丢了 reads as 补领: too little to choose 补领换领 over 挂失, enough to rule out 申领
    lost = resolve("社保卡丢了 要带啥去办")
    assert lost.best is None or lost.best.task_code != CARD + "001"
    assert lost.decision is Decision.ASK
    assert {CARD_AGAIN, CARD_LOST} <= {c.task_code for c in lost.options}


def test_the_general_sibling_answers_when_no_special_case_is_said() -> None:
    general = Candidate("ALL", "城乡居民基本医疗保险参保登记", "1", 20.0)
    newborn = Candidate("NEWBORN", "新生儿城乡居民基本医疗保险参保登记", "1", 19.0)
    names = [
        ("城乡", "居民", "基本", "医疗保险", "参保", "登记"),
        ("新生儿", "城乡", "居民", "基本", "医疗保险", "参保", "登记"),
    ]
    told = _tell_siblings([general, newborn], names, [20.0, 19.0], ({}, []))
    assert told is not None and told[2] == {"ALL"}  # nothing said of a newborn
    # a topic (医保的事情) is asked about: neither answers for the other
    topic = _tell_siblings([general, newborn], names, [20.0, 19.0], ({}, []), default=False)
    assert topic is not None and topic[2] == {"ALL", "NEWBORN"}
    # said, the special case answers
    baby = _tell_siblings([general, newborn], names, [20.0, 19.0], ({"新": 1.0, "儿": 1.0}, []))
    assert baby is not None and baby[2] == {"NEWBORN"}


def test_the_corrective_action_typed_rules_out_rivals_not_named_for_it(resolve) -> None:  # type: ignore[no-untyped-def]
    # 离婚 fits 内地居民离婚登记 as well, but the citizen typed 补领: the replacement it is
    result = resolve("补领离婚证要钱不")
    assert result.decision is Decision.ONE
    assert result.best and result.best.name == "补领婚姻登记证"


AGAIN_NAMES = [("居民", "身份证", "补领"), ("居民", "身份证", "挂失", "申报")]


def _siblings(matches: list[float], chars: dict[str, float], actions: list[str]) -> set[str]:
    again = Candidate("AGAIN", "居民身份证补领", "1", matches[0])
    lost = Candidate("LOST", "居民身份证挂失申报", "1", matches[1])
    told = _tell_siblings([again, lost], AGAIN_NAMES, matches, (chars, actions))
    assert told is not None
    return told[2]


def test_a_sibling_the_whole_question_fits_far_better_answers_when_the_words_barely_differ() -> (
    None
):
    # nothing said of what sets them apart: far better (under 0.65 of it) answers, close asks
    assert _siblings([20.0, 12.0], {}, []) == {"AGAIN"}
    assert _siblings([20.0, 14.0], {}, []) == {"AGAIN", "LOST"}
    # a sibling that fits better than the one the words lean to makes the assistant ask
    assert _siblings([10.0, 20.0], {"补": 0.75}, []) == {"AGAIN", "LOST"}
    assert _siblings([20.0, 10.0], {"补": 0.75}, []) == {"AGAIN"}


def test_what_the_lexicon_alone_reads_as_several_siblings_is_asked_about() -> None:
    # 丢了 reads as 补领 and as 挂失: however differently the guides fit, the citizen decides
    assert _siblings([20.0, 11.0], {}, ["补领", "挂失"]) == {"AGAIN", "LOST"}
    # ... unless they said one of them in their own words (弄丢了，想补一张)
    assert _siblings([20.0, 11.0], {"补": 1.0}, ["补领", "挂失"]) == {"AGAIN"}
    assert _siblings([11.0, 20.0], {"补": 1.0}, ["补领", "挂失"]) == {"AGAIN"}


def test_a_first_time_sibling_answers_by_fit_only_by_a_wide_margin() -> None:
    first = Candidate("FIRST", "出生医学证明首次签发", "1", 20.0)
    again = Candidate("AGAIN", "出生医学证明补发换发", "1", 12.0)
    names = [("出生", "医学", "证明", "首次", "签发"), ("出生", "医学", "证明", "补发", "换发")]
    # 0.625 of its match: enough for any other sibling, not for the first time
    told = _tell_siblings([first, again], names, [20.0, 12.5], ({}, []))
    assert told is not None and told[2] == {"FIRST", "AGAIN"}
    told = _tell_siblings([again, first], names[::-1], [20.0, 12.5], ({}, []))
    assert told is not None and told[2] == {"AGAIN"}
    # under 0.6 of it (a newborn has no certificate yet): the first time answers
    told = _tell_siblings([first, again], names, [20.0, 11.0], ({}, []))
    assert told is not None and told[2] == {"FIRST"}


def test_siblings_told_apart_by_who_applies_are_not_decided_by_fit() -> None:
    sole = Candidate("SOLE", "个体工商户注销登记", "1", 40.0)
    company = Candidate("COMPANY", "公司注销登记", "1", 22.0)
    names = [("个体", "工商户", "注销", "登记"), ("公司", "注销", "登记")]
    told = _tell_siblings([sole, company], names, [40.0, 22.0], ({}, []))
    assert told is not None and told[2] == {"SOLE", "COMPANY"}
    # said which they are: that one
    told = _tell_siblings([sole, company], names, [40.0, 22.0], ({"公": 1.0, "司": 1.0}, []))
    assert told is not None and told[2] == {"COMPANY"}


def test_action_words_typed_do_not_find_an_item_whose_alias_merely_holds_them(resolve) -> None:  # type: ignore[no-untyped-def]
    # 居民身份证首次申领's alias 第一次办身份证 holds 第一次办; the question is about 居住证
    result = resolve("居住证第一次办要钱吗")
    assert result.decision is Decision.ONE
    assert result.best and result.best.name == "居住证申领"
    # with nothing else said, they still find what they can
    assert resolve("第一次办要带什么").decision is not Decision.NONE


def test_a_rival_named_for_a_corrective_action_nobody_asked_for_is_not_asked_about() -> None:
    marry = Candidate("MARRY", "内地居民结婚登记", "1", 17.6)
    again = Candidate("AGAIN", "补领婚姻登记证", "1", 13.6)
    corrective = {"补领", "换领", "变更", "注销"}
    assert _unlike([again], [marry, again], set(), corrective) == []
    assert _unlike([again], [marry, again], {"补领"}, corrective) == [again]


def test_a_best_named_for_a_corrective_action_nobody_asked_for_is_asked_about(resolve) -> None:  # type: ignore[no-untyped-def]
    # 婚姻登记 is in 补领婚姻登记证's name; nothing was said of a loss
    result = resolve("婚姻登记要准备什么")
    assert result.decision is Decision.ASK
    assert {"补领婚姻登记证", "内地居民结婚登记"} <= {c.name for c in result.options}
    lost = resolve("结婚证丢了要准备什么")
    assert lost.decision is Decision.ONE
    assert lost.best and lost.best.name == "补领婚姻登记证"


def test_what_comes_before_zhihou_is_done() -> None:
    chars, _ = said("卡挂失以后再补一张", [], frozenset())
    assert chars["挂"] == chars["失"] == 0.25
    assert chars["补"] == 1.0


def test_resolved_after_a_done_step(resolve) -> None:  # type: ignore[no-untyped-def]
    result = resolve("社保卡先挂失之后再补一张要带啥")
    assert result.decision is Decision.ONE
    assert result.best and result.best.task_code == CARD_AGAIN


def test_a_rival_named_for_the_corrective_action_asked_for_goes_first() -> None:
    setup = Candidate("SETUP", "有限责任公司设立登记", "1", 27.0)
    change = Candidate("CHANGE", "公司变更登记", "1", 25.0)
    matched = [{1: 5.0, 2: 5.0}, {1: 5.0, 2: 5.0}]
    assert _corrective_first([setup, change], matched, {"变更"}) == 1
    assert _corrective_first([setup, change], matched, set()) == 0
    assert _corrective_first([change, setup], matched[::-1], {"变更"}) == 0


def test_a_corrective_action_no_item_offers_is_no_match(resolve) -> None:  # type: ignore[no-untyped-def]
    # the demo catalog holds 食品经营许可（新办） and nothing for 延续
    assert resolve("延续食品经营许可要什么材料").decision is Decision.NONE
    assert resolve("食品经营许可要什么材料").decision is Decision.ONE
    # an item named for it far behind the best does not offer it (教师资格认定 has no 补发)
    assert resolve("教师证丢了能补发吗").decision is Decision.NONE
    assert resolve("技能等级证书丢了能补发吗").decision is Decision.ONE


def test_the_item_span_does_not_overturn_an_action_no_item_offers(
    catalog: Engine, settings: Settings
) -> None:
    resolver = Resolver(load_lexicon(settings.lexicon_path))
    with session_scope(catalog) as session:
        result = resolver.resolve(session, "食品经营许可证要延续咋办", entity="食品经营许可证")
        assert result.decision is Decision.NONE and result.not_offered
        plain = resolver.resolve(session, "这个咋弄", entity="食品经营许可证")
        assert plain.best and plain.best.name == "食品经营许可（新办）"


def test_an_action_word_beside_a_thing_no_item_is_called_by_finds_nothing(resolve) -> None:  # type: ignore[no-untyped-def]
    # 丢了 / 坏了 are in the aliases of 遗失补领 and 换领 items: alone they still ask which
    for text in ("手机丢了怎么找回来", "买的手机才用三天就坏了，商家不给换怎么办"):
        assert resolve(text).decision is Decision.NONE, text
    # a time, a place or a person is no thing of its own
    for text in ("丢了咋办", "昨天丢了咋办"):
        assert resolve(text).decision is Decision.ASK, text
    assert resolve("在北京第一次办要带啥").decision is not Decision.NONE
    assert resolve("身份证丢了咋办").decision is not Decision.NONE


def test_which_items_without_a_noun_or_in_dialect_are_offered(resolve) -> None:  # type: ignore[no-untyped-def]
    for text in ("刚退休，该去办些啥", "刚退休要办些啥子手续"):
        result = resolve(text)
        assert result.decision is Decision.ASK, text
        assert RETIREMENT in {c.task_code for c in result.options}, text


def test_items_named_alike_for_another_applicant_are_asked_about_unless_said(resolve) -> None:  # type: ignore[no-untyped-def]
    # 个体工商户注销登记's guide fits 执照 far better, yet a company closes down too
    result = resolve("执照注销需要什么")
    assert result.decision is Decision.ASK
    assert {"个体工商户注销登记", "公司注销登记"} <= {c.name for c in result.options}
    for text, name in (
        ("个体户执照注销需要什么", "个体工商户注销登记"),
        ("公司执照注销需要什么", "公司注销登记"),
    ):
        said = resolve(text)
        assert said.decision is Decision.ONE, text
        assert said.best and said.best.name == name, text


def test_a_change_described_without_its_word_is_not_asked_against_the_procedure(resolve) -> None:  # type: ignore[no-untyped-def]
    # 转股权 is a 变更 in other words: only replacements are said by name when wanted
    result = resolve("股东转股权去哪登记")
    assert result.decision is Decision.ONE
    assert result.best and result.best.name == "公司变更登记"


def test_booking_words_do_not_find_an_item(resolve) -> None:  # type: ignore[no-untyped-def]
    # 预约 is in 出租汽车驾驶员's 网络预约出租汽车 and nowhere else: how any item is booked
    result = resolve("我想预约办居住证需要带什么")
    assert result.best and result.best.name == "居住证申领"
    taxi = resolve("网络预约出租汽车驾驶员证在哪办")
    assert taxi.best and taxi.best.name == "出租汽车驾驶员从业资格证核发"


def test_applicants_are_read_from_names_longest_first() -> None:
    assert applicants_in(["有限责任公司设立登记"]) == {"有限责任公司"}
    assert applicants_in(["个体工商户注销登记", "公司注销登记"]) == {"个体工商户", "公司"}
    assert (
        without_applicant("个体工商户注销登记") == without_applicant("公司注销登记") == "注销登记"
    )
    assert says_who("个体户执照注销") and not says_who("执照注销需要什么")
