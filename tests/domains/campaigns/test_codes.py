"""Campaign codes of their own: typed by marketing when the campaign is drafted (upper-case
letters, digits and dashes, 3 to 20), unique in any case, fixed once the campaign has started;
listed, searched, and the code customers and the platform quote."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from backoffice.domains.campaigns import codes
from backoffice.engine import service
from backoffice.engine.resource import get
from backoffice.i18n import translate
from backoffice.platform.business_time import local_today
from models.audit import AuditEntry
from models.campaigns import Campaign, CampaignStatus
from tests.factories import make_principal
from tests.platform_data import problem

CAMPAIGN = get("campaign")


@pytest.fixture
def marketers(session: Session):
    return (
        make_principal(session, "mkt.a", ["marketing"]),
        make_principal(session, "mkt.b", ["marketing"]),
    )


def _values(code: str, **extra: str) -> dict[str, str]:
    return {
        "code": code,
        "name": "春季理财节",
        "kind": "signup_bonus",
        "channel": "online",
        "start_date": local_today().isoformat(),
        "end_date": (local_today() + timedelta(days=30)).isoformat(),
        "budget": "50000",
        **extra,
    }


def _create(session: Session, who, code: str) -> service.SaveResult:
    result = service.create(session, principal=who, resource=CAMPAIGN, values=_values(code))
    service.discard_if_refused(session, result)
    session.commit()
    return result


def _count(session: Session, model: type) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_a_code_is_required_checked_and_kept_in_upper_case(session, marketers):
    maker, _ = marketers
    entries = _count(session, AuditEntry)
    for bad in ("SP", "SPRING 26", "SPRING_26", "-SPRING", "SPRING-", "春季26", "A.B"):
        refused = _create(session, maker, bad)
        assert refused.errors == {"code": "campaign.code_format"}, bad
    assert _create(session, maker, "S" * 21).errors == {"code": "field.too_long"}
    assert _create(session, maker, "").errors == {"code": "field.required"}
    assert _count(session, Campaign) == 0 and _count(session, AuditEntry) == entries
    for lang in ("zh", "en"):  # the message says what a code is made of
        assert "SPRING26" in translate("campaign.code_format", lang)
    made = _create(session, maker, " spring-26 ")
    assert made.ok, made
    assert session.get(Campaign, made.record_id).code == "SPRING-26"


def test_a_code_another_campaign_holds_is_refused_in_any_case_and_changes_nothing(
    session, marketers
):
    maker, _ = marketers
    first = _create(session, maker, "SPRING26")
    second = _create(session, maker, "AUTUMN26")
    assert first.ok and second.ok
    assert _create(session, maker, "spring26").errors == {"code": "field.taken"}
    assert _count(session, Campaign) == 2
    other = session.get(Campaign, second.record_id)
    moved = service.update(
        session,
        principal=maker,
        resource=CAMPAIGN,
        record_id=other.id,
        version=other.version,
        values={"code": "Spring26"},
    )
    service.discard_if_refused(session, moved)
    session.commit()
    assert moved.errors == {"code": "field.taken"}
    session.refresh(other)
    assert (other.code, other.version) == ("AUTUMN26", 1)
    kept = service.update(  # its own code, sent again with another change, is no clash
        session,
        principal=maker,
        resource=CAMPAIGN,
        record_id=other.id,
        version=1,
        values={"code": "autumn26", "name": "秋季理财节"},
    )
    session.commit()
    assert kept.ok, kept
    assert translate("field.taken", "zh") and translate("field.taken", "en")


def test_a_draft_changes_its_code_but_a_started_campaign_keeps_it(session, marketers):
    maker, checker = marketers
    made = _create(session, maker, "SPRING26")
    draft = session.get(Campaign, made.record_id)
    changed = service.update(
        session,
        principal=maker,
        resource=CAMPAIGN,
        record_id=draft.id,
        version=draft.version,
        values={"code": "SPRING-26"},
    )
    session.commit()
    assert changed.ok, changed
    entry = session.exec(
        sa.select(AuditEntry).where(AuditEntry.action == "campaign.edit")
    ).scalar_one()
    assert "SPRING-26" in str(entry.changes) and "SPRING26" in str(entry.changes)
    for step, who in (("schedule", checker), ("start", checker)):
        session.refresh(draft)
        moved = service.transition(
            session,
            principal=who,
            resource=CAMPAIGN,
            record_id=draft.id,
            version=draft.version,
            transition_key=step,
        )
        session.commit()
        assert moved.ok, (step, moved)
    session.refresh(draft)
    assert draft.status == CampaignStatus.RUNNING
    refused = service.update(
        session,
        principal=maker,
        resource=CAMPAIGN,
        record_id=draft.id,
        version=draft.version,
        values={"code": "SPRING-27"},
    )
    service.discard_if_refused(session, refused)
    session.commit()
    assert refused.message == "workflow.not_editable"
    # and should running campaigns become editable one day, their code still stays
    editable = replace(
        CAMPAIGN,
        workflow=replace(CAMPAIGN.workflow, editable_in=(CampaignStatus.DRAFT, *codes.STARTED)),
    )
    guarded = service.update(
        session,
        principal=maker,
        resource=editable,
        record_id=draft.id,
        version=draft.version,
        values={"code": "SPRING-27", "name": "春季理财节（延长）"},
    )
    service.discard_if_refused(session, guarded)
    session.commit()
    assert guarded.errors == {"code": "campaign.code_fixed"}
    session.refresh(draft)
    assert (draft.code, draft.name, draft.version) == ("SPRING-26", "春季理财节", 4)
    assert codes.live(session, "spring-26", local_today()).id == draft.id


def test_the_list_shows_and_searches_the_code(session, marketers):
    maker, _ = marketers
    for code in ("SPRING26", "AUTUMN26"):
        assert _create(session, maker, code).ok
    assert CAMPAIGN.list_columns[0] == "code"
    found = service.list_page(
        session, principal=maker, resource=CAMPAIGN, query=service.ListQuery(search="spri")
    )
    assert [row["code"] for row in found.rows] == ["SPRING26"]
    assert translate("field.campaign.code", "zh") == "活动代码"


def test_the_api_refuses_a_taken_or_malformed_code_with_its_field(api, session):
    http = api.as_role("marketing")
    created = http.post("/resources/campaign", json=_values("SPRING26"))
    assert created.status_code == 201, created.text
    for code, error in (("spring26", "field.taken"), ("SP RING", "campaign.code_format")):
        body = problem(http.post("/resources/campaign", json=_values(code)), 422, "api.invalid")
        assert [(e["field"], e["code"]) for e in body["errors"]] == [("code", error)]
        assert body["errors"][0]["message"] == translate(error, "en")
    assert _count(session, Campaign) == 1
