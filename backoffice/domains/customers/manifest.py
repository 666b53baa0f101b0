"""The platform's retail customers, read by compliance, agents, campaigns and KPIs."""

from __future__ import annotations

from backoffice.platform.manifest import Manifest, Stat
from models.customers import Customer

MANIFEST = Manifest(
    name="customers",
    rights=("customer",),
    grants={
        "compliance": {"customer": ("view", "reveal", "export")},
        # the customer platform signs customers up and keeps their details current
        "platform": {"customer": ("view", "create", "edit")},
        "cs_agent": {"customer": ("view",)},
        "cs_lead": {"customer": ("view",)},
    },
    stats=(Stat("customers", Customer, "customer"),),
)
