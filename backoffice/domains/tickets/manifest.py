"""Customer-service tickets, the desk's configuration and its reports."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Count, Manifest, Module, Plan, Report, Shortcut, Stat
from models.tickets import Ticket, TicketStatus

OPEN_TICKETS = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
)

MANIFEST = Manifest(
    name="tickets",
    module=Module(
        "tickets",
        "/tickets",
        "headset",
        "ticket",
        ("tickets_open",),
        reports=(
            Report("tickets.workspace", "/tickets/workspace", "inbox"),
            Report("tickets.reports", "/tickets/reports", "chart-column", "ticket_report"),
        ),
        landing=Plan(
            work=(
                Count("tickets_mine", "ticket", queue="mine", right=("ticket", "edit")),
                Count("tickets_unassigned", "ticket", queue="unassigned", tone="amber"),
                Count("tickets_overdue", "ticket", queue="overdue", tone="red"),
            ),
            figures=(
                Count("tickets_waiting", "ticket", queue="waiting"),
                Count("tickets_unrated", "ticket", queue="unrated"),
            ),
            shortcuts=(
                Shortcut("ticket_workspace", "/tickets/workspace", "inbox", ("ticket", "view")),
                Shortcut("new_ticket", "/r/ticket/record?id=new", "plus", ("ticket", "create")),
                Shortcut(
                    "ticket_reports", "/tickets/reports", "chart-column", ("ticket_report", "view")
                ),
            ),
        ),
    ),
    rights=("ticket", "ticket_config", "ticket_report"),
    grants={
        "cs_agent": {"ticket": ("view", "create", "edit")},
        "platform": {"ticket": ("view", "create", "edit")},
        "cs_lead": {
            "ticket": (*EDIT, "approve"),
            "ticket_report": ("view", "export"),
            "ticket_config": EDIT,
        },
        "executive": {"ticket": ("view",), "ticket_report": ("view", "export")},
    },
    stats=(
        Stat(
            "tickets_open",
            Ticket,
            "ticket",
            where=lambda: Ticket.status.in_(OPEN_TICKETS),
            scoped_by="ticket",
        ),
    ),
)
