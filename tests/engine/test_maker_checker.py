"""Maker ≠ checker on content: whoever created, changed or submitted a record's content since
its last approval may not approve, publish or decide it, in every workflow."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

import backoffice.domains  # noqa: F401  (registers every resource)
from backoffice.engine import service
from backoffice.engine.resource import all_resources, get
from backoffice.engine.workflow import APPROVING_ACTIONS
from backoffice.platform import attachments, audit
from backoffice.platform.business_time import local_today
from backoffice.security.rbac import Principal
from models.audit import AuditEntry
from models.campaigns import Campaign
from models.questionnaire import RiskQuestion
from tests.factories import PDF, disclose, make_principal, make_questionnaire, new_product, take

PRODUCT = get("product")
CAMPAIGN = get("campaign")
QUESTIONNAIRE = get("questionnaire")
QUESTION = get("risk_question")


@pytest.fixture
def pms(session):
    return [make_principal(session, f"pm.{n}", ["product_manager"]) for n in ("a", "b", "c")]


def _edit(session, who, resource, record, **values) -> service.SaveResult:
    session.refresh(record)
    result = service.update(
        session,
        principal=who,
        resource=resource,
        record_id=record.id,
        version=record.version,
        values=values,
    )
    session.commit()
    session.refresh(record)
    return result


def _offered(session, who, resource, record) -> set[str]:
    session.refresh(record)
    return set(
        service.available_transitions(session, principal=who, resource=resource, record=record)
    )


# --- every workflow ---------------------------------------------------------------------------
def test_every_approving_transition_enforces_the_rule_or_states_why(session):
    """An approving transition (action approve or publish, or declared so) is refused to its
    record's maker by the engine, unless it declares a reason for the exemption."""
    everything = frozenset(
        (r.permission, action) for r in all_resources() for action in APPROVING_ACTIONS
    )
    maker = Principal(1, "maker.x", "Maker", 1, frozenset({"admin"}), everything)
    approving = 0
    for resource in all_resources():
        workflow = resource.workflow
        if workflow is None:
            continue
        for step in workflow.transitions:
            declared = step.approving or step.action in APPROVING_ACTIONS
            assert step.is_approving == bool(declared)
            if not step.is_approving:
                continue
            approving += 1
            where = f"{resource.key}.{step.key}"
            if step.maker_checker_exempt:
                assert len(step.maker_checker_exempt.split()) >= 6, f"{where}: say why"
                assert not step.checks_maker
                continue
            assert step.checks_maker, where
            record_id = 10_000 + approving
            audit.record(
                session,
                actor=maker.username,
                action=f"{resource.key}.create",
                entity=resource.key,
                entity_id=record_id,
                changes={},
            )
            session.flush()
            for source in step.sources:
                record = SimpleNamespace(
                    id=record_id, archived_at=None, **{workflow.state_field: source}
                )
                refusal = service.transition_refusal(
                    session,
                    principal=maker,
                    resource=resource,
                    record=record,
                    transition_key=step.key,
                )
                assert refusal == "workflow.maker_checker", where
    session.rollback()
    assert approving >= 15  # products, changes, campaigns, questionnaires, KYC, HR, baselines


def test_workflow_declarations_keep_edits_possible_after_a_send_back():
    for resource in all_resources():
        workflow = resource.workflow
        if workflow is None or not workflow.awaiting_approval:
            continue
        assert workflow.editable(workflow.back_state), resource.key
        for state in workflow.awaiting_approval:
            assert workflow.editable(state), resource.key


# --- products ---------------------------------------------------------------------------------
def test_a_checker_who_edits_a_product_in_review_sends_it_back_and_cannot_publish_it(session, pms):
    maker, checker, third = pms
    product = new_product(session, maker)
    disclose(session, maker, product.id)
    assert take(session, maker, PRODUCT, product, "submit").ok
    assert {"publish", "reject"} <= _offered(session, checker, PRODUCT, product)

    edited = _edit(session, checker, PRODUCT, product, name="稳盈90天（改）")
    assert edited.ok and edited.sent_back
    assert product.status == "draft"  # the approval request is void
    entry = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "product.edit" and '"status": ["in_review", "draft"]' in entry.changes

    assert take(session, maker, PRODUCT, product, "submit").ok
    assert "publish" not in _offered(session, checker, PRODUCT, product)
    barred = {
        who.username
        for who in pms
        if service.barred_as_maker(session, principal=who, resource=PRODUCT, record=product)
    }
    assert barred == {"pm.a", "pm.b"}  # the record page tells them why they see no button
    refused = take(session, checker, PRODUCT, product, "publish")
    assert refused.message == "workflow.maker_checker"
    assert take(session, checker, PRODUCT, product, "reject").message == "workflow.maker_checker"
    assert product.status == "in_review"
    assert take(session, third, PRODUCT, product, "publish").ok
    assert product.status == "on_sale"


def test_a_drafts_b_submits_and_neither_publishes(session, pms):
    drafter, submitter, checker = pms
    product = new_product(session, drafter)
    disclose(session, submitter, product.id)
    assert take(session, submitter, PRODUCT, product, "submit").ok
    for who in (drafter, submitter):
        assert take(session, who, PRODUCT, product, "publish").message == ("workflow.maker_checker")
        assert _offered(session, who, PRODUCT, product) == set()
    assert take(session, checker, PRODUCT, product, "publish").ok


def test_a_send_back_keeps_the_makers_and_an_approval_starts_a_new_round(session, pms):
    maker, checker, third = pms
    product = new_product(session, maker)
    disclose(session, maker, product.id)
    take(session, maker, PRODUCT, product, "submit")
    assert take(session, checker, PRODUCT, product, "reject").ok
    assert _edit(session, third, PRODUCT, product, name="改名").ok
    assert take(session, maker, PRODUCT, product, "submit").ok
    # the maker's content is still there after the send-back; the third person changed it
    assert take(session, maker, PRODUCT, product, "publish").message == "workflow.maker_checker"
    assert take(session, third, PRODUCT, product, "publish").message == "workflow.maker_checker"
    assert take(session, checker, PRODUCT, product, "publish").ok
    # a new round: the maker may resume what someone else changed, not what he changed
    assert take(session, maker, PRODUCT, product, "suspend").ok  # exempt: risk control
    assert take(session, maker, PRODUCT, product, "resume").ok
    assert _edit(session, third, PRODUCT, product, description="新说明").ok
    assert take(session, maker, PRODUCT, product, "suspend").ok
    assert take(session, third, PRODUCT, product, "resume").message == "workflow.maker_checker"
    assert take(session, maker, PRODUCT, product, "resume").ok


def test_an_attachment_is_content_and_sends_a_product_in_review_back(session, pms):
    maker, checker, _third = pms
    product = new_product(session, maker)
    disclose(session, maker, product.id)
    take(session, maker, PRODUCT, product, "submit")
    version = product.version
    _item, problem = attachments.add(
        session,
        principal=checker,
        resource=PRODUCT,
        record_id=product.id,
        filename="prospectus-v2.pdf",
        data=PDF,
        category="prospectus",
    )
    session.commit()
    session.refresh(product)
    assert problem == "" and product.status == "draft" and product.version == version + 1
    assert "pm.b" in service.makers(session, PRODUCT, product)


# --- questionnaires: the questions are part of the content ----------------------------------
def test_who_edits_a_question_of_a_questionnaire_cannot_approve_it(session):
    author, question_editor, checker = (
        make_principal(session, f"kyc.{n}", ["compliance"]) for n in ("a", "b", "c")
    )
    make_questionnaire(session, status="active", number=1)
    draft = make_questionnaire(session, status="draft", number=2)
    audit.record(
        session,
        actor=author.username,
        action="questionnaire.new_version",
        entity="questionnaire",
        entity_id=draft.id,
        changes={},
    )
    session.commit()
    record = session.exec(
        select(RiskQuestion).where(RiskQuestion.questionnaire_id == draft.id)
    ).first()
    assert _edit(session, question_editor, QUESTION, record, text_en="Reworded").ok
    assert _edit(session, author, QUESTIONNAIRE, draft, change_note="reworded a question").ok
    assert take(session, author, QUESTIONNAIRE, draft, "submit").ok
    for who in (author, question_editor):
        assert take(session, who, QUESTIONNAIRE, draft, "activate").message == (
            "workflow.maker_checker"
        )
    # an edit while it waits voids the request: back to draft, where it may be edited
    assert _edit(session, checker, QUESTIONNAIRE, draft, title_en="Risk profile v2").sent_back
    assert draft.status == "draft"
    assert take(session, author, QUESTIONNAIRE, draft, "submit").ok
    assert take(session, checker, QUESTIONNAIRE, draft, "activate").message == (
        "workflow.maker_checker"
    )


# --- random users, records and steps --------------------------------------------------------
CHECKED = {"product": {"publish", "reject", "resume"}, "campaign": {"schedule"}}
APPROVALS = {"product": {"publish", "resume"}, "campaign": {"schedule"}}
SUBMISSIONS = {"product": {"submit"}}
STEPS = {
    "product": ["submit", "reject", "publish", "suspend", "resume", "close"],
    "campaign": ["schedule", "start", "cancel"],
}


def _new_campaign(session, maker) -> Campaign:
    created = service.create(
        session,
        principal=maker,
        resource=CAMPAIGN,
        values={
            "code": f"CB-{uuid.uuid4().hex[:6]}",
            "name": f"返现-{uuid.uuid4().hex[:6]}",
            "kind": "signup_bonus",
            "channel": "online",
            "start_date": str(local_today() + timedelta(days=30)),
            "end_date": str(local_today() + timedelta(days=60)),
            "budget": "50000",
        },
    )
    assert created.ok, created
    session.commit()
    return session.get(Campaign, created.record_id)


@pytest.fixture
def marketers(session):
    return [make_principal(session, f"mkt.{n}", ["marketing"]) for n in ("a", "b", "c")]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    kinds=st.lists(st.sampled_from(["product", "campaign"]), min_size=1, max_size=3),
)
def test_nobody_ever_approves_content_they_made_since_its_last_approval(
    session, pms, marketers, data, kinds
):
    """Creates, edits, submissions and decisions by random users on several records: a
    decision is refused as maker ≠ checker exactly when the caller made the content since
    its last approval (kept here independently of the engine), and an edit of a record
    waiting for approval sends it back."""
    people = {"product": pms, "campaign": marketers}
    records = []
    for kind in kinds:
        maker = data.draw(st.sampled_from(people[kind]))
        if kind == "product":
            record = new_product(session, maker)
            discloser = data.draw(st.sampled_from(people[kind]))
            disclose(session, discloser, record.id)
            made = {maker.username, discloser.username}
        else:
            record = _new_campaign(session, maker)
            made = {maker.username}
        records.append((kind, record, made))
    for _ in range(data.draw(st.integers(0, 20))):
        kind, record, made = records[data.draw(st.integers(0, len(records) - 1))]
        resource = get(kind)
        workflow = resource.workflow
        who = data.draw(st.sampled_from(people[kind]))
        session.refresh(record)
        before = record.status
        if data.draw(st.integers(0, 3)) == 0:  # an edit, else a step
            result = _edit(session, who, resource, record, name=f"改-{uuid.uuid4().hex[:6]}")
            if result.ok:
                made.add(who.username)
                if before in workflow.awaiting_approval:
                    assert record.status == workflow.back_state
            else:
                assert record.status == before
        else:
            possible = [t.key for t in workflow.available_from(before) if t.key in STEPS[kind]]
            key = data.draw(st.sampled_from(possible or STEPS[kind]))
            result = take(session, who, resource, record, key)
            if key in CHECKED[kind] and before in workflow.get(key).sources:
                refused_as_maker = result.message == "workflow.maker_checker"
                assert refused_as_maker == (who.username in made), (key, who.username, made)
            if result.ok:
                assert key not in CHECKED[kind] or who.username not in made
                if key in APPROVALS[kind]:
                    made.clear()
                if key in SUBMISSIONS.get(kind, ()):
                    made.add(who.username)
            else:
                assert record.status == before
        assert service.makers(session, resource, record) == made
