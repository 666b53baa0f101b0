"""The agent workspace (queue · conversation · customer) and the desk's reports."""

from __future__ import annotations

import reflex as rx

from backoffice.domains.tickets.rules import REPORT_COLUMNS
from pages.charts import chart
from pages.layout import scroll_region, template
from pages.ui import date_input, t
from state.tickets import QUEUES, TicketDeskState, TicketReportState

PRIORITY_COLOURS = {"low": "gray", "normal": "blue", "high": "orange", "urgent": "red"}
KIND_COLOURS = {"customer": "gray", "reply": "indigo", "note": "amber"}

# r: reply, n: internal note, j: next ticket, Ctrl+Enter: send; a file, not an inline script,
# so that the content security policy lets it run
SHORTCUTS = "/ticket_shortcuts.js"


def _queue_row(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(row["no"], size="1", font_family="monospace", color_scheme="gray"),
                rx.spacer(),
                rx.badge(
                    row["priority_label"],
                    color_scheme=rx.match(
                        row["priority"],
                        *[(k, v) for k, v in PRIORITY_COLOURS.items()],
                        "gray",
                    ),
                    size="1",
                ),
                width="100%",
                align="center",
            ),
            rx.text(row["subject"], size="2", weight="medium", trim="both"),
            rx.hstack(
                rx.text(row["status_label"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.text(
                    row["due"],
                    size="1",
                    color_scheme=rx.cond(row["overdue"], "red", "gray"),
                    weight=rx.cond(row["overdue"], "bold", "regular"),
                ),
                width="100%",
            ),
            spacing="1",
            width="100%",
        ),
        padding="0.6em",
        border_radius="6px",
        cursor="pointer",
        background=rx.cond(
            row["id"] == TicketDeskState.ticket_id.to(str), "var(--accent-3)", "transparent"
        ),
        _hover={"background": "var(--gray-3)"},
        on_click=[
            TicketDeskState.open_ticket(row["id"]),
            # on a phone or tablet the ticket opens below the queue: bring it into view
            rx.call_script(
                "window.innerWidth < 1280 && "
                "document.getElementById('ticket-card')?.scrollIntoView({block: 'start'})"
            ),
        ],
        class_name="queue-row",
        id="queue-" + row["no"],
        width="100%",
    )


def _queue() -> rx.Component:
    return rx.vstack(
        # buttons that wrap, not a segmented control: four labels never fit a narrow column
        rx.flex(
            *[
                rx.button(
                    t(f"tickets.queue.{q}"),
                    variant=rx.cond(TicketDeskState.queue == q, "solid", "soft"),
                    on_click=TicketDeskState.set_queue(q),
                    size="1",
                    id=f"queue-tab-{q}",
                )
                for q in QUEUES
            ],
            wrap="wrap",
            spacing="1",
            id="queue-tabs",
        ),
        rx.cond(
            TicketDeskState.rows.length() > 0,
            rx.vstack(rx.foreach(TicketDeskState.rows, _queue_row), spacing="1", width="100%"),
            rx.text(t("tickets.queue_empty"), size="2", color_scheme="gray", id="queue-empty"),
        ),
        spacing="2",
        width="100%",
        min_width="0",
        # on a phone the queue leaves room for the ticket below it
        max_height=rx.breakpoints(initial="45vh", lg="calc(100vh - 10em)"),
        overflow_y="auto",
        overflow_x="hidden",
    )


def _message(message: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(
                message["kind_label"],
                color_scheme=rx.match(
                    message["kind"], *[(k, v) for k, v in KIND_COLOURS.items()], "gray"
                ),
                size="1",
            ),
            rx.text(message["author"], size="1", weight="bold"),
            rx.text(message["at"], size="1", color_scheme="gray"),
            rx.cond(
                message["from"] != "",
                rx.badge(message["from"], variant="outline", size="1"),
            ),
            spacing="2",
            align="center",
        ),
        rx.text(message["body"], size="2", white_space="pre-wrap", padding_top="0.3em"),
        padding="0.6em 0.8em",
        border_radius="8px",
        border_left=rx.cond(
            message["kind"] == "note", "3px solid var(--amber-9)", "3px solid var(--gray-6)"
        ),
        background=rx.match(
            message["kind"],
            ("note", "var(--amber-2)"),
            ("reply", "var(--accent-2)"),
            "var(--gray-2)",
        ),
        width="100%",
        class_name="message message-" + message["kind"],
    )


def _composer() -> rx.Component:
    reply_refused = (TicketDeskState.mode == "reply") & (TicketDeskState.reply_refusal != "")
    return rx.vstack(
        rx.hstack(
            *[
                rx.button(
                    t(f"tickets.mode.{mode}"),
                    variant=rx.cond(TicketDeskState.mode == mode, "solid", "soft"),
                    color_scheme=colour,
                    on_click=TicketDeskState.set_mode(mode),
                    size="1",
                    id=f"mode-{mode}",
                    title=key,
                )
                for mode, colour, key in (
                    ("reply", "indigo", "r"),
                    ("note", "amber", "n"),
                    ("customer", "gray", ""),
                )
            ],
            rx.spacer(),
            rx.cond(
                TicketDeskState.canned.length() > 0,
                rx.select.root(
                    rx.select.trigger(placeholder=t("tickets.canned"), id="canned-select"),
                    rx.select.content(
                        rx.foreach(
                            TicketDeskState.canned,
                            lambda c: rx.select.item(c["title"], value=c["id"]),
                        )
                    ),
                    value="",
                    on_change=TicketDeskState.use_canned,
                    size="1",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.form(
            rx.vstack(
                # uncontrolled, so what is typed is what the form submits (Ctrl+Enter included);
                # a new key mounts it again when the server sets the draft (canned reply, sent)
                rx.text_area(
                    name="body",
                    default_value=TicketDeskState.draft,
                    key=TicketDeskState.draft_key,
                    on_blur=TicketDeskState.set_draft,
                    placeholder=rx.match(
                        TicketDeskState.mode,
                        ("note", t("tickets.placeholder.note")),
                        ("customer", t("tickets.placeholder.customer")),
                        t("tickets.placeholder.reply"),
                    ),
                    rows="4",
                    width="100%",
                    id="ticket-composer",
                ),
                rx.hstack(
                    rx.text(t("tickets.shortcuts"), size="1", color_scheme="gray"),
                    rx.spacer(),
                    rx.cond(
                        reply_refused,
                        rx.text(
                            TicketDeskState.reply_refusal, size="1", color="red", id="reply-refusal"
                        ),
                    ),
                    rx.button(
                        rx.icon("send", size=14),
                        t("tickets.send"),
                        type="submit",
                        id="ticket-send",
                        disabled=reply_refused,
                        title=rx.cond(reply_refused, TicketDeskState.reply_refusal, ""),
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=TicketDeskState.send,
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _resolve_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="note",
                placeholder=t("tickets.resolution_note"),
                id="resolution-note",
                width="100%",
            ),
            rx.button(
                t("tickets.resolve"),
                type="submit",
                color_scheme="green",
                id="ticket-resolve",
                disabled=TicketDeskState.resolve_refusal != "",
                title=TicketDeskState.resolve_refusal,
            ),
            width="100%",
        ),
        rx.cond(
            TicketDeskState.resolve_refusal != "",
            rx.text(TicketDeskState.resolve_refusal, size="1", color="red", id="resolve-refusal"),
        ),
        on_submit=TicketDeskState.resolve,
        reset_on_submit=True,
        width="100%",
    )


def _rating_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder=t("tickets.rating"), id="rating-score"),
                rx.select.content(
                    *[rx.select.item(f"{n} ★", value=str(n)) for n in (5, 4, 3, 2, 1)]
                ),
                name="score",
            ),
            rx.input(
                name="comment", placeholder=t("tickets.rating_comment"), id="rating-comment",
                width="100%",
            ),
            rx.button(t("tickets.rate"), type="submit", id="rating-submit"),
            width="100%",
        ),
        on_submit=TicketDeskState.rate,
        width="100%",
    )  # fmt: skip


def _header() -> rx.Component:
    ticket = TicketDeskState.ticket
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.text(ticket["no"], font_family="monospace", size="2"),
                href="/r/ticket/record?id=" + TicketDeskState.ticket_id.to(str),
                id="ticket-no",
            ),
            rx.badge(ticket["status_label"], id="ticket-status"),
            rx.badge(
                ticket["priority_label"],
                color_scheme=rx.match(
                    ticket["priority"], *[(k, v) for k, v in PRIORITY_COLOURS.items()], "gray"
                ),
                id="ticket-priority",
            ),
            rx.badge(ticket["category_label"], variant="outline"),
            rx.badge(ticket["channel_label"], variant="outline"),
            rx.spacer(),
            rx.button(
                t("tickets.next"),
                rx.icon("chevron-right", size=14),
                variant="ghost",
                size="1",
                on_click=TicketDeskState.next_ticket,
                id="ticket-next",
                title="j",
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.heading(ticket["subject"], size="4", id="ticket-subject"),
        rx.hstack(
            rx.text(t("tickets.agent"), size="1", color_scheme="gray"),
            rx.text(ticket["assignee"], size="1", weight="bold", id="ticket-assignee"),
            rx.text(t("tickets.due"), size="1", color_scheme="gray"),
            rx.text(
                ticket["due"],
                size="1",
                color_scheme=rx.cond(ticket["overdue"], "red", "gray"),
                id="ticket-due",
            ),
            rx.text("SLA", size="1", color_scheme="gray"),
            rx.text(ticket["sla"], size="1", weight="bold", id="ticket-sla"),
            spacing="2",
            wrap="wrap",
        ),
        rx.hstack(
            rx.foreach(
                TicketDeskState.actions,
                lambda a: rx.button(
                    a["label"],
                    on_click=TicketDeskState.act(a["key"]),
                    size="1",
                    variant="soft",
                    id="act-" + a["key"],
                ),
            ),
            rx.cond(
                TicketDeskState.is_lead & ticket["open"],
                rx.select.root(
                    rx.select.trigger(placeholder=t("tickets.reassign")),
                    rx.select.content(
                        rx.foreach(
                            TicketDeskState.agents,
                            lambda a: rx.select.item(a["label"], value=a["value"]),
                        )
                    ),
                    on_change=TicketDeskState.reassign,
                    size="1",
                    id="ticket-reassign",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def _ticket() -> rx.Component:
    ticket = TicketDeskState.ticket
    return rx.cond(
        TicketDeskState.ticket_id > 0,
        rx.vstack(
            _header(),
            rx.cond(
                ticket["merged_into"] != "",
                rx.callout(
                    t("tickets.merged_note"),
                    icon="merge",
                    color_scheme="gray",
                    size="1",
                    width="100%",
                ),
            ),
            rx.vstack(
                rx.foreach(TicketDeskState.messages, _message),
                spacing="2",
                width="100%",
                id="ticket-conversation",
            ),
            rx.cond(
                TicketDeskState.can_work & (ticket["merged_into"] == ""),
                rx.vstack(
                    _composer(),
                    rx.cond(
                        (ticket["status"] == "in_progress")
                        | (ticket["status"] == "waiting_customer"),
                        _resolve_form(),
                    ),
                    rx.cond(ticket["resolved"], _resolved_box()),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        rx.text(t("tickets.none_open"), color_scheme="gray"),
    )


def _resolved_box() -> rx.Component:
    ticket = TicketDeskState.ticket
    return rx.card(
        rx.vstack(
            rx.text(t("tickets.resolution"), size="1", color_scheme="gray"),
            rx.text(ticket["resolution_note"], size="2"),
            rx.cond(
                ticket["rated"] != "",
                rx.text(
                    t("tickets.rated_line"),
                    " ",
                    ticket["rated"],
                    "/5 ",
                    ticket["rating_comment"],
                    size="2",
                    weight="bold",
                    id="ticket-rating",
                ),
                _rating_form(),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _link_line(label_key: str, field: str, resource: str) -> rx.Component:
    """A linked record of the ticket, opening its own page ("—" when none)."""
    ticket = TicketDeskState.ticket
    return rx.hstack(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        rx.cond(
            ticket[field] != "",
            rx.link(
                ticket[field],
                href=f"/r/{resource}/record?id=" + ticket[f"{field}_id"],
                size="1",
                id=f"link-{field}",
            ),
            rx.text("—", size="1"),
        ),
    )


def _side() -> rx.Component:
    ticket = TicketDeskState.ticket
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("user", size=14),
                    rx.text(t("tickets.customer_panel"), weight="bold", size="2"),
                    rx.text(t("kyc.identity.masked_note"), size="1", color_scheme="gray"),
                    align="center",
                    wrap="wrap",
                ),
                rx.foreach(
                    TicketDeskState.customer,
                    lambda item: rx.hstack(
                        rx.text(item["label"], size="1", color_scheme="gray", min_width="6em"),
                        rx.text(item["value"], size="2", font_family="monospace"),
                    ),
                ),
                rx.text(t("tickets.holdings"), size="1", weight="bold", padding_top="0.4em"),
                rx.cond(
                    TicketDeskState.holdings.length() > 0,
                    rx.foreach(
                        TicketDeskState.holdings,
                        lambda h: rx.hstack(
                            rx.text(h["product"], size="1"),
                            rx.spacer(),
                            rx.text(h["amount"], size="1", font_family="monospace"),
                            width="100%",
                        ),
                    ),
                    rx.text("—", size="1", color_scheme="gray"),
                ),
                rx.text(t("tickets.past"), size="1", weight="bold", padding_top="0.4em"),
                rx.cond(
                    TicketDeskState.past.length() > 0,
                    rx.foreach(
                        TicketDeskState.past,
                        lambda p: rx.hstack(
                            rx.link(
                                p["no"],
                                size="1",
                                on_click=TicketDeskState.open_ticket(p["id"]),
                                cursor="pointer",
                            ),
                            rx.text(p["subject"], size="1", trim="both"),
                            rx.spacer(),
                            rx.text(p["status"], size="1", color_scheme="gray"),
                            width="100%",
                        ),
                    ),
                    rx.text("—", size="1", color_scheme="gray"),
                ),
                spacing="1",
                width="100%",
                id="customer-panel",
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.text(t("tickets.links"), weight="bold", size="2"),
                _link_line("tickets.product", "product", "product"),
                _link_line("tickets.kyc_case", "kyc_case", "kyc_case"),
                rx.link(
                    t("tickets.edit_links"),
                    href="/r/ticket/record?id=" + TicketDeskState.ticket_id.to(str),
                    size="1",
                ),
                rx.cond(
                    TicketDeskState.can_work & ticket["open"],
                    rx.form(
                        rx.hstack(
                            rx.input(name="into", placeholder=t("tickets.merge_into"), size="1",
                                     id="merge-into"),
                            rx.button(t("tickets.merge"), size="1", variant="soft", type="submit",
                                      id="merge-submit",
                                      disabled=TicketDeskState.merge_refusal != "",
                                      title=TicketDeskState.merge_refusal),
                        ),
                        rx.cond(TicketDeskState.merge_refusal != "",
                                rx.text(TicketDeskState.merge_refusal, size="1", color="red",
                                        id="merge-refusal")),
                        on_submit=TicketDeskState.merge,
                        reset_on_submit=True,
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        spacing="3",
        width="100%",
        min_width="17em",
    )  # fmt: skip


@template(
    "/tickets/workspace",
    "tickets.workspace",
    on_load=TicketDeskState.load,
    active_route="/tickets",
)
def workspace() -> rx.Component:
    return rx.vstack(
        rx.script(src=SHORTCUTS),
        rx.heading(t("tickets.workspace"), size="6", id="page-title"),
        rx.grid(
            _queue(),
            rx.card(
                _ticket(), width="100%", min_width="0", id="ticket-card", scroll_margin_top="4em"
            ),
            rx.cond(TicketDeskState.ticket_id > 0, _side()),
            columns=rx.breakpoints(initial="1", lg="18em 1fr 19em"),
            spacing="4",
            width="100%",
            align_items="start",
        ),
        width="100%",
        spacing="3",
        id="ticket-workspace",
    )


@template(
    "/tickets/reports",
    "tickets.reports",
    on_load=TicketReportState.load,
    active_route="/tickets",
)
def reports() -> rx.Component:
    return rx.vstack(
        rx.heading(t("tickets.reports"), size="6", id="page-title"),
        rx.text(t("tickets.report.help"), size="2", color_scheme="gray"),
        rx.form(
            rx.hstack(
                date_input(
                    name="start",
                    default_value=TicketReportState.start,
                    key=TicketReportState.start,
                    id="report-start",
                    width="8em",
                ),
                date_input(
                    name="end",
                    default_value=TicketReportState.end,
                    key=TicketReportState.end,
                    id="report-end",
                    width="8em",
                ),
                rx.select.root(
                    rx.select.trigger(id="report-by"),
                    rx.select.content(
                        *[
                            rx.select.item(t(f"tickets.report.by.{g}"), value=g)
                            for g in ("team", "assignee", "category", "channel", "priority")
                        ]
                    ),
                    name="by",
                    default_value="team",
                ),
                rx.button(t("tickets.report.apply"), type="submit", id="report-apply"),
                rx.cond(
                    TicketReportState.can_export,
                    rx.button(
                        rx.icon("file-down", size=14),
                        t("tickets.report.export"),
                        type="button",
                        variant="soft",
                        on_click=TicketReportState.export,
                        id="report-export",
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            on_submit=TicketReportState.apply,
        ),
        rx.card(chart(TicketReportState.chart, width="100%", id="report-chart"), width="100%"),
        scroll_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t(f"tickets.report.{c}"))
                            for c in REPORT_COLUMNS
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        TicketReportState.rows,
                        lambda r: rx.table.row(
                            *[rx.table.cell(r[c]) for c in REPORT_COLUMNS], class_name="report-row"
                        ),
                    ),
                    rx.table.row(
                        *[
                            rx.table.cell(rx.text(TicketReportState.total[c], weight="bold"))
                            for c in REPORT_COLUMNS
                        ],
                        id="report-total",
                    ),
                ),
                width="100%",
                variant="surface",
                id="report-table",
            ),
            t("tickets.reports"),
        ),
        width="100%",
        spacing="4",
    )
