"""Benchmark figures as JSON, and the check against a baseline kept in ``bench/``.

Every figure carries the noise the run measured for it (half the spread of its value over
the run's blocks, or the gap a capacity ramp left), and which way is better. A figure is
*worse* than the baseline when it moved the wrong way by more than the larger of the two
runs' noise and a floor (5 % of the baseline, or one unit for counts): a shared machine's
drift is not a regression, a real one is named. Informational figures (``better="info"``)
are recorded and never judged; a figure the baseline lacks is not judged either. The
baseline changes only on purpose (``--update-baseline``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FLOOR_SHARE = 0.05


@dataclass(frozen=True)
class Figure:
    value: float
    noise: float = 0.0  # same unit as value
    better: str = "lower"  # lower / higher / zero (a count that must stay 0) / info
    unit: str = ""


def noise_of(values: list[float]) -> float:
    """Half the spread of a figure measured several times within one run."""
    finite = [v for v in values if math.isfinite(v)]
    return (max(finite) - min(finite)) / 2 if len(finite) > 1 else 0.0


@dataclass(frozen=True)
class Verdict:
    name: str
    value: float
    baseline: float
    allowed: float  # how far the wrong way the value may move
    worse: bool

    def line(self) -> str:
        mark = "WORSE" if self.worse else "ok"
        return (
            f"  {mark:<5} {self.name:<34} {self.value:>9.2f} vs baseline {self.baseline:>9.2f}"
            f" (noise allows {self.allowed:.2f})"
        )


def compare(current: dict[str, Figure], baseline: dict[str, Figure]) -> list[Verdict]:
    """Each figure the baseline has, judged against it (informational ones are not)."""
    verdicts = []
    for name, base in baseline.items():
        figure = current.get(name)
        if (
            figure is None
            or not math.isfinite(figure.value)
            or "info" in (base.better, figure.better)
        ):
            continue
        if base.better == "zero":
            allowed = 0.0
            worse = figure.value > base.value
        else:
            floor = max(FLOOR_SHARE * abs(base.value), 1.0 if figure.unit == "count" else 0.0)
            allowed = max(figure.noise, base.noise, floor)
            delta = figure.value - base.value
            worse = delta > allowed if base.better == "lower" else -delta > allowed
        verdicts.append(Verdict(name, figure.value, base.value, allowed, worse))
    return verdicts


def write(path: Path, figures: dict[str, Figure], about: dict[str, Any]) -> None:
    data = {"about": about, "figures": {k: asdict(v) for k, v in figures.items()}}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read(path: Path) -> dict[str, Figure]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: Figure(**v) for k, v in data["figures"].items()}


def report(current: dict[str, Figure], baseline_path: Path) -> tuple[list[str], bool]:
    """Lines comparing ``current`` with the baseline file, and whether anything is worse."""
    if not baseline_path.exists():
        return [f"no baseline at {baseline_path}: run with --update-baseline to keep one"], False
    verdicts = compare(current, read(baseline_path))
    worse = [v for v in verdicts if v.worse]
    head = f"against the baseline {baseline_path.name}: " + (
        f"{len(worse)} figure(s) WORSE beyond the noise" if worse else "nothing worse"
    )
    return [head, *(v.line() for v in verdicts)], bool(worse)
