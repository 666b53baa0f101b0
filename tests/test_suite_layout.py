"""The test suite's own rules: a helper more than one test module needs lives in a shared
module (``tests/factories.py``, ``tests/permission_walk.py``, a ``conftest.py``), never in a
test module another one imports; coroutines run through the shared runner; the tests of a
domain are in the folder named after it under ``tests/domains``."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(source: str, package: str) -> set[str]:
    """Every module (or name in a module) the source imports, relative imports made absolute
    from ``package``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _names_a_test_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") for part in parts[1:])


def test_no_module_of_the_tests_imports_a_test_module():
    offenders = [
        f"{path.relative_to(TESTS)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in sorted(
            imported_modules(
                path.read_text(encoding="utf-8"),
                ".".join(path.relative_to(TESTS.parent).parent.parts),
            )
        )
        if _names_a_test_module(module)
    ]
    assert offenders == []


def test_the_rule_sees_every_way_of_importing_a_test_module():
    source = (
        "from tests.engine.test_engine import pm\n"
        "import tests.test_seed\n"
        "from tests import test_roles\n"
        "from . import test_kyc\n"
        "from ..tickets.test_tickets import desk_setup\n"
        "def f():\n"
        "    from tests.test_state import redirected_to\n"
    )
    found = {m for m in imported_modules(source, "tests.domains.kyc") if _names_a_test_module(m)}
    assert {
        "tests.engine.test_engine",
        "tests.test_seed",
        "tests.test_roles",
        "tests.domains.kyc.test_kyc",
        "tests.domains.tickets.test_tickets",
        "tests.test_state",
    } <= found
    shared = "from tests.factories import make_user\nfrom tests.permission_walk import handlers\n"
    assert not any(_names_a_test_module(m) for m in imported_modules(shared, "tests"))


def test_tests_run_coroutines_through_the_shared_runner():
    """After the browser tests, Playwright's sync API holds an event loop in the main thread
    and ``asyncio.run`` refuses there: tests use ``tests.factories.run``."""
    offenders = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("test_*.py")
        if "asyncio.run(" in path.read_text(encoding="utf-8") and path.name != Path(__file__).name
    ]
    assert offenders == []


def test_the_domain_tests_are_in_folders_named_after_the_domains():
    from backoffice.domains import DOMAINS

    folders = {p.name for p in (TESTS / "domains").iterdir() if (p / "__init__.py").exists()}
    assert folders <= set(DOMAINS), folders - set(DOMAINS)
