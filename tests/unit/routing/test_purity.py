"""routing/ stays a pure planner: OR-Tools in one module, nothing from the hub."""

import ast
from pathlib import Path

ROUTING = Path(__file__).resolve().parents[3] / "routing"


def top_level_imports(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_ortools_is_imported_in_the_solver_module_only():
    users = sorted(p.name for p in ROUTING.rglob("*.py") if "ortools" in top_level_imports(p))
    assert users == ["solver.py"]


def test_the_planner_imports_nothing_from_the_hub_or_the_web():
    for path in ROUTING.rglob("*.py"):
        assert not top_level_imports(path) & {"wms", "flask", "sqlalchemy"}, path
