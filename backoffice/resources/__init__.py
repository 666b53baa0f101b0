"""Resource declarations, one module per domain. Importing this package registers them all."""

from backoffice.resources import (
    campaigns,
    hr,
    kpi,
    kyc,
    partners,
    partners_tiers,
    products,
    projects,
    questionnaire,
    risk,
    suitability,
    tickets,
    transactions,
)

__all__ = [
    "campaigns",
    "hr",
    "kpi",
    "kyc",
    "partners",
    "partners_tiers",
    "products",
    "projects",
    "questionnaire",
    "risk",
    "suitability",
    "tickets",
    "transactions",
]
