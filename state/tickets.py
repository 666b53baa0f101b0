"""The agent workspace (queue, conversation, customer panel) and the desk's reports."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.domains.kyc import rules as kyc
from backoffice.domains.tickets import figures
from backoffice.domains.tickets import rules as desk
from backoffice.engine import service
from backoffice.engine.resource import get as get_resource
from backoffice.i18n import choice_label, translate
from backoffice.platform import numerals, offload
from backoffice.platform.business_time import local_today, shown_time
from models.base import utcnow
from models.tickets import OPEN_TICKET_STATES, Ticket, TicketStatus
from state.auth import requires
from state.base import Action, Choice, LabelledValue, StaffState
from state.charts import Chart, as_chart

TICKET = "ticket"
QUEUES = desk.QUEUES
MODES = ("reply", "note", "customer")
QUEUE_SIZE = 50
RESOLVE_FORM = ("resolution_note",)  # the resolve button's form fills it in the same step


class QueueRow(TypedDict):
    id: str
    no: str
    subject: str
    priority: str
    priority_label: str
    status_label: str
    assignee: str
    due: str
    overdue: bool


class TicketView(TypedDict):
    no: str
    subject: str
    status: str
    status_label: str
    priority: str
    priority_label: str
    category_label: str
    channel_label: str
    assignee: str
    first_due: str
    resolution_due: str
    due: str
    overdue: bool
    sla: str
    product: str
    product_id: str
    kyc_case: str
    kyc_case_id: str
    merged_into: str
    merged_into_id: str
    rated: str  # the customer's score, "" before rating
    rating_comment: str
    resolved: bool  # resolved or closed
    open: bool
    resolution_note: str


# "from": the number of the merged ticket a message came from ("" for this ticket's own)
Message = TypedDict(
    "Message",
    {"id": str, "kind": str, "kind_label": str, "author": str, "at": str, "body": str, "from": str},
)


class CannedReply(TypedDict):
    id: str
    title: str


class Holding(TypedDict):
    product: str
    amount: str


class PastTicket(TypedDict):
    id: str
    no: str
    subject: str
    status: str
    at: str


class TicketDeskState(StaffState, rx.State):
    queue: str = "mine"
    rows: list[QueueRow] = []
    ticket_id: int = 0
    version: int = 0
    # {} when no ticket is open
    ticket: TicketView = {}  # type: ignore[typeddict-item]
    messages: list[Message] = []
    actions: list[Action] = []
    mode: str = "reply"
    draft: str = ""
    draft_key: int = 0  # a new composer is mounted whenever the server sets the draft
    reply_refusal: str = ""  # why this person may not reply here ("" when they may)
    resolve_refusal: str = ""
    merge_refusal: str = ""
    canned: list[CannedReply] = []
    customer: list[LabelledValue] = []
    holdings: list[Holding] = []
    past: list[PastTicket] = []
    agents: list[Choice] = []  # value: the login, label: the name staff know
    is_lead: bool = False
    can_work: bool = False
    notice: str = ""  # why the view was refreshed under the agent (someone else's change)

    @rx.event
    @requires(TICKET, "view")
    async def load(self) -> None:
        params = self.router.url.query_parameters
        queue = str(params.get("queue", ""))
        if queue in QUEUES:
            self.queue = queue
        raw = str(params.get("id", ""))
        self.notice = ""
        await self._fill_queue()
        if numerals.is_digits(raw):
            await self._fill_ticket(int(raw))
        elif self.rows:
            await self._fill_ticket(int(self.rows[0]["id"]))
        else:
            await self._fill_ticket(0)

    async def _fill_queue(self) -> None:
        lang = await self._lang()
        principal = await self._principal()
        zone = get_settings().zone
        now = utcnow()
        with session_scope() as session:
            found = desk.queue(session, principal, self.queue, QUEUE_SIZE)
            names = desk.staff_names(session, [t.assignee for t in found], lang)
            self.rows = []
            for t in found:
                due = desk.current_due(t)
                overdue = desk.is_overdue(t, now)
                self.rows.append(
                    {
                        "id": str(t.id),
                        "no": t.ticket_no,
                        "subject": t.subject,
                        "priority": t.priority,
                        "priority_label": choice_label("ticket_priority", t.priority, lang),
                        "status_label": choice_label("ticket_status", t.status, lang),
                        "assignee": names.get(t.assignee, t.assignee) or "—",
                        "due": due.astimezone(zone).strftime("%m-%d %H:%M") if due else "—",
                        "overdue": overdue,
                    }
                )

    async def _fill_ticket(self, ticket_id: int) -> None:
        lang = await self._lang()
        principal = await self._principal()
        resource = get_resource(TICKET)
        assert resource is not None
        self.is_lead = desk.is_lead(principal)
        self.can_work = principal.can(TICKET, "edit")
        with session_scope() as session:
            ticket = desk.visible(session, principal, ticket_id) if ticket_id else None
            if ticket is None:
                self.ticket_id, self.version, self.ticket = 0, 0, {}
                self.messages, self.actions, self.canned = [], [], []
                self.customer, self.holdings, self.past = [], [], []
                self.reply_refusal = self.resolve_refusal = self.merge_refusal = ""
                return
            self.ticket_id, self.version = ticket.id, ticket.version
            # the buttons come from the rules the service checks, with the reason when refused
            refusals = (
                desk.reply_refusal(principal, ticket),
                service.transition_refusal(
                    session,
                    principal=principal,
                    resource=resource,
                    record=ticket,
                    transition_key="resolve",
                    supplied=RESOLVE_FORM,
                ),
                desk.merge_refusal(principal, ticket),
            )
            self.reply_refusal, self.resolve_refusal, self.merge_refusal = (
                translate(key, lang) if key else "" for key in refusals
            )

            def when(value: Any) -> str:
                return shown_time(value)

            summary = (
                dict(resource.summary(session, ticket, lang, principal)) if resource.summary else {}
            )
            links = desk.links_of(session, ticket)
            product, case, merged = links.product, links.kyc_case, links.merged_into
            due = desk.current_due(ticket)
            self.ticket = {
                "no": ticket.ticket_no,
                "subject": ticket.subject,
                "status": ticket.status,
                "status_label": choice_label("ticket_status", ticket.status, lang),
                "priority": ticket.priority,
                "priority_label": choice_label("ticket_priority", ticket.priority, lang),
                "category_label": choice_label("ticket_category", ticket.category, lang),
                "channel_label": choice_label("ticket_channel", ticket.channel, lang),
                "assignee": desk.staff_names(session, [ticket.assignee], lang).get(
                    ticket.assignee, ticket.assignee
                )
                if ticket.assignee
                else translate("tickets.unassigned", lang),
                "first_due": when(ticket.first_response_due),
                "resolution_due": when(ticket.resolution_due),
                "due": when(due),
                "overdue": desk.is_overdue(ticket, utcnow()),
                "sla": next(iter(summary.values()), ""),
                "product": product.name if product else "",
                "product_id": str(product.id) if product else "",
                "kyc_case": case.case_no if case else "",
                "kyc_case_id": str(case.id) if case else "",
                "merged_into": merged.ticket_no if merged else "",
                "merged_into_id": str(merged.id) if merged else "",
                "rated": str(ticket.satisfaction or ""),
                "rating_comment": ticket.satisfaction_comment,
                "resolved": ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED),
                "open": ticket.status in OPEN_TICKET_STATES,
                "resolution_note": ticket.resolution_note,
            }
            conversation = desk.conversation(session, ticket.id)
            agents = desk.agents(session) if self.is_lead else []
            names = desk.staff_names(
                session, [message.author for message, _n in conversation] + agents, lang
            )
            self.messages = [
                {
                    "id": str(message.id),
                    "kind": message.kind,
                    "kind_label": choice_label("ticket_message_kind", message.kind, lang),
                    "author": translate("tickets.the_customer", lang)
                    if message.kind == "customer"
                    else names.get(message.author, message.author),
                    "at": when(message.created_at),
                    "body": message.body,
                    "from": number if number != ticket.ticket_no else "",
                }
                for message, number in conversation
            ]
            self.actions = [
                {"key": key, "label": resource.workflow.get(key).label(lang)}  # type: ignore[union-attr]
                for key in service.available_transitions(
                    session, principal=principal, resource=resource, record=ticket
                )
                if key != "resolve"  # resolving asks for the resolution note below
            ]
            self.canned = [
                {"id": str(reply.id), "title": reply.title}
                for reply in desk.canned_for(session, ticket.category)
            ]
            self.agents = [{"value": u, "label": names.get(u, u)} for u in agents]
            self._fill_customer(session, principal, ticket, lang, when)

    def _fill_customer(
        self, session: Any, principal: Any, ticket: Ticket, lang: str, when: Any
    ) -> None:
        context = desk.customer_context(session, principal, ticket.customer_id, ticket.id)
        if context is None:
            self.customer, self.holdings, self.past = [], [], []
            return
        person = context.customer
        masked = kyc.masked_identity(person)  # agents never see identity in clear
        self.customer = [
            {"label": translate("tickets.customer.no", lang), "value": person.customer_no},
            {"label": translate("kyc.identity.name", lang), "value": masked["name"]},
            {"label": translate("kyc.identity.phone", lang), "value": masked["phone"]},
            {
                "label": translate("tickets.customer.kyc", lang),
                "value": choice_label("kyc_status", person.kyc_status, lang),
            },
            {
                "label": translate("tickets.customer.tolerance", lang),
                "value": person.risk_tolerance or "—",
            },
            {
                "label": translate("tickets.customer.since", lang),
                "value": when(person.registered_at),
            },
        ]
        self.holdings = [
            {"product": name, "amount": f"¥{amount:,.2f}"} for name, amount in context.holdings
        ]
        self.past = [
            {
                "id": str(t.id),
                "no": t.ticket_no,
                "subject": t.subject,
                "status": choice_label("ticket_status", t.status, lang),
                "at": when(t.created_at),
            }
            for t in context.past
        ]

    async def _refresh(self, toast: Any = None) -> Any:
        await self._fill_queue()
        await self._fill_ticket(self.ticket_id)
        return toast

    async def _refused(self, key: str, **params: Any) -> Any:
        """A refusal: say why, and show the ticket as it is now (the draft stays)."""
        lang = await self._lang()
        text = translate(key, lang)
        if params:
            text = text.format(**params)
        await self._fill_ticket(self.ticket_id)
        return rx.toast.error(text)

    # --- navigation -------------------------------------------------------------------------
    def _in_address_bar(self) -> Any:
        """The queue and ticket shown go into the URL (no navigation), so a reload or a
        language switch, which load the page's URL again, show the same ticket."""
        query = urlencode(
            {"queue": self.queue, **({"id": self.ticket_id} if self.ticket_id else {})}
        )
        url = json.dumps(f"/tickets/workspace?{query}")
        return rx.call_script(f"window.history.replaceState(null, '', {url})")

    @rx.event
    @requires(TICKET, "view")
    async def set_queue(self, queue: str | list[str]) -> Any:
        if isinstance(queue, str) and queue in QUEUES:
            self.queue = queue
        await self._fill_queue()
        await self._fill_ticket(int(self.rows[0]["id"]) if self.rows else 0)
        return self._in_address_bar()

    @rx.event
    @requires(TICKET, "view")
    async def open_ticket(self, ticket_id: str) -> Any:
        self.notice = ""
        await self._fill_ticket(numerals.whole(str(ticket_id)) or 0)
        return self._in_address_bar()

    @rx.event
    @requires(TICKET, "view")
    async def next_ticket(self) -> Any:
        """The next ticket of the queue after the one open (keyboard: j)."""
        await self._fill_queue()
        ids = [int(row["id"]) for row in self.rows]
        if not ids:
            return None
        later = ids[ids.index(self.ticket_id) + 1 :] if self.ticket_id in ids else ids
        await self._fill_ticket((later or ids)[0])
        return self._in_address_bar()

    # --- the composer -----------------------------------------------------------------------
    @rx.event
    @requires(TICKET, "view")
    def set_draft(self, text: str) -> None:
        self.draft = str(text)[: desk.MAX_MESSAGE + 1]

    @rx.event
    @requires(TICKET, "view")
    def set_mode(self, mode: str) -> None:
        if mode in MODES:
            self.mode = mode

    @rx.event
    @requires(TICKET, "edit")
    async def use_canned(self, reply_id: str) -> None:
        principal = await self._principal()
        with session_scope() as session:
            number = numerals.whole(str(reply_id))
            text = (
                desk.canned_text(session, principal, self.ticket_id, number)
                if number is not None
                else None
            )
            if text is None:
                return
        self.mode = "reply"
        self.draft = f"{self.draft.rstrip()}\n{text}".strip() if self.draft.strip() else text
        self.draft_key += 1

    @rx.event
    @requires(TICKET, "edit")
    async def send(self, form_data: dict) -> Any:
        """Post what the composer holds as submitted (not the last debounced copy of it, which
        misses the keystrokes just before Ctrl+Enter)."""
        caller = await self._caller()
        body = form_data.get("body", "") if isinstance(form_data, dict) else ""
        self.draft = str(body)[: desk.MAX_MESSAGE + 1] if isinstance(body, str) else ""
        try:
            with self._write_scope() as session:
                desk.post(
                    session,
                    caller.principal,
                    self.ticket_id,
                    self.mode,
                    self.draft,
                    caller.client,
                )
        except desk.TicketError as error:
            return await self._refused(error.key, **error.params)
        self.draft, self.draft_key = "", self.draft_key + 1
        return await self._refresh(
            rx.toast.success(translate(f"tickets.sent.{self.mode}", caller.lang))
        )

    # --- state changes ----------------------------------------------------------------------
    async def _transition(self, key: str) -> Any:
        caller = await self._caller()
        resource = get_resource(TICKET)
        with self._write_scope() as session:
            result = service.transition(
                session,
                principal=caller.principal,
                resource=resource,  # type: ignore[arg-type]
                record_id=self.ticket_id,
                version=self.version,
                transition_key=key,
                client=caller.client,
            )
            service.discard_if_refused(session, result)
        if not result.ok:
            return await self._refused(result.message or "error.generic", **result.message_params)
        return await self._refresh(rx.toast.success(translate("tickets.done", caller.lang)))

    @rx.event
    @requires(TICKET, "edit")
    async def act(self, key: str) -> Any:
        return await self._transition(str(key))

    @rx.event
    @requires(TICKET, "edit")
    async def resolve(self, form_data: dict) -> Any:
        """Record the resolution note and resolve, on the version the agent saw."""
        note = str(form_data.get("note", "")).strip()
        if not note:
            return await self._refused("tickets.note_required")
        caller = await self._caller()
        with self._write_scope() as session:  # the note and the step: both or neither
            result = service.transition(
                session,
                principal=caller.principal,
                resource=get_resource(TICKET),  # type: ignore[arg-type]
                record_id=self.ticket_id,
                version=self.version,
                transition_key="resolve",
                client=caller.client,
                values={"resolution_note": note},
            )
            service.discard_if_refused(session, result)
        if not result.ok:
            message = result.message or next(iter(result.errors.values()), "error.generic")
            return await self._refused(message, **result.message_params)
        return await self._refresh(rx.toast.success(translate("tickets.done", caller.lang)))

    @rx.event
    @requires(TICKET, "edit")
    async def rate(self, form_data: dict) -> Any:
        caller = await self._caller()
        try:
            with self._write_scope() as session:
                desk.rate(
                    session,
                    caller.principal,
                    self.ticket_id,
                    form_data.get("score", ""),
                    str(form_data.get("comment", "")),
                    caller.client,
                )
        except desk.TicketError as error:
            return await self._refused(error.key, **error.params)
        return await self._refresh(rx.toast.success(translate("tickets.rated", caller.lang)))

    @rx.event
    @requires(TICKET, "edit")
    async def merge(self, form_data: dict) -> Any:
        caller = await self._caller()
        try:
            with self._write_scope() as session:
                target = desk.merge(
                    session,
                    caller.principal,
                    self.ticket_id,
                    str(form_data.get("into", "")),
                    caller.client,
                )
                target_id = target.id
        except desk.TicketError as error:
            return await self._refused(error.key, **error.params)
        await self._fill_queue()
        await self._fill_ticket(target_id)
        return rx.toast.success(translate("tickets.merged", caller.lang))

    @rx.event
    @requires(TICKET, "approve")
    async def reassign(self, to: str) -> Any:
        caller = await self._caller()
        try:
            with self._write_scope() as session:
                desk.reassign(
                    session,
                    caller.principal,
                    self.ticket_id,
                    str(to),
                    self.version,
                    caller.client,
                )
        except desk.TicketError as error:
            return await self._refused(error.key, **error.params)
        return await self._refresh(rx.toast.success(translate("tickets.reassigned", caller.lang)))


class TicketReportState(StaffState, rx.State):
    start: str = ""
    end: str = ""
    by: str = "team"
    rows: list[dict[str, str]] = []
    total: dict[str, str] = {}
    chart: Chart = {}
    can_export: bool = False

    @rx.event
    @requires("ticket_report", "view")
    async def load(self) -> Any:
        return await self._load()

    def _range(self) -> tuple[date, date]:
        today = local_today()
        if not self.start:
            self.start = (today - timedelta(days=29)).isoformat()
            self.end = today.isoformat()
        return date.fromisoformat(self.start), date.fromisoformat(self.end)

    async def _load(self) -> Any:
        lang = await self._lang()
        try:
            start, end = self._range()
        except ValueError:
            return rx.toast.error(translate("field.not_a_date", lang))
        principal = await self._principal()
        self.can_export = principal.can("ticket_report", "export")
        try:
            with session_scope() as session:
                table = desk.report_table(session, principal, start, end, self.by, lang)
        except desk.TicketError as error:
            return self._refusal(error, lang)
        self.rows, self.total = table.cells, table.total_cells
        self.chart = as_chart(
            figures.ticket_report_figure(
                table.names,
                [r.volume for r in table.rows],
                [r.resolved for r in table.rows],
                lang,
            )
        )
        return None

    @rx.event
    @requires("ticket_report", "export")
    async def export(self) -> Any:
        caller = await self._caller()
        try:
            start, end = self._range()
            file = await offload.run(
                desk.export_report,
                principal=caller.principal,
                start=start,
                end=end,
                by=self.by,
                lang=caller.lang,
                client=caller.client,
            )
        except ValueError:
            return rx.toast.error(translate("field.not_a_date", caller.lang))
        except desk.TicketError as error:
            return self._refusal(error, caller.lang)
        return rx.download(data=file.data, filename=file.filename)

    @rx.event
    @requires("ticket_report", "view")
    async def apply(self, form_data: dict) -> Any:
        self.start = str(form_data.get("start", self.start))
        self.end = str(form_data.get("end", self.end))
        by = str(form_data.get("by", self.by))
        self.by = by if by in desk.GROUPINGS else "team"
        return await self._load()
