"""The bell groups notifications by kind, marks a group read, and shows each person only the
kinds they let reach it; 0021 gives existing notifications their kind."""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from backoffice import migrations
from backoffice.platform import notifications
from models.audit import AuditEntry
from models.notifications import Notification
from tests.factories import make_principal, make_user


def _post(session, kind, n, **addressee):
    assert notifications.notify(
        session,
        kind=kind,
        dedupe_key=f"{kind}:{n}",
        title_zh=f"{kind} {n}",
        title_en=f"{kind} {n}",
        **addressee,
    )


def test_every_notify_call_names_a_known_kind(session):
    with pytest.raises(TypeError):
        notifications.notify(session, role="hr", dedupe_key="x", title_zh="", title_en="")
    with pytest.raises(ValueError):
        notifications.notify(
            session, kind="noise", role="hr", dedupe_key="x", title_zh="", title_en=""
        )
    assert session.exec(select(Notification)).all() == []


def test_the_bell_groups_by_kind_and_marks_one_group_read(session):
    lead = make_principal(session, "lead.g", ["cs_lead"])
    for n in range(5):
        _post(session, "ticket_sla", n, role="cs_lead")
    for n in range(2):
        _post(session, "kpi_alert", n, user_id=lead.user_id)
    _post(session, "contract", 0, role="product_manager")  # someone else's
    session.commit()
    groups = notifications.groups(session, principal=lead, lang="en", per_group=3)
    assert [(g.kind, g.label, g.unread, len(g.items)) for g in groups] == [
        ("kpi_alert", "KPI alerts", 2, 2),  # the newest first among unread groups
        ("ticket_sla", "Ticket SLA breaches", 5, 3),
    ]
    assert [i.title for i in groups[1].items] == ["ticket_sla 4", "ticket_sla 3", "ticket_sla 2"]
    assert notifications.unread_count(session, principal=lead) == 7
    assert notifications.mark_read(session, principal=lead, kind="ticket_sla") == 5
    session.commit()
    assert notifications.unread_count(session, principal=lead) == 2
    groups = notifications.groups(session, principal=lead, lang="zh")
    assert [(g.kind, g.label, g.unread) for g in groups] == [
        ("kpi_alert", "KPI 预警", 2),
        ("ticket_sla", "工单超时", 0),  # read groups follow the unread ones
    ]


def test_a_kind_turned_off_leaves_the_count_and_the_bell_and_the_change_is_audited(session):
    pm = make_principal(session, "pm.p", ["product_manager"])
    for n in range(3):
        _post(session, "product_change", n, role="product_manager")
    _post(session, "contract", 0, role="product_manager")
    session.commit()
    assert notifications.unread_count(session, principal=pm) == 4
    assert notifications.set_preference(session, principal=pm, kind="product_change", bell=False)
    assert not notifications.set_preference(
        session, principal=pm, kind="product_change", bell=False
    )
    session.commit()
    assert notifications.unread_count(session, principal=pm) == 1
    assert [g.kind for g in notifications.groups(session, principal=pm, lang="en")] == ["contract"]
    assert [i.kind for i in notifications.recent(session, principal=pm, lang="en")] == ["contract"]
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "notification.preference_changed")
    ).one()
    assert entry.actor == "pm.p" and "product_change" in entry.changes
    notifications.set_preference(session, principal=pm, kind="product_change", bell=True)
    session.commit()
    assert notifications.unread_count(session, principal=pm) == 4


def test_security_kinds_cannot_be_turned_off(session):
    admin = make_principal(session, "admin.p", ["admin"])
    with pytest.raises(notifications.NotificationError):
        notifications.set_preference(session, principal=admin, kind="sign_in", bell=False)
    with pytest.raises(notifications.NotificationError):
        notifications.set_preference(session, principal=admin, kind="nonsense", bell=False)
    changed = select(AuditEntry).where(AuditEntry.action == "notification.preference_changed")
    assert session.exec(changed).all() == []
    assert "sign_in" in notifications.bell_kinds(session, principal=admin)


def test_compliance_gets_overdue_kyc_cases_off_the_bell_by_default_and_can_turn_them_on(session):
    """The seed's overdue cases gave compliance 99+; each case waits in the KYC landing page's
    escalated count. Audit alerts still reach them."""
    officer = make_principal(session, "kyc.d", ["compliance"])
    pm = make_principal(session, "pm.d", ["product_manager", "compliance"])
    for n in range(120):
        _post(session, "kyc_overdue", n, role="compliance")
    _post(session, "audit_alert", 0, role="compliance")
    session.commit()
    assert notifications.unread_count(session, principal=officer) == 1
    assert not next(
        p
        for p in notifications.preferences(session, principal=officer, lang="en")
        if p.kind == "kyc_overdue"
    ).bell
    # a person with another role that does not turn it off keeps it
    assert notifications.unread_count(session, principal=pm) == notifications.UNREAD_CAP + 1
    notifications.set_preference(session, principal=officer, kind="kyc_overdue", bell=True)
    session.commit()
    assert notifications.unread_count(session, principal=officer) == notifications.UNREAD_CAP + 1


def test_0021_gives_existing_notifications_their_kind_from_the_dedupe_key(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrations.upgrade(engine, "0020")
    keys = {
        "kyc.overdue.7": "kyc_overdue",
        "suitability_review:1-9": "suitability",
        "ticket:3:resolution:0:agent": "ticket_sla",
        "product_change:4:applied": "product_change",
        "partner:2:contract:2027-01-01:30": "contract",
        "campaign:5:budget80": "campaign_budget",
        "kpi_alert:KA-1:raised": "kpi_alert",
        "risk:1:warning:20261201": "risk_indicator",
        "milestone:8:overdue:2026-12-01:role:pmo": "milestone",
        "auth.locked_out:2026-12-01T10:00:00:admin:1.2.3.4:admins": "sign_in",
        "audit.burst:export:agent:12": "audit_alert",
        "audit.break:admin:4:hash": "audit_alert",
        "something-else": "general",
    }
    with engine.begin() as conn:
        for key in keys:
            conn.execute(
                sa.text(
                    "INSERT INTO notification (role, severity, title_zh, title_en, link, "
                    "dedupe_key, created_at) VALUES ('admin', 'info', 't', 't', '', :key, "
                    "'2026-12-01')"
                ),
                {"key": key},
            )
    migrations.upgrade(engine)
    with engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT dedupe_key, kind FROM notification")).all())
    engine.dispose()
    assert found == keys
    assert set(keys.values()) <= set(notifications.KINDS)


def test_the_bell_state_groups_and_marks_a_group_read(session):
    from state.notifications import NotificationState
    from tests.factories import run, state_for

    user, _ = make_user(session, "lead.s", ["cs_lead"])
    for n in range(2):
        _post(session, "ticket_sla", n, role="cs_lead")
    _post(session, "milestone", 0, user_id=user.id)
    session.commit()
    bell = state_for(session, user, NotificationState)
    run(bell.open_bell(True))
    assert [(g["kind"], g["unread"]) for g in bell.groups] == [("milestone", 1), ("ticket_sla", 2)]
    assert bell.unread == 3
    run(bell.mark_group_read("ticket_sla"))
    assert bell.unread == 1
    run(bell.set_bell("milestone", False))
    assert bell.unread == 0 and [g["kind"] for g in bell.groups] == ["ticket_sla"]
