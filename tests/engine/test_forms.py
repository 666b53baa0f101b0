"""The engine's forms mark a field required only where the person filling in the form can
fill it in: never a read-only, computed or workflow-set field (a new ticket's 状态)."""

from __future__ import annotations

import pytest

import backoffice.domains  # noqa: F401
from backoffice.engine import service
from backoffice.engine.resource import all_resources, get
from backoffice.security import auth, rbac
from tests.factories import make_user, run, sign_in, state_for

RESOURCES = sorted(all_resources(), key=lambda r: r.key)


@pytest.fixture
def everyone(session):
    """A user holding every role: every form opens for them."""
    user, _ = make_user(session, "all.roles", list(rbac.STAFF_ROLES))
    return user, auth.resolve(session, sign_in(session, user))


def test_no_create_form_marks_a_field_it_does_not_let_the_user_fill(session, everyone):
    from state.resource import ResourceRecordState

    user, principal = everyone
    opened = 0
    for resource in RESOURCES:
        if not principal.can(resource.permission, "create"):
            continue
        page = state_for(session, user, ResourceRecordState, f"{resource.route}/record?id=new")
        run(ResourceRecordState.event_handlers["open"].fn(page, resource.key))
        if not resource.creatable:  # made by the portal's flows only: no new-record form
            assert not page.fields and not page.is_new, resource.key
            continue
        assert page.fields, resource.key
        opened += 1
        wrong = [f["name"] for f in page.fields if f["required"] and not f["editable"]]
        assert wrong == [], f"{resource.key}: required but read-only {wrong}"
    assert opened > 30
    # the new ticket's state is set by its workflow, never typed
    page = state_for(session, user, ResourceRecordState, "/r/ticket/record?id=new")
    run(ResourceRecordState.event_handlers["open"].fn(page, "ticket"))
    status = next(f for f in page.fields if f["name"] == "status")
    assert not status["required"] and not status["editable"]


def test_no_edit_form_in_any_state_marks_a_field_it_does_not_let_the_user_fill(session, everyone):
    """Every resource, every workflow state, archived or not: a field marked required is an
    input of a form the user can save."""
    _user, principal = everyone
    for resource in RESOURCES:
        states = resource.workflow.states if resource.workflow else ("",)
        for state, archived in [(s, a) for s in states for a in (False, True)]:
            record = resource.model()
            if resource.workflow:
                setattr(record, resource.workflow.state_field, state)
            if archived and "archived_at" not in resource.model.model_fields:
                continue
            if archived:
                record.archived_at = service.utcnow()
            marked = [
                s for s in resource.fields if service.marks_required(principal, resource, s, record)
            ]
            assert all(service.field_editable(principal, resource, s, record) for s in marked)
            if archived or not service.editable_now(resource, record):
                assert marked == [], (resource.key, state)


def test_a_read_only_required_field_is_not_marked_but_an_input_is():
    ticket = get("ticket")
    status, subject = ticket.field("status"), ticket.field("subject")
    assert status.required and subject.required
    boss = rbac.Principal(
        user_id=1,
        username="x",
        display_name="X",
        session_id=1,
        roles=frozenset({"cs_lead"}),
        permissions=frozenset({("ticket", "create"), ("ticket", "edit"), ("ticket", "view")}),
    )
    assert not service.marks_required(boss, ticket, status, None)
    assert service.marks_required(boss, ticket, subject, None)
