"""What resolution answers: the ranked 事项, what to do with them, and where each is handled."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Decision(str, Enum):
    """What to do with a question's candidates."""

    ONE = "one"  # answer about the best
    ASK = "ask"  # offer a numbered list: the words cannot tell them apart
    NONE = "none"  # nothing fits: say so rather than guess


@dataclass(frozen=True)
class Candidate:
    """One 事项, named by one of its implementations (the place chosen, or the default one)."""

    task_code: str
    name: str
    state: str
    score: float


@dataclass(frozen=True)
class PlaceOption:
    """One implementation of a 事项 that several districts or departments implement.

    ``label`` is what tells it from its siblings, as a citizen would say it (桥西区,
    示范市本级): the part of the department's name the implementations do not share.
    """

    task_code: str
    label: str
    dept_name: str
    center_name: str
    level: str  # 行使层级: 2 省, 3 市, 4 县 …


@dataclass(frozen=True)
class PlaceHint:
    """What is known of where the citizen will go, strongest first.

    ``region``: a place label they chose before (桥西区); ``hall_code``: the hall whose QR
    code they scanned; ``location``: (latitude, longitude) of a 位置 message.
    """

    region: str | None = None
    hall_code: str | None = None
    location: tuple[float, float] | None = None


@dataclass
class Resolution:
    """The ranked candidates and what the assistant should do with them.

    A 事项 implemented in several places is one candidate. When it is the answer, ``places``
    lists its implementations and ``place_known`` says whether the message or the hint chose
    one (then ``best`` is that implementation); if not, ``best`` is the highest-level one and
    the guide asks "您在哪个区办理？" (:attr:`needs_place`) instead of listing variants.
    """

    candidates: list[Candidate]
    decision: Decision
    query: str = ""
    rivals: list[Candidate] = field(default_factory=list)
    places: list[PlaceOption] = field(default_factory=list)
    place_known: bool = False
    # the words ask for a corrective action (延续, 补发) no item found offers: not a match
    # that a shorter reading of the message (the NLU's item span) may overturn
    not_offered: bool = False

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def top(self, n: int) -> list[str]:
        return [c.task_code for c in self.candidates[:n]]

    @property
    def options(self) -> list[Candidate]:
        """The candidates to offer in a numbered list when the decision is to ask."""
        if self.decision is not Decision.ASK:
            return []
        return [self.candidates[0], *self.rivals]

    @property
    def place(self) -> PlaceOption | None:
        """The implementation answered for, when the message or the hint chose one."""
        best = self.best
        if not self.place_known or best is None:
            return None
        return next((p for p in self.places if p.task_code == best.task_code), None)

    @property
    def needs_place(self) -> bool:
        """The 事项 is clear but not where: ask for the place (at most that)."""
        return self.decision is Decision.ONE and len(self.places) > 1 and not self.place_known
