"""The decision step: what a message is, from what the NLU read *and* what the resolver found.

Neither signal is enough alone (issue 13). The NLU knows *what is asked* — an aspect, a task,
small talk — but throws answers away when it is unsure, and a single word sways it ("执照要改吗"
read as rescheduling an appointment). The resolver knows *which item* the words name but not
whether the message is a question at all. So:

- a message the resolver finds an item in is a question about that item whenever the NLU is
  unsure, reads a task the words do not support, or reads small talk or "out of scope" against
  a strong match: never "not understood" or "out of scope". What is asked is the NLU's most
  likely aspect, an eligibility question's conditions, or unclear (the item's overview card);
- a task is a task only when the words or the context support it: an appointment is changed
  only by someone who speaks of an appointment (or has one, or names no item); "改 / 变更 / 撤销"
  next to an item are that item's own change and cancellation procedures; "投诉过" in a clause
  about what is already done mentions a complaint, it does not make one;
- "out of scope" and "not understood" remain for messages neither signal is sure of.

Plain Python: the adapters map Rasa's intent ranking to :class:`Reading` s (``actions/said.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from banshi.asks import Ask
from banshi.conversation import Gist, Request
from banshi.resolution import Decision, Resolution
from banshi.scope import Referral, booked_elsewhere, dispute_referral, referral_for


class Verdict(str, Enum):
    """What the assistant does with the message."""

    QUESTION = "question"  # a question about an item: ``Understood.ask`` (None: unclear)
    PICK = "pick"  # a choice from a list the assistant offered
    TASK = "task"  # a task asked for: ``Understood.request``
    CHAT = "chat"  # small talk (greeting, thanks, yes / no): its fixed answer
    OUT_OF_SCOPE = "out_of_scope"  # not a public service: say so plainly
    NOT_UNDERSTOOD = "not_understood"  # ask to rephrase, offer a person


@dataclass(frozen=True)
class Reading:
    """One way the NLU read the message, with its confidence (0–1)."""

    gist: Gist
    confidence: float
    ask: Ask | None = None  # when ``gist`` is QUESTION
    request: Request | None = None  # when ``gist`` is TASK


@dataclass(frozen=True)
class Heard:
    """The message and every reading of it, most likely first.

    ``flagged``: the NLU's own fallback fired (too unsure, or two readings too close).
    """

    text: str
    readings: tuple[Reading, ...] = ()
    flagged: bool = False
    item: str | None = None  # an item name the NLU spotted: a hint for resolution

    @property
    def top(self) -> Reading | None:
        return self.readings[0] if self.readings else None


@dataclass(frozen=True)
class Context:
    """What the conversation knows besides the message."""

    has_booking: bool = False  # the citizen holds an appointment


@dataclass(frozen=True)
class Understood:
    """The decision, and the resolution it rests on (so the guide need not search twice)."""

    verdict: Verdict
    ask: Ask | None = None
    request: Request | None = None
    gist: Gist | None = None  # the reading followed for CHAT (YES / NO / CHAT)
    found: Resolution | None = field(default=None, compare=False, repr=False)
    # OUT_OF_SCOPE about a private party (a shop, a courier, the neighbours): the line to call
    referral: Referral | None = None


@dataclass(frozen=True)
class UnderstandingConfig:
    """Thresholds of the decision (see eval/README.md for how they were chosen)."""

    # The NLU is sure of a reading this confident: config.yml's FallbackClassifier threshold.
    sure: float = 0.5
    # A runner-up aspect this likely says what is asked when the item comes from the resolver
    # ("社保卡临时挂失以后卡又找到了，怎么解挂": fallback, ask_overview 0.27 beside).
    aspect_floor: float = 0.1
    # A supported task this likely is taken even below ``sure``.
    task_floor: float = 0.3
    # A resolver score this high names the item even against a confident "out of scope" or
    # small-talk reading (5 × the resolver's MIN_SCORE: "考小学语文教资 普通话要几级" scores 33
    # for 教师资格认定, "附近哪家火锅店好吃" 20 at most, and asks).
    item_sure: float = 20.0


DEFAULT_CONFIG = UnderstandingConfig()
NO_CONTEXT = Context()

# ---------------------------------------------------------------------- the citizen's words

_CLAUSES = re.compile(r"[，,。.！!？?；;、\s]+")
# An act already done or failed (护照的预约我取消了, 之前投诉过, 预约没约到, 投诉完了): it mentions
# a task, it does not ask for one — unless the clause also says what they want (把号退了, 我要
# 取消了). Only next to the act: in 之前约的社保卡那个取消, 之前 is about the booking.
_DONE_BEFORE = re.compile(r"(?:已经?|之前|以前|上次|上回|早就|(?<!有)没有?)[^，,。]{0,3}$")
# ... or a step the rest of the clause follows (取消预约后还能现场办吗): not 后天 / 后面, nor
# 以后 (希望以后能网上办: in the future).
_DONE_AFTER = re.compile(r"^(?:了|过|完|好了|没)|^.{0,3}?(?:之后|(?<![以然])后(?![天面边来]))")
# The act's phone number asked for (投诉电话是多少, 预约电话): a contact question.
_CHANNEL_AFTER = re.compile(r"^.{0,2}?(?:电话|热线|号码)")
_WANT = re.compile(r"要|想|帮我|帮忙|请|麻烦|给我|把|能不能|可以|怎么|咋")
# An act asked *about* — whether it is needed, or done without it (护照需要预约吗, 不预约能办吗):
# a question about the item's rules, not a request.
_ASKED_ABOUT = re.compile(
    r"(?:需要|需不需要|要不要|用不用|必须|一定要|是否要|是否需要|是不是要|得不得|不用|无需"
    r"|不想|不打算|不要)[^，,。]{0,2}$"
)
# An appointment spoken of: 约 but not 租约 / 合约 / 签约 / 大约 / 约定; 号 of a booking, not 几号.
_BOOKING = re.compile(
    r"预约|预定|改约|取号|排号|挂号|退号|号源|(?<![租合签节大制条契公婚])约(?![定束])"
    r"|[这那的把个]号(?!码)"
)
# What each task does, in the words that ask for it; changing or listing an appointment must
# also speak of one (取消 alone next to an item is that item's 撤销 / 注销).
ACTS: dict[Request, re.Pattern[str]] = {
    Request.BOOK: re.compile(
        r"预约|预定|[挂取订排约占](?:个|一个|一)?号|约个|约一个|约一下|约时间|订个时间|约[明后今下这周]"
    ),
    Request.CANCEL_BOOKING: re.compile(
        r"取消|撤销|撤回|撤了|退掉|退号|退了|不去了|去不了|去不成|不要了|作废|删掉|删了|删除|清掉"
    ),
    Request.RESCHEDULE_BOOKING: re.compile(
        r"改约|改期|改时间|改日子|改个|改一下|改一改|改到|改成|改早|改晚|换个时间|换一天|换个日|换到|换成"
        r"|挪到|挪一|推迟|推到|推一下|延后|延到|延一|提前|往后|往前|顺延|调一下|调整|调个|重新约|修改"
    ),
    Request.MY_BOOKINGS: re.compile(
        r"查|看看|看一下|我的|哪天|几点|几号|来着|什么时候|啥时候|记录|都约|约了|约的是|成功了吗"
        r"|几个预约|列表|显示|信息"
    ),
    Request.NOTICE: re.compile(r"告知单|告知书|清单|单子|列个|列一下|列出来|打印|一次性告知"),
    Request.MY_NOTICES: re.compile(r"告知单|告知书|清单|单子|编号|[A-Za-z]{1,6}\d{6,}"),
    Request.SURVEY: re.compile(r"问卷|调查|调研|点菜|投票|需求|填表|意见征集"),
    Request.COMPLAIN: re.compile(r"投诉|举报|告状|反映"),
    Request.SUGGEST: re.compile(r"建议|意见|提议|改进|完善|希望|最好能|提个"),
    Request.CONSULT: re.compile(r"咨询|求助|留言"),
    Request.MY_TICKETS: re.compile(r"工单|留言|投诉|建议|回复|处理结果|进度"),
    Request.HUMAN: re.compile(r"人工|客服|真人|工作人员|转接|接线|找个人|活人|坐席"),
    Request.RATE: re.compile(
        r"评价|好评|差评|好差评|打分|评分|打个.?分|给个.?分|低分|高分|满意|点赞|评一下|星|吐槽"
    ),
}
# What is wrong, rather than an act: never "done" (被刁难了 is a complaint).
GRIEVANCES: dict[Request, re.Pattern[str]] = {
    Request.COMPLAIN: re.compile(
        r"态度|刁难|推诿|推脱|踢皮球|不作为|乱收费|吃拿卡要|索要|好处费|太差|不满|骂人|甩脸|脸色"
    ),
}
# Complaints, suggestions, ratings, surveys about a private party only (商家, 快递, 物业: 给这家
# 饭店打个差评, 点个外卖) are out of scope, with the line to call.
PRIVATE_SCOPED = frozenset({Request.COMPLAIN, Request.SUGGEST, Request.RATE, Request.SURVEY})
BOOKING_REQUESTS = frozenset(
    {Request.CANCEL_BOOKING, Request.RESCHEDULE_BOOKING, Request.MY_BOOKINGS}
)
# Asking for a list of what one has is about the past by nature (之前生成的清单在哪).
LISTINGS = frozenset({Request.MY_BOOKINGS, Request.MY_NOTICES, Request.MY_TICKETS, Request.HUMAN})
# Eligibility: "can I / may I / do I qualify" — answered from the 受理条件.
_ELIGIBILITY = re.compile(
    r"能不能|能否|可不可以|可以吗|可以不|可以办|可以申请|可以领|行不行|有没有资格|有资格|资格吗"
    r"|符合|够条件|够不够|算不算|让不让|允不允许|外地人|外地户口|外省|非本地|不是本地"
    r"|能[^，,。？?]{0,12}(?:吗|不|么|没)"
)
# What is asked, in the words that say it, for when the NLU names no aspect: its readings are
# all tasks, small talk or "out of scope" (家里着火了…政府能临时救助一下吗 read as out of scope).
# In order: the first aspect whose words appear wins; eligibility is the last resort.
_CUES: tuple[tuple[Ask, re.Pattern[str]], ...] = (
    (Ask.FEES, re.compile(r"多少钱|收费|收不收|要钱|交钱|费用|花多少|几块钱|免费")),
    (Ask.TIME_LIMIT, re.compile(r"多久|多长时间|几天|几个工作日|当天|到账|啥时候能|什么时候能")),
    (Ask.ONLINE, re.compile(r"网上|手机上|线上|网站|小程序|app|APP|公众号|网办")),
    (Ask.TRIPS, re.compile(r"跑几|几趟|跑一趟|几次|寄到家|邮寄")),
    (Ask.CONTACT, re.compile(r"电话|号码|找谁|联系方式|热线")),
    (Ask.PLACE_HOURS, re.compile(r"在哪|哪里办|哪儿|地址|几点|周末|周六|周日|礼拜|开门|哪个窗口")),
    (Ask.LEGAL_BASIS, re.compile(r"依据|哪条|法律规定|什么规定|啥规定|条例|法规")),
    (Ask.MATERIALS, re.compile(r"材料|带什么|带啥|带些|要带|准备什么|准备啥|准备些|资料|证明材料")),
    (
        Ask.PROCESS,
        re.compile(
            r"流程|步骤|手续|怎么(?:申请|注销|补|转|领|销|开|迁|解|撤)|咋(?:个)?(?:申请|补|转|领|销|开|迁|解|撤)"
        ),
    ),
    (Ask.CONDITIONS, _ELIGIBILITY),
)


def asked_about(text: str) -> Ask | None:
    """What the words ask about an item, when they say it plainly (None: they do not)."""
    return next((ask for ask, cue in _CUES if cue.search(text)), None)


def also_asked(text: str, ask: Ask | None) -> Ask | None:
    """A second aspect the words plainly ask besides ``ask`` (要带啥，多少钱; 导游证咋申请 read as
    the overview): its answer follows. Not eligibility, whose words (能…吗) are in most
    questions."""
    if ask is None:
        return None
    return next(
        (other for other, cue in _CUES if other not in (ask, Ask.CONDITIONS) and cue.search(text)),
        None,
    )


class Support(str, Enum):
    """How the citizen's words bear on a task the NLU read."""

    SAID = "said"  # a clause asks for it
    MENTIONED = "mentioned"  # only clauses about what is already done speak of it
    SILENT = "silent"  # no word of it: the context decides


def support(request: Request, text: str) -> Support:
    """Whether ``text`` asks for ``request`` in its own words."""
    act = ACTS.get(request)
    if act is None:
        return Support.SILENT
    if request in BOOKING_REQUESTS and not _BOOKING.search(text):
        return Support.SILENT
    grievance = GRIEVANCES.get(request)
    if grievance is not None and grievance.search(text):
        return Support.SAID
    mentioned = False
    for clause in _CLAUSES.split(text):
        for match in act.finditer(clause):
            booking = request is Request.BOOK
            if request not in LISTINGS and _done(clause, match.start(), match.end(), booking):
                mentioned = True
                continue
            return Support.SAID
    return Support.MENTIONED if mentioned else Support.SILENT


def _done(clause: str, start: int, end: int, booking: bool = False) -> bool:
    """The act at ``clause[start:end]`` is only spoken of: asked about (需要预约吗, 投诉电话是
    多少), or already done or failed with nothing wanted (预约我取消了)."""
    if _ASKED_ABOUT.search(clause[:start]) or _CHANNEL_AFTER.match(clause[end:]):
        return True
    if booking and clause[:start].endswith(("不", "没")):  # 不预约能直接去办吗
        return True
    done = _DONE_BEFORE.search(clause[:start]) or _DONE_AFTER.match(clause[end:])
    return bool(done) and not _WANT.search(clause)


def asks_eligibility(text: str) -> bool:
    """ "能领吗 / 外地人能办吗 / 有没有资格": whether the citizen may do it at all."""
    return bool(_ELIGIBILITY.search(text))


# ---------------------------------------------------------------------- the decision


def _found(found: Resolution | None) -> bool:
    return found is not None and found.decision is not Decision.NONE


def _score(found: Resolution | None) -> float:
    return found.best.score if found is not None and found.best is not None else 0.0


def supported(
    request: Request, text: str, found: Resolution | None, context: Context = NO_CONTEXT
) -> bool:
    """A task the NLU read, weighed against the words and the context.

    Said in the words: yes. Only mentioned as done: no. Not a word of it: yes when the
    message names no item (a bare "取消" or "改到周五"), or — for changing or listing
    appointments — when the citizen holds one.
    """
    said = support(request, text)
    if said is Support.SAID:
        return True
    if said is Support.MENTIONED:
        return False
    if request in BOOKING_REQUESTS and context.has_booking:
        return True
    return not _found(found)


def aspect_of(heard: Heard, config: UnderstandingConfig = DEFAULT_CONFIG) -> Ask | None:
    """What is asked about the item: the likeliest aspect reading; when the NLU names none,
    what the words plainly ask (:func:`asked_about`); an eligibility question's conditions
    when the NLU reads an overview; None when unclear (the overview card)."""
    ask = next(
        (
            r.ask
            for r in heard.readings
            if r.gist is Gist.QUESTION and r.confidence >= config.aspect_floor
        ),
        None,
    )
    if ask is None:
        return asked_about(heard.text)
    if ask is Ask.OVERVIEW and _ELIGIBILITY.search(heard.text):
        return Ask.CONDITIONS
    return ask


def decide(
    heard: Heard,
    found: Resolution | None,
    context: Context = NO_CONTEXT,
    config: UnderstandingConfig = DEFAULT_CONFIG,
) -> Understood:
    """What to do with the message (the guide has already taken picks from its own lists)."""
    understood = _decide(heard, found, context, config)
    if understood.verdict is Verdict.OUT_OF_SCOPE:
        return replace(understood, referral=dispute_referral(heard.text))
    return understood


def _decide(
    heard: Heard, found: Resolution | None, context: Context, config: UnderstandingConfig
) -> Understood:
    top = heard.top
    unsure = heard.flagged or top is None or top.confidence < config.sure
    item = _found(found)
    strong = item and _score(found) >= config.item_sure

    def question(ask: Ask | None) -> Understood:
        return Understood(Verdict.QUESTION, ask=ask, gist=Gist.QUESTION, found=found)

    if top is None:
        return question(aspect_of(heard, config)) if item else Understood(Verdict.NOT_UNDERSTOOD)
    if top.gist is Gist.PICK and not unsure:
        return Understood(Verdict.PICK, gist=Gist.PICK, found=found)
    if top.gist is Gist.TASK and top.request is not None:
        # Below ``sure`` a task needs its own words; above it, no word against it will do.
        said = support(top.request, heard.text) is Support.SAID
        if (said and top.confidence >= config.task_floor) or (
            not unsure and supported(top.request, heard.text, found, context)
        ):
            if _elsewhere(top.request, heard.text, found):
                return Understood(Verdict.OUT_OF_SCOPE, found=found)  # 投诉外卖送餐太慢
            return Understood(Verdict.TASK, request=top.request, gist=Gist.TASK, found=found)
        if item:  # 执照要改个地址咋弄: the item's own change procedure
            return question(aspect_of(heard, config))
        return _without_item(_others(heard, top), config, found)
    if item and (top.gist is Gist.QUESTION or unsure or top.gist in (Gist.YES, Gist.NO) or strong):
        # Yes / no outside a task answers nothing: with an item named it is a question
        # ("没扯结婚证生的娃能上户口不" read as deny).
        return question(aspect_of(heard, config))
    if top.gist is Gist.QUESTION and not unsure:
        return question(top.ask)  # a follow-up about the remembered item, or "not found"
    if not unsure and top.gist in (Gist.CHAT, Gist.YES, Gist.NO):
        return Understood(Verdict.CHAT, gist=top.gist, found=found)
    if not unsure and top.gist is Gist.OUT_OF_SCOPE:
        return Understood(Verdict.OUT_OF_SCOPE, found=found)
    return _without_item(heard.readings, config, found)


def _elsewhere(request: Request, text: str, found: Resolution | None) -> bool:
    """A task that is someone else's business (:mod:`banshi.scope`): a complaint about a shop,
    a booking of a specialist or a train ticket (unless the words name an item)."""
    if request in PRIVATE_SCOPED:
        return referral_for(text) is not None
    return request is Request.BOOK and not _found(found) and booked_elsewhere(text)


def _others(heard: Heard, reading: Reading) -> tuple[Reading, ...]:
    return tuple(r for r in heard.readings if r is not reading)


def _without_item(
    readings: Sequence[Reading], config: UnderstandingConfig, found: Resolution | None
) -> Understood:
    """Neither signal is sure. A likelier "out of scope" reading than any question says so;
    a question reading still goes to the guide (a follow-up about the remembered item, or
    its plain "没有找到"); the rest is not understood."""
    likely = [r for r in readings if r.confidence >= config.aspect_floor]
    outside = next((r for r in likely if r.gist is Gist.OUT_OF_SCOPE), None)
    asked = next((r for r in likely if r.gist is Gist.QUESTION), None)
    if outside is not None and (asked is None or outside.confidence >= asked.confidence):
        return Understood(Verdict.OUT_OF_SCOPE, found=found)
    if asked is not None:
        return Understood(Verdict.QUESTION, ask=asked.ask, gist=Gist.QUESTION, found=found)
    return Understood(Verdict.NOT_UNDERSTOOD, found=found)
