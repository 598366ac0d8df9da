"""What the citizen reads when a 事项 is handled in several places."""

from __future__ import annotations

from collections.abc import Sequence

from banshi.resolution.result import PlaceOption


def place_question(name: str, options: Sequence[PlaceOption]) -> str:
    """One short question instead of a list of near-identical 事项."""
    lines = [f"“{name}”各区县都可以办理，办理地点和联系方式不同。请问您在哪个区办理？"]
    lines += [f"{i}. {option.label}" for i, option in enumerate(options, 1)]
    lines.append("回复序号或地名即可。")
    return "\n".join(lines)
