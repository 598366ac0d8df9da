"""The 好差评 settings a deployment may change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RatingConfig:
    """``followup_days``: working days to verify, fix and report back on a 差评 (local rules
    differ, 5 or 15 have been seen: 5 by default). ``invitation_days``: calendar days an
    invitation stays open for a reply in chat."""

    followup_days: int = 5
    invitation_days: int = 7
