"""The layout the code promises: genanki behind one module, and no module past a size a
reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cardgen"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_package_module_imports_genanki() -> None:
    users = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if "genanki" in imports(p))
    assert users == ["package.py"]


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    """About 400 lines (the longest, cli.py, is about 410 as ruff lays it
    out): split a module by what it does past that."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}
