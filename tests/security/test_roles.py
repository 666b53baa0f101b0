"""What each role may open and do, computed from the code and compared with docs/roles.md.

The pages a role reaches go through the page gate (``backoffice.security.gate``, the rule
``state/auth.py`` applies) and the permission of each page's load handlers; the handlers a role
may call come from their ``@requires`` declarations; both for the role's default grants
(``rbac.DEFAULT_GRANTS``, what a new installation and migration 0020 give). Any difference with
the tables in docs/roles.md fails: a change of rights is a change of that document. After a
deliberate change, rewrite its tables with ``BACKOFFICE_WRITE_ROLES_DOC=1`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import backoffice.backoffice  # noqa: F401  (registers every page and state)
from backoffice.platform.navigation import MODULES
from backoffice.security import gate, rbac
from state.auth import PERMISSION_ATTR
from state.resource import ON_RESOURCE
from tests.permission_walk import (
    ROLES,
    call_handler,
    handlers,
    may_call,
    permission_cases,
    principal_of,
    roles_by_page,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
YES = "✓"


def handler_rows() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """Handlers with a fixed permission and the roles that may call them; handlers guarded on
    their page's resource with the action they check there."""
    fixed, on_resource = {}, {}
    for cls, name, fn in handlers():
        permission = getattr(fn, PERMISSION_ATTR)
        key = f"{cls.__name__}.{name}"
        if permission[0] == ON_RESOURCE:
            on_resource[key] = permission[1]
            continue
        fixed[key] = frozenset(r for r in ROLES if may_call(principal_of(r), permission, ""))
    return fixed, on_resource


def grants() -> dict[str, frozenset[str]]:
    return {
        f"{resource}.{action}": frozenset(
            r for r in ROLES if action in rbac.DEFAULT_GRANTS[r].get(resource, ())
        )
        for resource in rbac.RESOURCES
        for action in rbac.ACTIONS
        if any(action in rbac.DEFAULT_GRANTS[r].get(resource, ()) for r in ROLES)
    }


# --- the document's generated tables ------------------------------------------------------
def _table(first: str, rows: dict[str, frozenset[str]]) -> str:
    head = f"| {first} | " + " | ".join(ROLES) + " |"
    rule = "| --- | " + " | ".join(":-:" for _ in ROLES) + " |"
    body = [
        f"| `{key}` | " + " | ".join(YES if r in roles else "" for r in ROLES) + " |"
        for key, roles in rows.items()
    ]
    return "\n".join([head, rule, *body])


def _generated() -> dict[str, str]:
    fixed, on_resource = handler_rows()
    resource_table = "\n".join(
        [
            "| handler | checks this action on the page's resource |",
            "| --- | --- |",
            *(f"| `{key}` | {action} |" for key, action in on_resource.items()),
        ]
    )
    return {
        "grants": _table("resource.action", grants()),
        "pages": _table("page", roles_by_page()),
        "handlers": _table("handler", fixed),
        "resource-handlers": resource_table,
    }


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} -->\n)(.*?)(<!-- end: {name} -->)", re.DOTALL)


def _parse(table: str) -> dict[str, frozenset[str] | str]:
    lines = [line for line in table.strip().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows: dict[str, frozenset[str] | str] = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        key = cells[0].strip("`")
        if len(header) == 2:
            rows[key] = cells[1]
        else:
            rows[key] = frozenset(h for h, c in zip(header[1:], cells[1:], strict=True) if c)
    return rows


def _differences(name: str, documented: str, computed: str) -> list[str]:
    want, have = _parse(documented), _parse(computed)
    found = [f"{name}: `{key}` is not in the code" for key in want.keys() - have.keys()]
    found += [f"{name}: `{key}` is not documented" for key in have.keys() - want.keys()]
    for key in want.keys() & have.keys():
        if want[key] != have[key]:
            found.append(f"{name}: `{key}` documented {_show(want[key])}, code {_show(have[key])}")
    return found


def _show(value: frozenset[str] | str) -> str:
    return value if isinstance(value, str) else "{" + ", ".join(sorted(value)) + "}"


def test_roles_document_matches_what_the_code_allows():
    text = DOC.read_text(encoding="utf-8")
    computed = _generated()
    if os.environ.get("BACKOFFICE_WRITE_ROLES_DOC"):
        for name, table in computed.items():
            text = _block(name).sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(3), text)
        DOC.write_text(text, encoding="utf-8")
    problems = []
    for name, table in computed.items():
        match = _block(name).search(text)
        assert match, f"docs/roles.md has no generated block {name!r}"
        problems += _differences(name, match.group(2), table)
    assert not problems, "\n".join(problems)


def test_the_brief_points_hold_in_the_matrix():
    """The rights this document exists for, spelled out (a regenerated table cannot lose
    them silently)."""
    page = roles_by_page()
    fixed, _ = handler_rows()
    assert "cs_agent" not in page["/tickets/reports"]
    assert {"cs_lead", "executive"} <= page["/tickets/reports"]
    for config in ("sla_policy", "business_holiday", "ticket_settings", "assignment_rule"):
        assert "cs_agent" not in page[f"/r/{config}"], config
        assert "cs_lead" in page[f"/r/{config}"], config
    assert "cs_agent" not in page["/r/canned_reply"]  # offered through the workspace instead
    assert "cs_agent" in page["/tickets/workspace"]
    for name in ("TicketReportState.load", "TicketReportState.apply"):
        assert fixed[name] == {"cs_lead", "executive"}
    assert "cs_agent" in fixed["TicketDeskState.use_canned"]


def test_the_sidebar_shows_what_the_gate_opens():
    """A report in a role's sidebar is a page it may open, and the other way round; so is a
    module's own entry."""
    page = roles_by_page()
    for role in ROLES:
        principal = principal_of(role)
        listed = set(gate.reports_of(principal))
        for route in {r.route for m in MODULES for r in m.reports}:
            opens = role in page[route] and route.split("/")[1] in gate.modules_of(principal)
            if route.startswith("/me/"):
                continue  # one's own appraisals open outside the HR module
            assert (route in listed) == opens, (role, route)
        for module in MODULES:  # a module in the sidebar is a page its role may open
            if module.key in gate.modules_of(principal):
                assert role in page[module.route], (role, module.route)


def test_no_handler_returns_data_of_a_kind_the_role_may_not_see(clean_db, session, monkeypatch):
    """Each role runs every page-load handler it may call, on the record pages of a customer
    with a watch-list hit, their KYC case and another team's ticket; what the state then holds
    (all that would be sent) carries the listed name only for roles that work the lists, and
    the ticket only for those whose ticket scope covers it (read-only oversight)."""
    import json

    from reflex.istate.data import RouterData
    from reflex.state import State

    from backoffice.security import auth
    from models.base import utcnow
    from models.hr import Team
    from models.kyc import KycCase, ScreeningHit, WatchlistEntry
    from models.tickets import Ticket
    from state.auth import carry_cookie
    from tests.factories import make_customer, make_user, sign_in

    monkeypatch.setattr(auth, "needs_step_up", lambda _p: False)
    listed, subject = "欧阳某某", "另一团队的机密工单"
    team = Team(code="elsewhere", name_zh="别处", name_en="Elsewhere")
    customer = make_customer(session, name="欧阳娜")
    entry = WatchlistEntry(list_kind="pep", name=listed)
    session.add_all([team, entry])
    session.flush()
    case = KycCase(case_no="K77", customer_id=customer.id, opened_at=utcnow(), due_at=utcnow())
    session.add(case)
    session.flush()
    session.add(
        ScreeningHit(customer_id=customer.id, entry_id=entry.id, case_id=case.id, score=95,
                     matched_on="name")
    )  # fmt: skip
    ticket = Ticket(ticket_no="S000000077", customer_id=customer.id, channel="phone",
                    category="account", subject=subject, team_id=team.id, assignee="someone",
                    status="assigned")  # fmt: skip
    session.add(ticket)
    session.commit()
    pages = {"customer": customer.id, "kyc_case": case.id, "ticket": ticket.id}
    seen: dict[str, set[str]] = {listed: set(), subject: set()}
    for role in rbac.STAFF_ROLES:  # people: an API client's answers are the API tests' to check
        user, _ = make_user(session, f"w.{role.replace('_', '')}", [role])
        token = sign_in(session, user)
        for page, record_id in pages.items():
            root = State(_reflex_internal_init=True)
            url = f"/r/{page}/record?id={record_id}"
            root.router = RouterData.from_router_data(
                {"headers": {"origin": "http://localhost:3000"}, "asPath": url,
                 "pathname": f"/r/{page}/record"}
            )  # fmt: skip
            carry_cookie(root, token)
            for cls, name, fn in handlers():
                if not (name.startswith("load") or name == "open"):
                    continue
                for concrete, resource_key in permission_cases(getattr(fn, PERMISSION_ATTR)):
                    if resource_key and resource_key != page:
                        continue
                    if may_call(principal_of(role), concrete, resource_key):
                        call_handler(root, cls, fn, resource_key)
            sent = json.dumps(root.dict(), default=str, ensure_ascii=False)
            for marker, holders in seen.items():
                if marker in sent:
                    holders.add(role)
    assert seen[listed] == {r for r in ROLES if principal_of(r).can("watchlist", "view")}
    assert seen[subject] == {"executive"}


def _session_of(state):
    from state.auth import SessionState

    root = state
    while root.parent_state is not None:
        root = root.parent_state
    return root.get_substate(SessionState.get_full_name().split(".")[1:])


def test_an_agent_is_turned_away_from_the_reports_and_the_desks_configuration(session):
    """Through the real handlers: the reports page's gate and loads refuse a customer-service
    agent and change nothing, the configuration lists refuse them, and neither is in their
    sidebar; the lead gets all of it."""
    from sqlmodel import select

    from models.audit import AuditEntry
    from state.resource import ResourceListState
    from state.tickets import TicketReportState
    from tests.factories import make_user, redirected_to, run, state_for

    agent, _ = make_user(session, "cs.turned", ["cs_agent"])
    lead, _ = make_user(session, "cs.leads", ["cs_lead"])
    config = ("sla_policy", "business_holiday", "ticket_settings", "assignment_rule")

    report = state_for(session, agent, TicketReportState, "/tickets/reports")
    refused = run(TicketReportState.event_handlers["load"].fn(report))
    assert redirected_to(refused) == ["/"] and report.rows == [] and report.total == {}
    run(TicketReportState.event_handlers["apply"].fn(report, {"by": "assignee"}))
    assert report.rows == [] and report.by == "team"
    sidebar = _session_of(report)
    assert "/tickets/reports" not in sidebar.reports and "/tickets/workspace" in sidebar.reports
    assert not set(config) & set(sidebar.resources) and "canned_reply" not in sidebar.resources
    for key in config:
        listing = state_for(session, agent, ResourceListState, f"/r/{key}")
        assert run(ResourceListState.event_handlers["open"].fn(listing, key)) is not None
        assert listing.rows == [] and listing.columns == []
    denied = session.exec(
        select(AuditEntry.entity_id).where(
            AuditEntry.actor == "cs.turned", AuditEntry.action == "access.denied"
        )
    ).all()
    assert "page /tickets/reports" in denied and "TicketReportState.apply" in denied

    report = state_for(session, lead, TicketReportState, "/tickets/reports")
    assert run(TicketReportState.event_handlers["load"].fn(report)) is None
    assert report.total["volume"] == "0"
    sidebar = _session_of(report)
    assert "/tickets/reports" in sidebar.reports and set(config) <= set(sidebar.resources)
