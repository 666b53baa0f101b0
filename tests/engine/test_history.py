"""A record's history as staff read it: every field by its label, values as the record page
shows them, people by their names, the portal's own jobs as 系统/System; never a column or
login name."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest

import backoffice.domains  # noqa: F401
from backoffice.domains.products import rules as product_rules
from backoffice.domains.tickets import rules as desk
from backoffice.engine import service
from backoffice.engine.resource import all_resources, get
from backoffice.i18n import catalogue, translate
from models.base import utcnow
from tests.factories import make_partner, make_product, open_ticket, rename

ROOT = Path(__file__).resolve().parents[2]
PRODUCT, CHANGE, TICKET = get("product"), get("product_change"), get("ticket")
RESOURCES = {r.key: r for r in all_resources()}
# columns the engine itself keeps and never writes as a change
BOOKKEEPING = {"id", "version", "created_at", "updated_at"}
# a column or login name: lower-case words joined by "_" or ".", e.g. change_request, pm.one
RAW_NAME = re.compile(r"\b[a-z]+(?:[_.][a-z0-9]+)+\b")


def _labelled(resource_key: str | None, name: str) -> bool:
    resource = RESOURCES.get(resource_key or "")
    if resource is not None and resource.field(name) is not None:
        return True
    return f"history.field.{name}" in catalogue("zh") and f"history.field.{name}" in catalogue("en")


def _constant_keys(node: ast.AST) -> set[str]:
    keys = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Dict):
            keys |= {k.value for k in sub.keys if isinstance(k, ast.Constant)}
    return {k for k in keys if isinstance(k, str)}


def _entities(node: ast.AST | None) -> set[str] | None:
    """The resource keys an ``entity=`` argument names; None when it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _entities(node.body), _entities(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _written_changes() -> list[tuple[str, int, str | None, str]]:
    """(file, line, entity or None, name) for every constant name the code writes into an
    audit entry's changes (``changes=`` and an export's ``details=``/``extra=``)."""
    found = []
    for path in (ROOT / "backoffice").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            for argument in ("changes", "details", "extra"):
                if argument not in keywords:
                    continue
                entities = _entities(keywords.get("entity"))
                for name in _constant_keys(keywords[argument]):
                    for entity in sorted(entities) if entities is not None else [None]:
                        found.append((path.name, node.lineno, entity, name))
    return found


def test_every_name_an_audit_entry_of_a_record_can_hold_has_a_label():
    """What a history can show: any column of the resource's table (services write changes
    from the columns they set) and the names written as constants (change requests, files,
    hits…). Each has a field label or a ``history.field.*`` label in both languages."""
    written = _written_changes()
    assert len(written) > 50, "the scan found too few audit changes"
    missing = {
        f"{entity or 'any record'}: {name} ({file}:{line})"
        for file, line, entity, name in written
        if not _labelled(entity, name)  # the audit log shows every entry, not only records
    }
    for resource in RESOURCES.values():
        for column in resource.model.__table__.columns:  # type: ignore[attr-defined]
            name = column.name.removesuffix("_cipher").removesuffix("_hash")
            if name not in BOOKKEEPING and not _labelled(resource.key, name):
                missing.add(f"{resource.key}: column {column.name}")
    assert sorted(missing) == []


def test_every_action_recorded_on_a_record_has_a_label():
    verbs = set()
    for path in (ROOT / "backoffice").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("action", "what"):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    entity, _, verb = value.value.partition(".")
                    workflow = RESOURCES[entity].workflow if entity in RESOURCES else None
                    step = verb.removeprefix("transition.")
                    if entity in RESOURCES and not (workflow and workflow.get(step)):
                        verbs.add(verb)
                elif isinstance(value, ast.JoinedStr) and len(value.values) == 2:
                    tail = value.values[1]
                    if isinstance(tail, ast.Constant) and tail.value.startswith("."):
                        verb = tail.value.removeprefix(".")
                        if not verb.startswith("transition."):
                            verbs.add(verb)
    assert {"create", "edit", "applied"} <= verbs
    missing = [v for v in sorted(verbs) if f"history.{v}" not in catalogue("en")]
    assert missing == []


def _check_shown(rows: list[dict[str, str]], logins: set[str]) -> None:
    assert rows
    for row in rows:
        text = " ".join(row.values())
        assert RAW_NAME.findall(text) == [], row
        assert not any(login in text for login in logins), row


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_products_history_shows_labels_titles_names_and_the_system(session, pm, lang):
    rename(session, "pm.one", "李经理")
    partner_id = make_partner(session, pm)
    product_id = make_product(session, pm, partner_id)
    assert service.update(
        session,
        principal=pm,
        resource=PRODUCT,
        record_id=product_id,
        version=1,
        values={"risk_level": "R3"},
    ).ok
    session.commit()
    # a live product's change, approved and applied by the system
    session.execute(
        PRODUCT.model.__table__.update()  # type: ignore[attr-defined]
        .where(PRODUCT.model.id == product_id)
        .values(status="on_sale")
    )
    session.commit()
    change = service.create(
        session,
        principal=pm,
        resource=CHANGE,
        values={
            "product_id": str(product_id),
            "reason": "市场利率下行",
            "effective_at": (utcnow() + timedelta(days=1)).isoformat(),
            "yield_max": "2.95",
        },
    )
    assert change.ok, change
    session.execute(
        CHANGE.model.__table__.update()  # type: ignore[attr-defined]
        .where(CHANGE.model.id == change.record_id)
        .values(status="approved")
    )
    session.commit()
    assert product_rules.apply_due_changes(session, utcnow() + timedelta(days=2)).startswith("1")
    session.commit()
    rows = service.history(session, principal=pm, resource=PRODUCT, record_id=product_id, lang=lang)
    _check_shown(rows, {"pm.one"})
    system = "系统" if lang == "zh" else "System"
    applied, created = rows[0], rows[-1]
    assert applied["actor"] == system
    request = "变更申请" if lang == "zh" else "Change request"
    assert f"{request}: — → 市场利率下行" in applied["changes"]
    assert "% → 2.95%" in applied["changes"]
    assert created["actor"] == "李经理"
    issuer = PRODUCT.field("partner_id").label(lang)
    assert f"{issuer}: — → 华夏基金" in created["changes"], "the partner's name, not its id"
    assert "¥1,000.00" in created["changes"]
    status = "草稿" if lang == "zh" else "Draft"
    assert f": — → {status}" in created["changes"]


def test_a_tickets_history_names_the_agent_the_rule_and_the_system(session, desk_setup):
    rename(session, "cs.a1", "王小明")
    ticket = open_ticket(session, desk_setup["cs.lead"], desk_setup["customer"])
    for lang in ("zh", "en"):
        rows = service.history(
            session,
            principal=desk_setup["cs.lead"],
            resource=TICKET,
            record_id=ticket.id,
            lang=lang,
        )
        _check_shown(rows, {"cs.a1", "cs.lead"})
        routed = next(r for r in rows if "王小明" in r["changes"])
        assert routed["actor"] == ("系统" if lang == "zh" else "System")


def test_the_ticket_report_names_agents_by_their_display_names(session, desk_setup):
    rename(session, "cs.a1", "王小明")
    open_ticket(session, desk_setup["cs.lead"], desk_setup["customer"])
    labels = desk.group_labels(session, "assignee", ["cs.a1", ""], "en")
    assert labels == {"cs.a1": "王小明", "": translate("tickets.report.none", "en")}


def test_every_list_column_is_headed_by_a_label_and_shows_local_times(session):
    from datetime import UTC, datetime

    from backoffice.engine.service import Schema
    from models.campaigns import CampaignSpend

    for resource in RESOURCES.values():
        schema = Schema(resource, resource.fields, resource.list_columns, resource.filters)
        for name in resource.list_columns:
            for lang in ("zh", "en"):
                label = service.column_label(schema, name, lang)
                assert label and label != name and not RAW_NAME.search(label), (resource, name)
    ledger = get("campaign_spend")
    assert (
        service.column_label(
            Schema(ledger, ledger.fields, ledger.list_columns, ledger.filters), "created_at", "zh"
        )
        == "登记时间"
    )
    spend = CampaignSpend(
        id=1, campaign_id=1, amount=1, created_at=datetime(2026, 12, 3, 10, tzinfo=UTC)
    )
    schema = Schema(ledger, ledger.fields, ledger.list_columns, ledger.filters)
    row = service.display_row(schema, None, spend, "zh", ("created_at",))  # type: ignore[arg-type]
    assert row["created_at"] == "2026-12-03 18:00", "the company's zone, not a UTC ISO string"


def test_a_list_export_names_the_people_a_record_holds(session, desk_setup):
    import csv
    import io

    from backoffice.engine import transfer

    rename(session, "cs.a1", "王小明")
    open_ticket(session, desk_setup["cs.lead"], desk_setup["customer"])
    lead = desk_setup["cs.lead"]
    assert lead.can("ticket", "export")
    data, _name, rows = transfer.export_view(
        session,
        principal=lead,
        resource=TICKET,
        query=service.ListQuery(),
        lang="zh",
        fmt="csv",
    )
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    column = table[0].index(TICKET.field("assignee").label("zh"))
    assert rows == 1 and table[1][column] == "王小明"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_codes_the_portal_writes_into_the_trail_are_shown_in_words(session, lang):
    """How someone signed in, a refused permission and why, a revealed field: words in the
    reader's language, never the code the trail holds."""
    from backoffice.security.rbac import DEFAULT_GRANTS, Principal
    from models.audit import AuditEntry

    grants = DEFAULT_GRANTS["compliance"]
    officer = Principal(
        1, "kyc.a", "Officer", 1, frozenset({"compliance"}),
        frozenset((r, a) for r, actions in grants.items() for a in actions),
    )  # fmt: skip
    entries = [
        AuditEntry(
            id=i,
            at=utcnow(),
            actor="anonymous",
            action=action,
            entity=entity,
            entity_id="1",
            changes=changes,
            prev_hash="",
            hash="",
        )
        for i, (action, entity, changes) in enumerate(
            [
                ("auth.signed_in", "staff_session", '{"factor": [null, "totp-enrolment"]}'),
                (
                    "auth.refused",
                    "auth",
                    '{"permission": [null, "hiring.view"],'
                    ' "reason": [null, "resource not allowed"]}',
                ),
                ("customer.reveal", "customer", '{"id_number": ["***", "revealed"]}'),
                ("auth.refused", "auth", '{"permission": [null, "*.signed_in"]}'),
                ("seed.loaded", "seed", '{"size": [null, "small"]}'),
            ],
            start=1,
        )
    ]
    shown = "\n".join(
        row["changes"]
        for row in service.describe_trail(session, principal=officer, entries=entries, lang=lang)
    )
    for code in (
        "totp-enrolment",
        "hiring.view",
        "resource not allowed",
        "revealed",
        "*.",
        "small",
    ):
        assert code not in shown, shown
    assert translate("resource.hiring", lang) in shown
    assert translate("history.value.revealed", lang) in shown


# --- what a history may show to whom ------------------------------------------------------------
def _seen(session, principal, resource_key: str, record_id: int) -> str:
    rows = service.history(
        session, principal=principal, resource=get(resource_key), record_id=record_id, lang="en"
    )
    return "\n".join(" ".join(row.values()) for row in rows)


def test_a_reveal_and_a_watch_list_hit_are_in_a_history_only_for_the_holders_of_their_rights(
    session,
):
    """A reveal (who looked at which personal data, and why) needs the reveal right, a hit
    the watch-list right: others reading the record's history (an agent, the executive) do not
    learn the entry exists, its reason or the officer; compliance sees both in full."""
    from backoffice.domains.kyc import rules as kyc_rules
    from tests.factories import make_customer, make_principal
    from tests.platform_data import id_number, watchlisted

    entry = watchlisted(session, "王建国")
    person = make_customer(session, name="王建国", id_number=id_number(5))
    case = kyc_rules.new_case(session, person, kind="onboarding")
    officer = make_principal(session, "kyc.officer", ["compliance"])
    rename(session, "kyc.officer", "孙合规")
    reason = "反洗钱调查：可疑交易核查"
    kyc_rules.reveal(
        session, principal=officer, customer_id=person.id, field="id_number", reason=reason
    )
    session.commit()
    hit = f"entry {entry.id} score"
    assert reason in _seen(session, officer, "customer", person.id)
    assert "孙合规" in _seen(session, officer, "customer", person.id)
    assert hit in _seen(session, officer, "kyc_case", case.id)
    agent = make_principal(session, "cs.agent", ["cs_agent"])
    told = _seen(session, agent, "customer", person.id)
    assert reason not in told and "孙合规" not in told
    assert translate("history.reveal", "en") not in told
    executive = make_principal(session, "ceo.one", ["executive"])
    assert hit not in _seen(session, executive, "kyc_case", case.id)


# names written into a record's entries that nobody reads in its history: the personal data
# a sign-up records as "***", what a reveal or a hit holds (their entries need their rights)
WITHHELD = {"customer", "hit", "id_number", "phone"}


def test_every_name_a_record_entry_holds_besides_its_fields_is_decided():
    """A name a service writes into a record's changes that is no field of it is masked in
    the history (deny by default) unless ``service.HISTORY_NAMES`` lets it through: each such
    name is either there or withheld on purpose, so a new one is a decision, not a leak."""
    undecided = {
        f"{entity or 'any record'}: {name} ({file}:{line})"
        for file, line, entity, name in _written_changes()
        if (entity is None or entity in RESOURCES)
        and not (entity and RESOURCES[entity].field(name))
        and name not in service.HISTORY_NAMES
        and name not in WITHHELD
    }
    assert sorted(undecided) == []
    assert not WITHHELD & set(service.HISTORY_NAMES)


def test_a_history_names_a_related_record_only_to_who_may_see_it(session):
    """The campaign a customer signed up with is shown by its name to a reader of campaigns,
    by its number (#id) to an agent, who reads customers but not campaigns."""
    from backoffice.platform import audit
    from tests.factories import make_customer, make_principal
    from tests.platform_data import running_campaign

    campaign = running_campaign(session)
    person = make_customer(session)
    audit.record(
        session,
        actor="platform",
        action="customer.create",
        entity="customer",
        entity_id=person.id,
        changes={"campaign_id": [None, str(campaign.id)]},
    )
    session.commit()
    agent = make_principal(session, "cs.agent", ["cs_agent"])
    told = _seen(session, agent, "customer", person.id)
    assert campaign.name not in told and f"#{campaign.id}" in told
    both = make_principal(session, "cs.mkt", ["cs_agent", "marketing"])
    assert campaign.name in _seen(session, both, "customer", person.id)


def test_a_stale_refusal_names_the_last_change_not_a_later_look(session, pm):
    """Reads leave entries too (a reveal, a download, an export) but change nothing: the 412
    names whoever last changed the record."""
    from backoffice.platform import audit, versioned

    rename(session, "pm.one", "李经理")
    product_id = make_product(session, pm, make_partner(session, pm))
    for action in ("product.download", "product.view", "product.export"):
        audit.record(
            session,
            actor="kyc.looker",
            action=action,
            entity="product",
            entity_id=product_id,
            changes={"attachment": [None, "terms.pdf"]},
        )
    session.commit()
    refusal = versioned.stale(session, "product", product_id)
    assert refusal.params["who"] == "李经理", refusal.params
