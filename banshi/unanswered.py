"""Questions the assistant could not resolve, recorded and grouped for the staff.

The assistant records a question when no item fits, when it did not understand, or when the
question is out of its scope. Only the masked text is kept (:func:`banshi.privacy.masking.
mask_text`), with no sender: grouping needs the words, not the person, so personal data is
never collected here.

Grouping is by what a question is about: its words minus the frames every question has
(怎么办、在哪里、需要什么), compared as character bigrams, so "老年证怎么办" and
"我想办个老年证需要什么材料" fall together. Staff read the groups in the console and add a colloquial word for an item
(:mod:`banshi.lexicon_overlay`), or mark a group handled.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import lru_cache

import jieba
from sqlalchemy import Column, DateTime, Integer, String, Text, func, select, update
from sqlalchemy.orm import Session

from banshi.asks import Ask
from banshi.models import Base
from banshi.privacy.masking import mask_text
from banshi.text import normalize_message

MAX_CHARS = 500  # a question longer than this is cut: grouping needs the start
SIMILAR = 0.3  # Jaccard overlap of content bigrams for a question to join a group
SCAN_LIMIT = 5000  # newest questions grouped at most; older ones wait for a narrower range


class UnansweredReason(str, Enum):
    """Why the assistant could not answer."""

    NO_ITEM = "no_item"  # the question is about an item, but none in the catalog fits
    NOT_UNDERSTOOD = "not_understood"  # the fallback: the NLU was not sure what was asked
    OUT_OF_SCOPE = "out_of_scope"  # not a government service question

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    UnansweredReason.NO_ITEM: "没有找到事项",
    UnansweredReason.NOT_UNDERSTOOD: "没有听懂",
    UnansweredReason.OUT_OF_SCOPE: "超出服务范围",
}


class UnansweredQuestion(Base):
    """One question the assistant could not resolve, masked, without its sender."""

    __tablename__ = "unanswered_question"

    id = Column(Integer, primary_key=True)
    text = Column(Text, nullable=False)  # masked
    reason = Column(String(20), nullable=False)  # UnansweredReason
    ask = Column(String(20))  # banshi.asks.Ask: the aspect asked about, when the NLU knew
    asked_at = Column(DateTime, nullable=False, index=True)
    handled_at = Column(DateTime)
    handled_by = Column(String(40))


def record_unanswered(
    session: Session,
    text: str,
    reason: UnansweredReason,
    *,
    ask: Ask | None = None,
    now: datetime | None = None,
) -> UnansweredQuestion | None:
    """Keep a question the assistant could not resolve (masked); blank text is not kept."""
    clean = " ".join(text.split())
    if not clean:
        return None
    row = UnansweredQuestion(
        text=mask_text(clean)[:MAX_CHARS],
        reason=reason.value,
        ask=ask.value if ask is not None else None,
        asked_at=(now or datetime.now()).replace(microsecond=0),
    )
    session.add(row)
    session.flush()
    return row


# Frames and function words every question shares: they say how it is asked, not what about.
FRAME_WORDS = frozenset(
    """
    我 我们 你 你们 您 他 她 它 咱 自己 的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 嘛 么 哈 啦 呗
    怎么 怎么办 咋 咋办 怎样 怎么样 如何 什么 啥 哪 哪里 哪儿 在哪 在哪里 去哪 去哪里 哪个 哪些
    几 几号 多少 多久 多长时间 为什么 为啥 谁 是 是不是 有 有没有 没有 没 不 要 想 想要 需要 需 可以
    可不可以 能 能不能 能否 会 该 应该 办 办理 申请 弄 搞 做 去 到 在 给 帮 帮忙 请 请问 问
    问问 问一下 一下 查 查询 了解 和 跟 与 及 或 还 也 就 都 又 再 这 那 这个 那个 这些 那些
    个 些 一个 上 下 里 中 知道 告诉 咨询 一 现在 今天 明天 时候 手续 流程 材料 谢谢 你好
    """.split()
)
_CONTENT = re.compile(r"[\u4e00-\u9fffA-Za-z]")


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    return jieba.Tokenizer()  # private: jieba.dt is process-global and Rasa adds to it


def content_runs(text: str) -> list[str]:
    """What a question is about: the runs of words between frames, punctuation, digits and
    masks ("我想办个老年证需要什么材料" → ["老年证"])."""
    runs: list[str] = []
    run = ""
    for word in [*_tokenizer().lcut(normalize_message(text).lower(), HMM=False), " "]:
        if _CONTENT.search(word) and word not in FRAME_WORDS:
            run += word
            continue
        if run:
            runs.append(run)
        run = ""
    return runs


def features(runs: Iterable[str]) -> frozenset[str]:
    """Character bigrams of the runs (a one-character run stands for itself): robust to how
    jieba happens to cut a word it does not know (公租房 → 公 / 租房)."""
    out: set[str] = set()
    for run in runs:
        if len(run) == 1:
            out.add(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(out)


@dataclass
class QuestionGroup:
    """Questions about the same thing, the newest first."""

    words: Counter[str] = field(
        default_factory=Counter
    )  # content runs: how many questions say each
    questions: list[UnansweredQuestion] = field(default_factory=list)
    seed: frozenset[str] = frozenset()

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def ids(self) -> list[int]:
        return [q.id for q in self.questions]

    @property
    def key_words(self) -> list[str]:
        """The group's words, the most shared first (longer words first among equals)."""
        return [w for w, _ in sorted(self.words.items(), key=lambda kv: (-kv[1], -len(kv[0])))]

    @property
    def label(self) -> str:
        """Up to three words that at least half of the group's questions say (a word inside
        one already shown is not repeated: 公租房排队进度, not also 公租房排)."""
        shown: list[str] = []
        for word in self.key_words:
            if self.words[word] * 2 >= self.count and not any(word in s for s in shown):
                shown.append(word)
        return "、".join(shown[:3]) or "（无实质内容）"

    @property
    def last_asked(self) -> datetime:
        return max(q.asked_at for q in self.questions)

    @property
    def reasons(self) -> list[UnansweredReason]:
        seen = Counter(q.reason for q in self.questions)
        return [UnansweredReason(r) for r, _ in seen.most_common()]

    def examples(self, n: int = 3) -> list[str]:
        """Up to ``n`` different texts (already masked)."""
        out: list[str] = []
        for q in self.questions:
            if q.text not in out:
                out.append(q.text)
            if len(out) == n:
                break
        return out


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group_questions(questions: Iterable[UnansweredQuestion]) -> list[QuestionGroup]:
    """Greedy grouping: each question joins the first group whose seed it overlaps enough;
    the largest groups first, then the most recently asked."""
    groups: list[QuestionGroup] = []
    for question in questions:
        runs = content_runs(question.text)
        seen = features(runs)
        home = next((g for g in groups if _jaccard(seen, g.seed) >= SIMILAR), None)
        if home is None:
            home = QuestionGroup(seed=seen)
            groups.append(home)
        home.questions.append(question)
        home.words.update(set(runs))
    groups.sort(key=lambda g: (-g.count, -g.last_asked.timestamp()))
    return groups


def unanswered_groups(
    session: Session,
    since: datetime,
    *,
    include_handled: bool = False,
) -> list[QuestionGroup]:
    """Groups of the questions asked since ``since`` (not yet handled, unless asked)."""
    query = (
        select(UnansweredQuestion)
        .where(UnansweredQuestion.asked_at >= since)
        .order_by(UnansweredQuestion.asked_at.desc(), UnansweredQuestion.id.desc())
        .limit(SCAN_LIMIT)
    )
    if not include_handled:
        query = query.where(UnansweredQuestion.handled_at.is_(None))
    return group_questions(session.execute(query).scalars())


def count_unanswered(session: Session, since: datetime) -> int:
    """How many questions since ``since`` are still waiting for the staff."""
    return int(
        session.execute(
            select(func.count())
            .select_from(UnansweredQuestion)
            .where(UnansweredQuestion.asked_at >= since, UnansweredQuestion.handled_at.is_(None))
        ).scalar_one()
    )


def mark_handled(
    session: Session, ids: Sequence[int], *, by: str, now: datetime | None = None
) -> int:
    """Mark questions as dealt with (a word added, a ticket opened, or nothing to do)."""
    if not ids:
        return 0
    result = session.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.id.in_(list(ids)), UnansweredQuestion.handled_at.is_(None))
        .values(handled_at=(now or datetime.now()).replace(microsecond=0), handled_by=by[:40])
    )
    return int(result.rowcount or 0)
