"""Times on screen: one formatter (the company's zone, ``YYYY-MM-DD HH:MM``), never the UTC
ISO text the audit trail and exports keep."""

from datetime import UTC, datetime

from backoffice.config import get_settings
from backoffice.domains.audit import log as audit_log
from backoffice.platform import audit
from backoffice.platform.business_time import local_times_in, shown_time
from backoffice.security import auth
from tests.factories import make_user, sign_in

MOMENT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _local(seconds: bool = False) -> str:
    return MOMENT.astimezone(get_settings().zone).strftime(
        "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    )


def test_a_moment_is_shown_in_the_company_zone_without_offset():
    assert shown_time(MOMENT) == _local()
    assert shown_time(MOMENT.isoformat()) == _local()
    assert shown_time("2026-12-03T10:00:00Z") == _local()
    assert shown_time(MOMENT, seconds=True) == _local(seconds=True)
    assert shown_time(MOMENT.replace(tzinfo=None)) == _local(), "naive values are stored UTC"
    assert shown_time(None) == shown_time("") == "—"
    if get_settings().timezone == "Asia/Shanghai":
        assert shown_time(MOMENT) == "2026-12-03 18:00"


def test_moments_inside_text_are_shown_local_and_days_stay_as_they_are():
    text = '{"effective_at": ["2026-12-03T10:00:00+00:00", "2026-12-04T10:00:00.5+00:00"]}'
    shown = local_times_in(text)
    assert "+00:00" not in shown and "T10:00" not in shown
    assert _local() in shown
    assert (
        local_times_in("due 2026-12-03, code 2026-12-03T10") == "due 2026-12-03, code 2026-12-03T10"
    )


def test_the_audit_log_shows_changed_times_in_the_staff_zone(session):
    user, _ = make_user(session, "comp.t", ["compliance"])
    principal = auth.resolve(session, sign_in(session, user))
    audit.record(
        session,
        actor="pm",
        action="product_change.edit",
        entity="product_change",
        entity_id=1,
        changes={"effective_at": [MOMENT.isoformat(), None]},
    )
    session.commit()
    rows = audit_log.page(
        session, principal=principal, filters=audit_log.parse_filters({}), lang="en"
    ).rows
    row = next(r for r in rows if r.action == "product_change.edit")
    assert "+00:00" not in row.changes and _local() in row.changes
