"""The folder layout is the architecture: these import rules keep it true."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SATELLITES = ("routing", "customs", "labels")
FLASK_ALLOWED = ("wms/web/", "wms/cli.py", "wsgi.py")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files(*SATELLITES), ids=lambda p: str(p.relative_to(ROOT)))
def test_satellites_import_nothing_from_the_hub_or_the_web(path):
    assert not imported_modules(path) & {"wms", "flask", "sqlalchemy"}


@pytest.mark.parametrize(
    "path", python_files("wms", "config"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_flask_stays_in_the_web_layer(path):
    relative = path.relative_to(ROOT).as_posix()
    if not relative.startswith(FLASK_ALLOWED):
        assert "flask" not in imported_modules(path)


def test_the_services_are_found():
    # Guards the two tests above against silently checking nothing.
    assert len(python_files("wms")) > 10
    assert len(python_files(*SATELLITES)) >= 3
