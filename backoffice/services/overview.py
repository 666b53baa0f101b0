"""Record counts per module for the overview page."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from backoffice.security.rbac import Principal
from backoffice.services import tickets
from models.audit import AuditEntry
from models.campaigns import Campaign
from models.customers import Customer
from models.hr import Employee, EmployeeStatus, JobOpening, OpeningStatus
from models.kyc import KycCase, KycCaseStatus, WatchlistEntry
from models.partners import Partner
from models.products import Product, ProductStatus
from models.projects import Milestone, ProjectRisk
from models.tickets import Ticket, TicketStatus
from models.transactions import Transaction

OPEN_KYC = [
    KycCaseStatus.NEW,
    KycCaseStatus.IN_REVIEW,
    KycCaseStatus.WAITING_CUSTOMER,
    KycCaseStatus.ESCALATED,
]
OPEN_TICKETS = [
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
]

STATS: dict[str, tuple[type[SQLModel], sa.ColumnElement[bool] | None]] = {
    "products": (Product, None),
    "products_on_sale": (Product, Product.status == ProductStatus.ON_SALE),
    "partners": (Partner, None),
    "campaigns": (Campaign, None),
    "customers": (Customer, None),
    "transactions": (Transaction, None),
    "kyc_open": (KycCase, KycCase.status.in_(OPEN_KYC)),
    "watchlist": (WatchlistEntry, None),
    "tickets_open": (Ticket, Ticket.status.in_(OPEN_TICKETS)),
    "employees": (Employee, Employee.status != EmployeeStatus.LEFT),
    "openings": (JobOpening, JobOpening.status == OpeningStatus.OPEN),
    "milestones": (Milestone, None),
    "risks": (ProjectRisk, None),
    "audit_entries": (AuditEntry, None),
}

# the right that reading each statistic needs: a module page shows only the counts of the
# records its caller may view (a lead who requests suitability overrides in the KYC module sees
# no count of KYC cases or watch-list entries)
STAT_RIGHTS: dict[str, str] = {
    "products": "product",
    "products_on_sale": "product",
    "partners": "partner",
    "campaigns": "campaign",
    "customers": "customer",
    "transactions": "transaction",
    "kyc_open": "kyc_case",
    "watchlist": "watchlist",
    "tickets_open": "ticket",
    "employees": "employee",
    "openings": "hiring",
    "milestones": "project",
    "risks": "project",
    "audit_entries": "audit",
}
assert set(STAT_RIGHTS) == set(STATS)


# statistics over records with a row scope count only the rows the caller sees
SCOPES: dict[str, Callable[[Principal], sa.ColumnElement[bool] | None]] = {
    "tickets_open": tickets.scope,
}


def record_counts(
    session: Session, keys: list[str] | None = None, principal: Principal | None = None
) -> dict[str, int]:
    """Counts for the named statistics (all when ``keys`` is None); unknown keys are refused.
    With a caller, only the statistics they may view are counted, and a scoped statistic
    counts only the records they may see."""
    wanted = list(STATS) if keys is None else keys
    unknown = [k for k in wanted if k not in STATS]
    if unknown:
        raise ValueError(f"unknown statistics: {unknown}")
    if principal is not None:
        wanted = [k for k in wanted if principal.can(STAT_RIGHTS[k], "view")]
    counts = {}
    for key in wanted:
        model, condition = STATS[key]
        query = sa.select(sa.func.count()).select_from(model)
        if condition is not None:
            query = query.where(condition)
        if (
            principal is not None
            and key in SCOPES
            and (scope := SCOPES[key](principal)) is not None
        ):
            query = query.where(scope)
        counts[key] = session.execute(query).scalar_one()
    return counts
