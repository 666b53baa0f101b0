"""The state layer stays thin: no state module runs a query, commits or writes the audit trail
itself. Opening ``session_scope()`` and handing the session to a service is what states do."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STATE_DIR = Path(__file__).resolve().parents[2] / "state"

# Calls on a session that are the services' work: reading rows, writing, ending the transaction.
SESSION_WORK = {
    "add",
    "add_all",
    "commit",
    "delete",
    "exec",
    "execute",
    "flush",
    "get",
    "merge",
    "refresh",
    "rollback",
    "scalar",
    "scalars",
}
QUERY_BUILDERS = {"select", "update", "insert", "delete"}


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def offences(source: str) -> list[str]:
    """Each direct query, session call, commit or audit write in a module, as line: code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in QUERY_BUILDERS:
            found.append(f"{node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute):
            receiver = _receiver(func.value)
            if func.attr in QUERY_BUILDERS and receiver in ("sa", "sqlalchemy", "sqlmodel"):
                found.append(f"{node.lineno}: {receiver}.{func.attr}(")
            elif func.attr == "commit":
                found.append(f"{node.lineno}: .commit(")
            elif func.attr in SESSION_WORK and "session" in receiver.lower():
                if receiver != "SessionState":
                    found.append(f"{node.lineno}: {receiver}.{func.attr}(")
            elif func.attr == "record" and receiver == "audit":
                found.append(f"{node.lineno}: audit.record(")
    return sorted(found, key=lambda text: int(text.split(":")[0]))


STATE_MODULES = sorted(p.stem for p in STATE_DIR.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", STATE_MODULES)
def test_no_state_module_queries_commits_or_audits_itself(module):
    found = offences((STATE_DIR / f"{module}.py").read_text(encoding="utf-8"))
    assert not found, f"state/{module}.py does the services' work: {found}"


@pytest.mark.parametrize(
    ("line", "caught"),
    [
        ("rows = session.exec(select(User)).all()", True),
        ("user = session.get(User, 1)", True),
        ("session.add(user)", True),
        ("session.commit()", True),
        ("rows = session.execute(sa.select(User.id)).all()", True),
        ("audit.record(session, actor='a', action='b', entity='c')", True),
        ("state = await self.get_state(SessionState)", False),
        ("name = values.get('name', '')", False),
        ("rows = kpi.dashboard(session, principal=p, period=d)", False),
    ],
)
def test_the_rule_tells_service_work_from_state_work(line, caught):
    assert bool(offences(f"async def f():\n    {line}\n")) is caught


BASE_MODULES = {"base", "auth", "ui"}  # the staff state base and what it is built on


@pytest.mark.parametrize("module", [m for m in STATE_MODULES if m not in BASE_MODULES])
def test_states_take_the_caller_and_language_from_the_staff_state_base(module):
    """``state/base.py`` is the one place that reads the caller, the language and the client
    address from the session and interface states; no state module keeps a copy."""
    tree = ast.parse((STATE_DIR / f"{module}.py").read_text(encoding="utf-8"))
    copies = [
        f"{node.lineno}: def {node.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name in ("_lang", "_principal", "_client", "_context", "_actor")
    ] + [
        f"{node.lineno}: get_state({node.args[0].id})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_state"
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "UIState"
    ]
    assert copies == [], f"state/{module}.py copies the staff state base: {copies}"
