"""The API clients as administrators see them: each key's public part, status and end, never
a secret; the form's expiry, rate and overlap read as typed, a bad one refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from backoffice.config import get_settings
from backoffice.domains.integrations import clients, listing
from backoffice.platform.business_time import local_today
from backoffice.security.rbac import Principal

ADMIN = Principal(
    user_id=0,
    username="admin.listing",
    display_name="Admin",
    session_id=0,
    roles=frozenset({"admin"}),
    permissions=frozenset({("api_client", "create"), ("api_client", "manage")}),
)


def test_the_list_shows_each_keys_status_and_no_secret(session: Session):
    platform, first_key = clients.create_client(
        session, actor=ADMIN, name="platform", role="platform", allowed_ips="10.0.0.0/8"
    )
    other, _ = clients.create_client(session, actor=ADMIN, name="crm", role="cs_agent")
    second_key = clients.rotate_key(session, actor=ADMIN, client_id=platform.id, overlap_hours=2)
    clients.revoke_client(session, actor=ADMIN, client_id=other.id)
    session.commit()

    views = listing.list_clients(session)

    assert [(v.name, v.role, v.status) for v in views] == [
        ("crm", "cs_agent", "revoked"),
        ("platform", "platform", "active"),
    ]
    crm, shown = views
    assert shown.allowed_ips == "10.0.0.0/8" and shown.rate_per_minute == 600
    # newest key first: the new one in use, the old one ending after the overlap
    assert [k.status for k in shown.keys] == ["live", "ending"]
    assert shown.keys[0].prefix == second_key[: len("bo_") + 13]
    assert shown.keys[1].prefix == first_key[: len("bo_") + 13]
    assert shown.keys[0].ends_at is None
    ending = shown.keys[1].ends_at - shown.keys[1].created_at
    assert timedelta(hours=1, minutes=59) < ending <= timedelta(hours=2, minutes=1)
    assert [k.status for k in crm.keys] == ["ended"]
    text = repr(views)
    for key in (first_key, second_key):
        assert key.split("_", 2)[2] not in text


def test_the_last_day_ends_at_the_start_of_the_next_in_the_company_calendar():
    today = local_today()
    moment = listing.expiry_from_day(today.isoformat())
    assert moment.tzinfo is not None
    local = moment.astimezone(get_settings().zone)
    assert (local.date(), local.hour, local.minute) == (today + timedelta(days=1), 0, 0)
    assert listing.expiry_from_day("  ") is None


@pytest.mark.parametrize(
    ("parse", "text", "key"),
    [
        (listing.expiry_from_day, "2020-01-01", "api_client.bad_expiry"),
        (listing.expiry_from_day, "next week", "api_client.bad_expiry"),
        (listing.rate_from_text, "0", "api_client.bad_rate"),
        (listing.rate_from_text, "100001", "api_client.bad_rate"),
        (listing.rate_from_text, "ten", "api_client.bad_rate"),
        (listing.overlap_from_text, "1.5", "api_client.bad_overlap"),
    ],
)
def test_a_bad_form_value_is_refused_with_its_reason(parse, text, key):
    with pytest.raises(clients.ClientRefused) as refused:
        parse(text)
    assert refused.value.key == key


def test_good_form_values_are_read_as_typed():
    assert listing.rate_from_text(" 120 ") == 120
    assert listing.overlap_from_text("0") == 0
