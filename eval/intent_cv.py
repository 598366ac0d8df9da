"""Intent classification under 5-fold cross-validation (``rasa test nlu --cross-validation``).

Trains one model per fold from config.yml and nlu_data/ (about 3 minutes each on 2 cores:
run it alone), then prints precision, recall and F1 per intent and the macro F1 over the
intents of the data (target ≥ 0.95). Rasa scores the intent the classifier ranked first even
when the FallbackClassifier replaced it; how many wrong ones the bot would have caught as
``nlu_fallback`` (confidence below the threshold in config.yml) is printed separately.

    .venv/bin/python eval/intent_cv.py [--folds 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.settings import load_settings  # noqa: E402
from app.training import CONFIG, DOMAIN, rasa_command, write_dictionary  # noqa: E402

TARGET = 0.95
FALLBACK_THRESHOLD = 0.5  # FallbackClassifier.threshold in config.yml
NOT_INTENTS = {"accuracy", "macro avg", "weighted avg", "micro avg", "nlu_fallback"}


def run_cross_validation(out: Path, folds: int) -> None:
    command = rasa_command(
        "test",
        "nlu",
        "--cross-validation",
        "--folds",
        str(folds),
        "--config",
        CONFIG,
        "--domain",
        DOMAIN,
        "--nlu",
        "nlu_data",
        "--out",
        str(out),
        "--no-plot",
    )
    log = out / "rasa.log"
    print(f"rasa test nlu --cross-validation --folds {folds} (log: {log}) ...", flush=True)
    with log.open("wb") as sink:
        result = subprocess.run(
            command,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"rasa test nlu failed (exit code {result.returncode}):\n{tail}")


def summarise(report: dict[str, Any], errors: list[dict[str, Any]]) -> float:
    intents = sorted(label for label in report if label not in NOT_INTENTS)
    print(f"\n{'intent':24} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}  most confused with")
    for intent in intents:
        row = report[intent]
        confused = ", ".join(f"{k} {v}" for k, v in list(row.get("confused_with", {}).items())[:2])
        print(
            f"{intent:24} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1-score']:6.3f} "
            f"{row['support']:4d}  {confused}"
        )
    macro = sum(report[i]["f1-score"] for i in intents) / len(intents)
    caught = sum(1 for e in errors if e["intent_prediction"]["confidence"] < FALLBACK_THRESHOLD)
    print(f"\naccuracy {report.get('accuracy', 0.0):.3f} over {len(intents)} intents")
    print(
        f"{len(errors)} test messages misclassified; {caught} of them below the fallback "
        f"threshold {FALLBACK_THRESHOLD} (the bot asks to rephrase instead of answering wrongly)"
    )
    verdict = "meets" if macro >= TARGET else "BELOW"
    print(f"macro F1 {macro:.3f} ({verdict} the target of {TARGET})")
    return macro


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, help="keep the results here (default: a temp dir)")
    args = parser.parse_args(argv)

    # The folds are tokenised with the same dictionary as `banshi train` uses.
    write_dictionary(load_settings())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="banshi-intent-cv-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        run_cross_validation(out, args.folds)
        report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
        errors_path = out / "intent_errors.json"
        errors = json.loads(errors_path.read_text(encoding="utf-8")) if errors_path.exists() else []
    print(f"cross-validation took {time.monotonic() - started:.0f} s")
    return 0 if summarise(report, errors) >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
