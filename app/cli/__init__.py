"""``banshi``: the one command line. Each area registers its own commands (one module each:
:mod:`app.cli.core` for the catalog, the model, running and WeChat; features add theirs), so a
new feature adds a module and one line below. An area module has ``register(subparsers)``
and may have ``chores(settings) -> list[Chore]``: what ``banshi run`` does on a schedule.

Every command first brings the database schema up to date (alembic), so a fresh clone or an
upgraded deployment needs no separate migration step. Handlers parse arguments, call one
function of the domain, an adapter or :mod:`app.workflows`, and print the result; with
``--json`` they print what scripts read (keys are kept stable).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.cli import bookings, console, core, surveys, tickets
from app.settings import Settings, load_settings

if TYPE_CHECKING:
    from app.run import Chore

AREAS = (core, console, bookings, tickets, surveys)


def all_chores(settings: Settings) -> list[Chore]:
    found: list[Chore] = []
    for area in AREAS:
        chores = getattr(area, "chores", None)
        if chores is not None:
            found.extend(chores(settings))
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="banshi", description="办事助手 Banshi")
    parser.add_argument("-v", "--verbose", action="store_true", help="more logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for area in AREAS:
        area.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    from banshi.privacy.logfilter import install_log_masking

    # third-party imports (jieba's pkg_resources …) must not clutter what operators script on
    warnings.simplefilter("ignore", DeprecationWarning)
    install_log_masking()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args, load_settings()) or 0)


if __name__ == "__main__":
    sys.exit(main())
