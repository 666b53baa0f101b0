"""SQLModel tables, one module per domain. Importing this package registers every table."""

from models import (
    attachments,
    audit,
    campaigns,
    custom_fields,
    customers,
    hr,
    identity,
    jobs,
    kyc,
    notifications,
    partners,
    products,
    projects,
    tickets,
    transactions,
    views,
)

__all__ = [
    "attachments",
    "audit",
    "campaigns",
    "custom_fields",
    "customers",
    "hr",
    "identity",
    "jobs",
    "kyc",
    "notifications",
    "partners",
    "products",
    "projects",
    "tickets",
    "transactions",
    "views",
]
