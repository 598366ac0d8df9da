"""The architecture, checked rather than hoped for: who may import whom.

- ``banshi`` (the domain) imports no adapter, no framework of one (Rasa, rasa_sdk, Sanic,
  wechatpy, aiohttp, httpx, Starlette, Jinja2) and reads no environment variable;
- the adapters (``bot``, ``actions``, ``catalog_sync``, ``console``, ``wechat_standin``) import
  the domain but never each other — they meet only in the composition root, ``app``;
- ``wechat_standin`` imports nothing of ours: it judges the channel by its own rules.

Every import counts, including those inside functions (lazy imports hide a dependency, they
do not remove it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"app", "banshi", "bot", "actions", "catalog_sync", "console", "wechat_standin"}
FRAMEWORKS = {
    "rasa",
    "rasa_sdk",
    "sanic",
    "wechatpy",
    "aiohttp",
    "httpx",
    "starlette",
    "jinja2",
    "uvicorn",
    "tensorflow",
}
ADAPTERS = {"bot", "actions", "catalog_sync", "console", "wechat_standin"}

# package -> the top-level names it must not import
FORBIDDEN: dict[str, set[str]] = {
    "banshi": (OURS - {"banshi"}) | FRAMEWORKS,
    "catalog_sync": (OURS - {"banshi", "catalog_sync"}) | FRAMEWORKS,
    "bot": OURS - {"banshi", "bot"},
    "actions": OURS - {"banshi", "actions"},
    "console": (OURS - {"banshi", "console"}) | {"rasa", "rasa_sdk", "sanic", "wechatpy"},
    "wechat_standin": OURS - {"wechat_standin"},
}


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """Every module name ``path`` imports (absolute imports; ours are all absolute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def reads_environment(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_respect_the_layers(package: str) -> None:
    if not (ROOT / package).is_dir():
        pytest.skip(f"{package}/ does not exist yet")
    broken = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules(package)
        for line, name in imported(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert broken == [], "\n".join(broken)


def test_only_the_composition_root_reads_the_environment() -> None:
    allowed_tools = {"wechat_standin"}  # a separate program with its own settings
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in sorted((OURS - {"app"}) - allowed_tools)
        if (ROOT / package).is_dir()
        for path in modules(package)
        for line in reads_environment(path)
    ]
    # One exception, documented where it is: the slow-action test double reads its delay.
    assert found == [], "\n".join(found)


def test_the_walker_sees_lazy_imports(tmp_path: Path) -> None:
    """The check itself can fail: an import inside a function is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from bot.wechat import push\n    import os\n    os.environ\n")
    assert next((n, line) for line, n in imported(sample)) == ("bot.wechat", 2)
    assert reads_environment(sample) == [4]


def test_domain_modules_stay_small() -> None:
    """One concept per module: nothing in the domain grows past ~500 lines."""
    big = [
        f"{path.relative_to(ROOT)} ({n} lines)"
        for path in modules("banshi")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > 550
    ]
    assert big == [], "\n".join(big)
