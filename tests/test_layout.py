"""The layout DESIGN.md draws: imports point one way, SQL only in store modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("federation", "inbox", "outbox", "recovery", "web")
FORBIDDEN = {
    "federation": {"inbox", "outbox", "recovery", "web"},
    "recovery": {"inbox", "outbox", "web"},
    "inbox": {"web"},
    "outbox": {"web"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    for path in (ROOT / package).rglob("*.py"):
        wrong = _imports(path) & FORBIDDEN[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_only_store_modules_run_sql_in_the_domain():
    sql = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b")
    for path in (ROOT / "recovery").rglob("*.py"):
        if "store" not in path.parts and path.name != "store.py":
            assert not sql.search(path.read_text()), path


def test_schema_never_drops_anything_and_is_idempotent_by_construction():
    schema = (ROOT / "schema.sql").read_text()
    assert not re.search(r"\bDROP\b", schema, re.IGNORECASE)
    # Tables and indexes IF NOT EXISTS; functions and triggers (which keep
    # home feeds and post counts) only as CREATE OR REPLACE.
    for replaced, statement in re.findall(r"CREATE\s+(?:UNIQUE\s+)?(OR\s+REPLACE\s+)?(\w+)",
                                          schema):
        assert statement.upper() in ({"FUNCTION", "TRIGGER"} if replaced else {"TABLE", "INDEX"})
    creates = re.findall(r"CREATE (?:UNIQUE )?(?:TABLE|INDEX) (\S+ \S+ \S+)", schema)
    assert creates and all(c.startswith("IF NOT EXISTS") for c in creates)


def test_nothing_runs_at_import_time():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                    pytest.fail(f"{path.relative_to(ROOT)} calls something at import time")


def test_every_package_is_installed_by_a_plain_pip_install():
    """pyproject lists packages by name: a subpackage left out works in a
    checkout (editable install) and is missing from ``pip install .``."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {str(init.parent.relative_to(ROOT)).replace("/", ".")
             for top in PACKAGES
             for init in (ROOT / top).rglob("__init__.py")}
    assert found <= listed, f"not in [tool.setuptools] packages: {sorted(found - listed)}"
