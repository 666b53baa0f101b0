"""Customer-service tickets: routing, SLA over business hours with pauses, the conversation,
reopening, merging, ratings, escalation, reports, and no lost updates between two agents."""

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import select

import backoffice.domains  # noqa: F401
from backoffice.domains.tickets import rules as desk
from backoffice.engine import service, transfer
from backoffice.engine.resource import get
from backoffice.platform import attachments
from backoffice.platform.business_time import Calendar
from backoffice.security import auth
from models.audit import AuditEntry
from models.base import utcnow
from models.hr import Employee, Team
from models.identity import User
from models.notifications import Notification
from models.products import Product
from models.tickets import (
    AssignmentRule,
    BusinessHoliday,
    CannedReply,
    SlaPolicy,
    Ticket,
    TicketSlaBreach,
)
from models.transactions import Transaction
from tests.factories import (
    assert_refused_as_stale,
    make_customer,
    make_partner,
    make_product,
    make_user,
    open_ticket,
    rename,
    sign_in,
    take,
)

TICKET = get("ticket")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), SHANGHAI)


CALENDAR = Calendar(
    start=time(9),
    end=time(18),
    weekdays=frozenset(range(1, 6)),
    zone=SHANGHAI,
    holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
    extra_workdays=frozenset({date(2026, 10, 10)}),  # a Saturday worked instead
)


def test_business_minutes_skip_nights_weekends_and_holidays_but_count_worked_saturdays():
    # Friday 17:30 + 60 working minutes: 30 on Friday, 30 on Monday morning
    assert CALENDAR.add(_local("2026-11-20", "17:30"), 60) == _local("2026-11-23", "09:30")
    # opened at night: the clock starts at 09:00
    assert CALENDAR.add(_local("2026-11-24", "22:00"), 15) == _local("2026-11-25", "09:15")
    # Wednesday 30 Sept 17:00 + 2 h: Thursday and Friday are holidays → Monday 5 Oct 10:00
    assert CALENDAR.add(_local("2026-09-30", "17:00"), 120) == _local("2026-10-05", "10:00")
    # Friday 9 Oct 17:00 + 2 h lands on the worked Saturday
    assert CALENDAR.add(_local("2026-10-09", "17:00"), 120) == _local("2026-10-10", "10:00")
    assert CALENDAR.between(_local("2026-11-20", "17:00"), _local("2026-11-23", "10:00")) == (
        timedelta(hours=2)
    )
    assert CALENDAR.between(_local("2026-11-23", "10:00"), _local("2026-11-23", "09:00")) == (
        timedelta(0)
    )


def _member(session, username, roles, team_code):
    """A signed-in account linked to a new employee of the team with that code."""
    team = session.exec(select(Team).where(Team.code == team_code)).one()
    user, _ = make_user(session, username, roles)
    employee = Employee(employee_no=f"E-{username}", name=username, team_id=team.id,
                        position="客服", hire_date=date(2025, 1, 1))  # fmt: skip
    session.add(employee)
    session.flush()
    user.employee_id = employee.id
    session.add(user)
    session.commit()
    return auth.resolve(session, sign_in(session, user))


def test_new_tickets_are_numbered_timed_and_routed_round_robin_within_the_team(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    opened = [open_ticket(session, lead, customer) for _ in range(3)]
    assert [t.assignee for t in opened] == [
        "cs.a1",
        "cs.a2",
        "cs.a1",
    ]  # a lead and cs.a3 (another team) are not routed to
    first = opened[0]
    assert first.status == "assigned" and first.team_id == desk_setup["team"].id
    assert first.ticket_no.startswith("S")
    opened_at = first.created_at
    assert abs(first.first_response_due - opened_at - timedelta(minutes=60)) < timedelta(seconds=1)
    assert abs(first.resolution_due - opened_at - timedelta(minutes=480)) < timedelta(seconds=1)
    # the customer's words open the conversation; the routing is audited as the system's
    thread = desk.conversation(session, first.id)
    assert [(m.kind, m.body) for m, _no in thread] == [
        ("customer", "客户来电：登录时提示密码错误。")
    ]
    routed = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "ticket.auto_assign", AuditEntry.entity_id == str(first.id)
        )
    ).one()
    assert routed.actor == "system"


def test_least_loaded_routing_and_manual_rules(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    open_ticket(session, lead, customer)  # round robin → a1 has one open ticket
    complaint = open_ticket(session, lead, customer, category="complaint")
    assert complaint.assignee == "cs.a2"  # fewer open tickets than a1
    left = open_ticket(session, lead, customer, category="other")
    assert (left.assignee, left.status) == ("", "new")  # manual: waits in the team queue
    no_rule = open_ticket(session, lead, customer, category="transaction")
    assert no_rule.assignee == "" and no_rule.team_id is None


def test_a_reply_is_the_first_response_and_a_note_never_is(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    desk.post(session, a1, ticket.id, "note", "已核实身份")
    session.commit()
    session.refresh(ticket)
    assert ticket.first_responded_at is None and ticket.status == "assigned"
    desk.post(session, a1, ticket.id, "reply", "您好，已为您重置密码")
    session.commit()
    session.refresh(ticket)
    assert ticket.first_responded_at is not None and ticket.status == "in_progress"
    with pytest.raises(desk.TicketError, match=r"ticket\.empty_message"):
        desk.post(session, a1, ticket.id, "reply", "   ")
    # another agent may not reply on a1's ticket; the lead may
    with pytest.raises(desk.TicketError, match=r"ticket\.not_yours"):
        desk.post(session, desk_setup["cs.a2"], ticket.id, "reply", "我来回复")
    desk.post(session, lead, ticket.id, "reply", "主管补充说明")
    session.commit()
    assert [m.kind for m, _ in desk.conversation(session, ticket.id)] == [
        "customer", "note", "reply", "reply",
    ]  # fmt: skip


def test_waiting_on_the_customer_pauses_the_resolution_clock(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    refused = take(session, a1, TICKET, ticket, "take")
    assert refused.ok
    assert take(session, a1, TICKET, ticket, "wait").message == "ticket.reply_first"
    desk.post(session, a1, ticket.id, "reply", "请提供截图")
    session.commit()
    assert take(session, a1, TICKET, ticket, "wait").ok
    due_before = ticket.resolution_due
    # the customer answers three hours later: the target moves by those three hours
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(waiting_since=utcnow() - timedelta(hours=3))
    )
    session.commit()
    desk.post(session, a1, ticket.id, "customer", "截图已发送")
    session.commit()
    session.refresh(ticket)
    assert ticket.status == "in_progress" and ticket.waiting_since is None
    moved = ticket.resolution_due - due_before
    assert timedelta(hours=2, minutes=59) < moved < timedelta(hours=3, minutes=1)


def test_resolve_needs_a_note_and_reopen_only_within_the_window(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    desk.post(session, a1, ticket.id, "reply", "已处理")
    session.commit()
    assert take(session, a1, TICKET, ticket, "resolve").message == "workflow.missing_fields"
    saved = service.update(
        session,
        principal=a1,
        resource=TICKET,
        record_id=ticket.id,
        version=ticket.version,
        values={"resolution_note": "已重置密码"},
    )
    assert saved.ok
    session.commit()
    assert take(session, a1, TICKET, ticket, "resolve").ok
    assert ticket.resolved_at is not None
    resolved = session.exec(
        select(AuditEntry).where(AuditEntry.action == "ticket.transition.resolve")
    ).one()
    assert "resolved_at" in resolved.changes  # the effect is audited with the state
    with pytest.raises(desk.TicketError, match=r"ticket\.reopen_first"):
        desk.post(session, a1, ticket.id, "reply", "再补充一句")
    # the customer writes again within the window: the ticket reopens
    desk.post(session, a1, ticket.id, "customer", "还是登录不了")
    session.commit()
    session.refresh(ticket)
    assert (ticket.status, ticket.reopened_count, ticket.resolved_at) == ("in_progress", 1, None)
    # resolved eight days ago with a seven-day window: reopening is refused
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(status="resolved", resolved_at=utcnow() - timedelta(days=8))
    )
    session.commit()
    assert take(session, lead, TICKET, ticket, "reopen").message == "ticket.reopen_window_over"
    with pytest.raises(desk.TicketError, match=r"ticket\.reopen_window_over"):
        desk.post(session, a1, ticket.id, "customer", "又出问题了")


def test_the_escalation_job_records_each_breach_once_and_raises_priority(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    other_lead = _member(session, "mk.lead", ["cs_lead"], "marketing")
    late = open_ticket(session, lead, customer)
    waiting = open_ticket(session, lead, customer)
    on_time = open_ticket(session, lead, customer)
    past = utcnow() - timedelta(minutes=5)
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id.in_((late.id, waiting.id)))
        .values(first_response_due=past, resolution_due=past)
    )
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == waiting.id)
        .values(status="waiting_customer", first_responded_at=past)
    )
    session.commit()
    assert desk.escalate_breaches(session) == "2 breaches"  # first response and resolution
    session.commit()
    for ticket in (late, waiting, on_time):
        session.refresh(ticket)
    assert late.priority == "urgent"  # normal → high → urgent, one step per breach
    assert late.first_response_breached_at is not None
    assert waiting.priority == "normal" and on_time.priority == "normal"  # paused; not due
    breaches = session.exec(select(TicketSlaBreach).order_by(TicketSlaBreach.id)).all()
    assert [(b.target, b.priority_before, b.priority_after) for b in breaches] == [
        ("first_response", "normal", "high"),
        ("resolution", "high", "urgent"),
    ]
    told = session.exec(select(Notification.user_id, Notification.link)).all()
    assert (desk_setup["cs.lead"].user_id, f"/tickets/workspace?id={late.id}") in told
    assert desk_setup["cs.a1"].user_id in {user for user, _ in told}  # the agent too
    assert other_lead.user_id not in {user for user, _ in told}  # another team's lead is not
    assert desk.escalate_breaches(session) == "0 breaches"


def test_merging_a_duplicate_keeps_its_conversation_on_the_other_ticket(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    first = open_ticket(session, lead, customer)
    duplicate = open_ticket(session, lead, customer, subject="登录不了（重复）")
    stranger = open_ticket(session, lead, make_customer(session, "李四", "11010519491231002X"))
    with pytest.raises(desk.TicketError, match=r"ticket\.merge_other_customer"):
        desk.merge(session, lead, duplicate.id, stranger.ticket_no)
    with pytest.raises(desk.TicketError, match=r"ticket\.merge_self"):
        desk.merge(session, lead, duplicate.id, duplicate.ticket_no)
    desk.merge(session, lead, duplicate.id, first.ticket_no.lower())
    session.commit()
    session.refresh(duplicate)
    assert duplicate.status == "closed" and duplicate.merged_into_id == first.id
    numbers = [no for _m, no in desk.conversation(session, first.id)]
    assert numbers.count(duplicate.ticket_no) == 2  # its customer message and the merge note
    with pytest.raises(desk.TicketError, match=r"ticket\.merged"):
        desk.post(session, a1, duplicate.id, "note", "写在已合并的工单上")
    assert take(session, lead, TICKET, duplicate, "reopen").message == "ticket.merged"


def test_satisfaction_is_recorded_after_resolution_only(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    with pytest.raises(desk.TicketError, match=r"ticket\.rate_after_resolution"):
        desk.rate(session, a1, ticket.id, "5", "")
    session.execute(
        sa.update(Ticket).where(Ticket.id == ticket.id).values(status="resolved",
                                                               resolved_at=utcnow())
    )  # fmt: skip
    session.commit()
    for bad in ("0", "6", "four", ""):
        with pytest.raises(desk.TicketError, match=r"ticket\.rating_range"):
            desk.rate(session, a1, ticket.id, bad, "")
    desk.rate(session, a1, ticket.id, "4", "处理及时")
    session.commit()
    session.refresh(ticket)
    assert (ticket.satisfaction, ticket.satisfaction_comment) == (4, "处理及时")
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.rate")).one()


def test_two_agents_on_one_ticket_lose_nothing(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    seen = ticket.version  # a1 opened the ticket …
    desk.post(session, lead, ticket.id, "note", "主管：客户是VIP")  # … the lead writes meanwhile
    session.commit()
    stale = service.transition(
        session,
        principal=a1,
        resource=TICKET,
        record_id=ticket.id,
        version=seen,
        transition_key="take",
    )
    assert stale.message == "record.stale_by" and stale.message_params["who"] == "Cs.Lead"
    edit = service.update(
        session,
        principal=a1,
        resource=TICKET,
        record_id=ticket.id,
        version=seen,
        values={"priority": "high"},
    )
    assert edit.message == "record.stale_by"
    session.rollback()
    with pytest.raises(desk.TicketError, match=r"record\.stale_by"):
        desk.reassign(session, lead, ticket.id, "cs.a2", seen)
    session.rollback()
    desk.post(session, a1, ticket.id, "reply", "您好")
    session.commit()
    assert len(desk.conversation(session, ticket.id)) == 3  # both writers' messages are kept


def test_only_leads_reassign_and_only_to_agents(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    with pytest.raises(desk.TicketError, match=r"auth\.denied"):
        desk.reassign(session, a1, ticket.id, "cs.a1", ticket.version)
    with pytest.raises(desk.TicketError, match=r"ticket\.not_an_agent"):
        desk.reassign(session, lead, ticket.id, "nobody", ticket.version)
    desk.reassign(session, lead, ticket.id, "cs.a2", ticket.version)
    session.commit()
    session.refresh(ticket)
    assert ticket.assignee == "cs.a2"
    # a2 now owns it: a1 can no longer take it, a2 can
    assert take(session, a1, TICKET, ticket, "take").message == "ticket.not_yours"
    assert take(session, desk_setup["cs.a2"], TICKET, ticket, "take").ok


def test_canned_replies_fill_placeholders_and_refuse_unknown_ones(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    reply = CannedReply(title="问候", body="{customer_name}您好，工单 {ticket_no}：{subject}")
    session.add(reply)
    session.commit()
    text = desk.render(reply, ticket, customer, "周婷")
    assert text == f"张*您好，工单 {ticket.ticket_no}：无法登录"  # masked: no gender on file
    bad = service.create(
        session,
        principal=lead,
        resource=get("canned_reply"),
        values={"title": "错字", "body": "{customer_nmae}您好"},
    )
    assert bad.errors == {"body": "ticket.unknown_placeholder"}


def test_business_hours_policy_and_holidays_set_the_targets(session, desk_setup):
    session.execute(sa.update(SlaPolicy).values(business_hours=True))
    session.add(BusinessHoliday(day=date(2030, 1, 1), name="元旦"))
    session.commit()
    opened = datetime(2029, 12, 31, 17, 30, tzinfo=SHANGHAI).astimezone(UTC)  # Monday
    targets = desk.targets(session, "normal", opened)
    # 60 minutes: 30 on Monday, the holiday is skipped, 30 on Wednesday
    assert targets["first_response_due"] == datetime(2030, 1, 2, 9, 30, tzinfo=SHANGHAI)


def test_the_report_measures_volume_times_compliance_and_satisfaction(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    met, missed = open_ticket(session, lead, customer), open_ticket(session, lead, customer)
    now = utcnow()
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == met.id)
        .values(first_responded_at=met.created_at + timedelta(minutes=30),
                resolved_at=met.created_at + timedelta(hours=2), satisfaction=5)
    )  # fmt: skip
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == missed.id)
        .values(first_responded_at=missed.created_at + timedelta(minutes=90),
                resolved_at=missed.created_at + timedelta(hours=10), satisfaction=2)
    )  # fmt: skip
    session.commit()
    today = now.astimezone(SHANGHAI).date()
    rows, total = desk.report(session, lead, today, today, "assignee")
    assert [(r.key, r.volume) for r in rows] == [("cs.a1", 1), ("cs.a2", 1)]
    assert total.volume == 2 and total.resolved == 2
    assert total.avg_first_response_minutes == pytest.approx(60)
    assert total.first_response_compliance == pytest.approx(0.5)
    assert total.resolution_compliance == pytest.approx(0.5)
    assert total.satisfaction == pytest.approx(3.5)
    with pytest.raises(desk.TicketError):
        desk.report(session, lead, today, today - timedelta(days=1), "assignee")


def test_the_report_names_agents_and_its_file_is_audited_with_label_headers(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    agent = session.exec(select(User).where(User.username == "cs.a1")).one()
    agent.display_name = "王小明"
    session.add(agent)
    session.commit()
    open_ticket(session, lead, customer)
    open_ticket(session, lead, customer)
    today = utcnow().astimezone(SHANGHAI).date()
    table = desk.report_table(session, lead, today, today, "assignee", "zh")
    assert table.names == ["王小明", "Cs.A2"]  # display names, never login names
    assert "cs.a1" not in str(table.cells) and table.total_cells["key"] == "合计"
    assert table.total_cells["first_response"] == "—"
    file = desk.export_report(
        principal=lead, start=today, end=today, by="assignee", lang="zh", client="t"
    )
    lines = file.data.decode("utf-8-sig").splitlines()
    assert (
        lines[0]
        == "按处理人,工单量,已解决,平均首次响应,平均解决用时,首响达标率,解决达标率,满意度（评价数）"
    )
    assert "王小明,1,0" in file.data.decode("utf-8-sig") and "cs.a1" not in lines[1] + lines[2]
    english = desk.export_report(principal=lead, start=today, end=today, by="team", lang="en")
    assert english.data.decode("utf-8-sig").splitlines()[1].startswith("Customer service,2,")
    session.commit()  # a fresh read: the files were audited in scopes of their own
    entries = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "tickets.report_export")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.actor, json.loads(e.changes)["rows"][1]) for e in entries] == [
        ("cs.lead", 2),
        ("cs.lead", 1),
    ]
    agent_principal = desk_setup["cs.a1"]
    with pytest.raises(desk.TicketError):
        desk.export_report(principal=agent_principal, start=today, end=today, by="team", lang="zh")
    assert (
        len(
            session.exec(
                select(AuditEntry).where(AuditEntry.action == "tickets.report_export")
            ).all()
        )
        == 2
    )


def test_the_customer_panel_shows_holdings_and_past_tickets(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    earlier = open_ticket(session, lead, customer, subject="更早的工单")
    ticket = open_ticket(session, lead, customer)
    pm, _ = make_user(session, "pm.t", ["product_manager"])
    pm = auth.resolve(session, sign_in(session, pm))
    product = session.get(Product, make_product(session, pm, make_partner(session, pm)))
    for n, (kind, amount, status) in enumerate(
        (
            ("subscription", "50000.00", "settled"),
            ("redemption", "20000.00", "settled"),
            ("subscription", "99999.00", "failed"),  # never held
        )
    ):
        session.add(
            Transaction(txn_no=f"T{n}", customer_id=customer.id, product_id=product.id, kind=kind,
                        amount=Decimal(amount), status=status, occurred_at=utcnow())
        )  # fmt: skip
    session.commit()
    context = desk.customer_context(session, lead, customer.id, ticket.id)
    assert context.holdings == [("稳盈90天", Decimal("30000.00"))]
    assert [t.id for t in context.past] == [earlier.id]  # the ticket itself is not "past"


def test_a_resolved_ticket_closes_by_itself_after_the_configured_days(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    old, fresh = open_ticket(session, lead, customer), open_ticket(session, lead, customer)
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == old.id)
        .values(status="resolved", resolved_at=utcnow() - timedelta(days=4))
    )
    session.execute(
        sa.update(Ticket).where(Ticket.id == fresh.id).values(status="resolved",
                                                              resolved_at=utcnow())
    )  # fmt: skip
    session.commit()
    assert desk.close_resolved(session) == "closed 1"
    session.commit()
    session.refresh(old)
    assert old.status == "closed" and old.closed_at is not None
    session.refresh(fresh)
    assert fresh.status == "resolved"


def test_the_queues_put_the_most_urgent_due_time_first(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    later, sooner = open_ticket(session, lead, customer), open_ticket(session, lead, customer)
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == sooner.id)
        .values(first_response_due=utcnow() - timedelta(minutes=1))
    )
    manual = open_ticket(session, lead, customer, category="other")
    session.commit()
    assert [t.id for t in desk.queue(session, a1, "mine", 10)] == [later.id]  # sooner is cs.a2's
    team = [t.id for t in desk.queue(session, lead, "team", 10)]
    assert team[:2] == [sooner.id, later.id] and manual.id in team
    assert [t.id for t in desk.queue(session, a1, "unassigned", 10)] == [manual.id]


def test_auto_close_works_in_committed_batches_and_audits_each_ticket(session, desk_setup):
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    stale = [open_ticket(session, lead, customer) for _ in range(5)]
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id.in_([t.id for t in stale]))
        .values(status="resolved", resolved_at=utcnow() - timedelta(days=30))
    )
    session.commit()
    assert desk.close_resolved(session, batch=2) == "closed 5"
    statuses = session.exec(select(Ticket.status).where(Ticket.id.in_([t.id for t in stale])))
    assert set(statuses.all()) == {"closed"}
    audited = session.exec(
        select(AuditEntry.entity_id).where(AuditEntry.action == "ticket.auto_close")
    ).all()
    assert sorted(int(i) for i in audited) == sorted(t.id for t in stale)
    assert desk.close_resolved(session, batch=2) == "closed 0"  # a rerun changes nothing


def test_a_stale_ticket_write_names_who_changed_it_and_the_fields_by_label(session, desk_setup):
    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    rename(session, "cs.a1", "周婷")
    ticket = open_ticket(session, lead, customer)
    desk.post(session, a1, ticket.id, "reply", "您好，请提供截图")
    session.commit()
    session.refresh(ticket)
    seen = ticket.version  # the lead opened the ticket here …
    waited = service.transition(  # … and 周婷 put it on waiting meanwhile
        session,
        principal=a1,
        resource=TICKET,
        record_id=ticket.id,
        version=seen,
        transition_key="wait",
    )
    assert waited.ok, waited.message
    session.commit()
    before = session.exec(select(AuditEntry.id)).all()
    with pytest.raises(desk.TicketError) as refused:
        desk.reassign(session, lead, ticket.id, "cs.a2", seen)
    session.rollback()
    status = TICKET.field("status")
    assert_refused_as_stale(
        refused.value.key,
        refused.value.params,
        who="周婷",
        fields=[(status.label("zh"), status.label("en")), ("等待客户起始时间", "Waiting since")],
    )
    session.refresh(ticket)
    assert (ticket.assignee, ticket.status, ticket.version) == (
        "cs.a1",
        "waiting_customer",
        seen + 1,
    )
    assert session.exec(select(AuditEntry.id)).all() == before


def _ids(session, principal, queue=""):
    page = service.list_page(
        session, principal=principal, resource=TICKET, query=service.ListQuery(queue=queue)
    )
    return {int(row["id"]) for row in page.rows}


@pytest.fixture
def two_teams(session, desk_setup):
    """Besides desk_setup's team: transactions routed to the other team (its agent cs.a3), and a
    ticket no rule routes (investment advice)."""
    other = session.exec(select(Team).where(Team.code == "marketing")).one()
    session.add(AssignmentRule(category="transaction", team_id=other.id, method="round_robin"))
    session.commit()
    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    ours = open_ticket(session, lead, customer)  # to cs.a1
    queued = open_ticket(session, lead, customer, category="other")  # the team queue, unassigned
    theirs = open_ticket(session, lead, customer, category="transaction", subject="转账失败")
    unrouted = open_ticket(session, lead, customer, category="investment_consultation")
    boss, _ = make_user(session, "ceo.t", ["executive"])
    return {
        **desk_setup,
        "ours": ours,
        "queued": queued,
        "theirs": theirs,
        "unrouted": unrouted,
        "executive": auth.resolve(session, sign_in(session, boss)),
    }


def test_agents_see_their_teams_tickets_leads_theirs_and_the_unrouted(session, two_teams):
    t = two_teams
    ours, queued, theirs, unrouted = (t[k].id for k in ("ours", "queued", "theirs", "unrouted"))
    assert (t["theirs"].team_id, t["theirs"].assignee) != (t["team"].id, "")
    assert t["queued"].assignee == "" and t["queued"].team_id == t["team"].id
    assert _ids(session, t["cs.a1"]) == {ours, queued}
    assert _ids(session, t["cs.a2"]) == {ours, queued}
    assert _ids(session, t["cs.a3"]) == {theirs}
    assert _ids(session, t["cs.lead"]) == {ours, queued, unrouted}
    assert _ids(session, t["executive"]) == {ours, queued, theirs, unrouted}  # read-only
    assert _ids(session, t["cs.a1"], "unassigned") == {queued}
    for name in desk.QUEUES:
        assert theirs not in {x.id for x in desk.queue(session, t["cs.a1"], name, 50)}
    assert {x.id for x in desk.queue(session, t["cs.a1"], "team", 50)} == {ours, queued}
    # the customer panel's earlier tickets: only those the agent may open
    context = desk.customer_context(session, t["cs.a1"], t["customer"].id, ours)
    assert {x.id for x in context.past} == {queued}


def test_another_teams_ticket_is_refused_like_a_missing_one_and_nothing_changes(session, two_teams):
    a1, theirs = two_teams["cs.a1"], two_teams["theirs"]
    before = (theirs.version, theirs.status, theirs.assignee)
    messages = len(desk.conversation(session, theirs.id))
    with pytest.raises(service.EngineError, match=r"error\.not_found"):
        service.load(session, principal=a1, resource=TICKET, record_id=theirs.id)
    with pytest.raises(service.EngineError, match=r"error\.not_found"):
        service.load(session, principal=a1, resource=TICKET, record_id=10**6)  # the same answer
    with pytest.raises(service.EngineError, match=r"error\.not_found"):
        take(session, a1, TICKET, theirs, "take")
    session.rollback()
    for attempt in (
        lambda: desk.post(session, a1, theirs.id, "reply", "您好"),
        lambda: desk.post(session, a1, theirs.id, "note", "看一下"),
        lambda: desk.rate(session, a1, theirs.id, 5, ""),
    ):
        with pytest.raises(desk.TicketError, match=r"error\.not_found"):
            attempt()
        session.rollback()
    with pytest.raises(desk.TicketError, match=r"ticket\.merge_target_missing"):
        desk.merge(session, a1, two_teams["ours"].id, theirs.ticket_no)
    session.rollback()
    session.refresh(theirs)
    assert (theirs.version, theirs.status, theirs.assignee) == before
    assert len(desk.conversation(session, theirs.id)) == messages
    assert desk.visible(session, a1, theirs.id) is None
    assert desk.visible(session, two_teams["cs.a3"], theirs.id) is not None
    with pytest.raises(service.EngineError, match=r"error\.not_found"):
        attachments.listing(session, principal=a1, resource=TICKET, record_id=theirs.id)
    lead = two_teams["cs.lead"]  # agents do not export; a lead's export is their teams'
    exported, _name, rows = transfer.export_view(
        session, principal=lead, resource=TICKET, query=service.ListQuery(), lang="en", fmt="csv"
    )
    assert rows == 3 and theirs.ticket_no.encode() not in exported
    session.rollback()


def test_the_workspace_opens_only_the_agents_teams_tickets(session, two_teams):
    from state.tickets import TicketDeskState
    from tests.factories import run, state_for

    agent = session.exec(select(User).where(User.username == "cs.a1")).one()
    handlers = TicketDeskState.event_handlers
    theirs, ours = two_teams["theirs"], two_teams["ours"]
    state = state_for(session, agent, TicketDeskState, f"/tickets/workspace?id={theirs.id}")
    run(handlers["load"].fn(state))
    assert state.ticket_id == 0 and state.ticket == {} and state.messages == []
    assert theirs.ticket_no not in json.dumps(state.dict(), ensure_ascii=False)
    run(handlers["open_ticket"].fn(state, str(ours.id)))
    assert state.ticket["no"] == ours.ticket_no
    run(handlers["open_ticket"].fn(state, str(theirs.id)))
    assert state.ticket_id == 0
    # a reply sent to a ticket id the agent cannot open is refused and writes nothing
    state.ticket_id = theirs.id
    run(handlers["send"].fn(state, {"body": "您好"}))
    assert len(desk.conversation(session, theirs.id)) == 1


def test_the_workspace_resolves_with_its_note_in_one_write_or_writes_nothing(session, desk_setup):
    """The resolve button's note and the step are one engine call (``transition`` with the
    step's fields): refused, neither is kept; taken, both are, audited as an edit and a step."""
    from state.tickets import TicketDeskState
    from tests.factories import run, state_for

    a1, lead, customer = desk_setup["cs.a1"], desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)  # to cs.a1
    agent = session.exec(select(User).where(User.username == "cs.a1")).one()
    handlers = TicketDeskState.event_handlers
    url = f"/tickets/workspace?id={ticket.id}"

    def trail() -> list[str]:
        return list(
            session.exec(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket.id))
                .order_by(AuditEntry.id)
            ).all()
        )

    before = trail()
    state = state_for(session, agent, TicketDeskState, url)
    run(handlers["load"].fn(state))
    run(handlers["resolve"].fn(state, {"note": "已重置密码"}))  # no reply to the customer yet
    session.expire_all()
    assert (ticket.status, ticket.resolution_note) == ("assigned", "") and trail() == before

    desk.post(session, a1, ticket.id, "reply", "已为您重置密码")
    session.commit()
    state = state_for(session, agent, TicketDeskState, url)
    run(handlers["load"].fn(state))
    run(handlers["resolve"].fn(state, {"note": "已重置密码"}))
    session.expire_all()
    assert (ticket.status, ticket.resolution_note) == ("resolved", "已重置密码")
    assert trail()[-2:] == ["ticket.edit", "ticket.transition.resolve"]


def test_reports_need_their_own_right_and_cover_the_leads_teams(session, two_teams):
    lead, a1, boss = two_teams["cs.lead"], two_teams["cs.a1"], two_teams["executive"]
    today = utcnow().astimezone(SHANGHAI).date()
    with pytest.raises(desk.TicketError, match=r"auth\.denied"):
        desk.report(session, a1, today, today, "assignee")
    _rows, total = desk.report(session, lead, today, today, "team")
    assert total.volume == 3  # ours, queued and the unrouted one; not the other team's
    _rows, total = desk.report(session, boss, today, today, "team")
    assert total.volume == 4


def test_overdue_has_one_meaning_in_the_queue_the_summary_the_workspace_and_the_panel(
    session, desk_setup
):
    """Past its first-response target with no response sent (its resolution target still
    ahead): overdue in the Overdue tab, the SLA summary, the workspace rows and the ticket
    panel; the first reply clears it; waiting on the customer pauses it."""
    from state.tickets import TicketDeskState
    from tests.factories import run, state_for

    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    late, fine = open_ticket(session, lead, customer), open_ticket(session, lead, customer)
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == late.id)
        .values(first_response_due=utcnow() - timedelta(minutes=5))
    )
    session.commit()
    session.refresh(late)
    assert late.resolution_due > utcnow()

    def everywhere() -> dict[int, set[str]]:
        found: dict[int, set[str]] = {late.id: set(), fine.id: set()}
        for ticket_id in _ids(session, lead, "overdue"):
            found[ticket_id].add("queue")
        for ticket in (late, fine):
            session.refresh(ticket)
            if dict(TICKET.summary(session, ticket, "en"))["SLA"] == "overdue":
                found[ticket.id].add("summary")
            if desk.is_overdue(ticket, utcnow()):
                found[ticket.id].add("rule")
        user = session.exec(select(User).where(User.username == "cs.lead")).one()
        state = state_for(session, user, TicketDeskState, "/tickets/workspace?queue=team")
        run(TicketDeskState.event_handlers["load"].fn(state))
        for row in state.rows:
            if row["overdue"]:
                found[int(row["id"])].add("row")
        for ticket in (late, fine):
            run(TicketDeskState.event_handlers["open_ticket"].fn(state, str(ticket.id)))
            if state.ticket["overdue"]:
                found[ticket.id].add("panel")
        return found

    everything = {"queue", "summary", "rule", "row", "panel"}
    assert everywhere() == {late.id: everything, fine.id: set()}
    desk.post(session, desk_setup["cs.a1"], late.id, "reply", "您好，正在处理")
    session.commit()
    assert everywhere() == {late.id: set(), fine.id: set()}
    session.execute(
        sa.update(Ticket)
        .where(Ticket.id == late.id)
        .values(resolution_due=utcnow() - timedelta(minutes=1))
    )
    session.commit()
    assert everywhere() == {late.id: everything, fine.id: set()}
    assert take(session, desk_setup["cs.a1"], TICKET, late, "wait").ok  # the clock pauses
    assert everywhere() == {late.id: set(), fine.id: set()}


def test_the_open_ticket_count_covers_only_the_tickets_the_caller_sees(session, two_teams):
    from backoffice.domains.home import overview

    assert overview.record_counts(session, ["tickets_open"], two_teams["cs.a1"]) == {
        "tickets_open": 2
    }
    assert overview.record_counts(session, ["tickets_open"], two_teams["cs.a3"]) == {
        "tickets_open": 1
    }
    assert overview.record_counts(session, ["tickets_open"], two_teams["executive"]) == {
        "tickets_open": 4
    }


def _desk_tab(session, username: str, ticket_id: int):
    """The workspace state of a browser tab signed in as ``username`` on one ticket."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from models.identity import User
    from state.auth import carry_cookie
    from state.tickets import TicketDeskState

    user = session.exec(select(User).where(User.username == username)).one()
    root = State(_reflex_internal_init=True)
    path = f"/tickets/workspace?id={ticket_id}"
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://localhost:3000"}, "asPath": path,
         "pathname": "/tickets/workspace"}
    )  # fmt: skip
    carry_cookie(root, sign_in(session, user))
    return root.get_substate(TicketDeskState.get_full_name().split(".")[1:])


def test_the_workspace_offers_only_what_the_service_accepts(session, desk_setup):
    """Another agent's ticket: the reply, resolve and merge the service refuses are shown
    refused, with the service's reason, and only the assignee's are open; a note stays open
    to both. What the composer submits is what is posted (Ctrl+Enter right after typing)."""
    from state.tickets import TicketDeskState
    from tests.factories import run

    lead, customer = desk_setup["cs.lead"], desk_setup["customer"]
    ticket = open_ticket(session, lead, customer)
    duplicate = open_ticket(session, lead, customer, subject="重复")
    mine = desk_setup[ticket.assignee]
    other = desk_setup["cs.a2" if ticket.assignee == "cs.a1" else "cs.a1"]
    desk.post(session, mine, ticket.id, "reply", "您好，已受理。")
    session.commit()
    session.refresh(ticket)

    assert desk.reply_refusal(other, ticket) == "ticket.not_yours"
    assert desk.merge_refusal(other, ticket) == "ticket.not_yours"
    resolve = {"resource": TICKET, "record": ticket, "transition_key": "resolve"}
    assert service.transition_refusal(session, principal=mine, **resolve) == (
        "workflow.missing_fields"  # the resolution note: the resolve form supplies it
    )
    note = ("resolution_note",)
    assert service.transition_refusal(session, principal=mine, supplied=note, **resolve) is None
    refusal = service.transition_refusal(session, principal=other, supplied=note, **resolve)
    assert refusal == "ticket.not_yours"
    with pytest.raises(desk.TicketError, match=r"ticket\.not_yours"):
        desk.post(session, other, ticket.id, "reply", "我来回复")
    session.rollback()
    with pytest.raises(desk.TicketError, match=r"ticket\.not_yours"):
        desk.merge(session, other, ticket.id, duplicate.ticket_no)
    session.rollback()
    assert desk.reply_refusal(mine, ticket) is None and desk.merge_refusal(mine, ticket) is None

    load = TicketDeskState.load.fn
    theirs = _desk_tab(session, other.username, ticket.id)
    run(load(theirs))
    assert theirs.reply_refusal == theirs.resolve_refusal == theirs.merge_refusal
    assert theirs.reply_refusal == "这是其他坐席的工单，需主管改派"
    own = _desk_tab(session, mine.username, ticket.id)
    run(load(own))
    assert (own.reply_refusal, own.resolve_refusal, own.merge_refusal) == ("", "", "")

    # the debounced copy of the draft is still empty when Ctrl+Enter submits the form
    assert own.draft == ""
    run(TicketDeskState.send.fn(own, {"body": "已为您重置密码。"}))
    bodies = [m.body for m, _no in desk.conversation(session, ticket.id)]
    assert bodies[-1] == "已为您重置密码。" and own.draft == ""
    run(TicketDeskState.resolve.fn(theirs, {"note": "我来解决"}))
    session.refresh(ticket)
    assert ticket.resolution_note == "" and ticket.status == "in_progress"  # nothing written
    run(TicketDeskState.set_mode.fn(theirs, "note"))
    run(TicketDeskState.send.fn(theirs, {"body": "同事备注"}))  # a note is open to any agent
    session.rollback()  # end this session's read, to see the handler's commit
    assert "同事备注" in [m.body for m, _no in desk.conversation(session, ticket.id)]


def test_the_merge_picker_offers_only_the_tickets_the_agent_sees(session, two_teams):
    """The "merged into" picker follows the ticket list's row scope: another team's ticket
    number is not offered to an agent; the executive (every ticket) is offered it."""
    from backoffice.engine.ref_options import ref_options

    t = two_teams
    spec = get("ticket").field("merged_into_id")
    offered = {int(o["value"]) for o in ref_options(session, t["cs.a1"], spec)}
    assert offered == {t["ours"].id, t["queued"].id}
    everything = {int(o["value"]) for o in ref_options(session, t["executive"], spec)}
    assert t["theirs"].id in everything
