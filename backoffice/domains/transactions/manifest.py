"""Subscriptions and redemptions: the platform's sales, read by every report."""

from __future__ import annotations

from backoffice.platform.manifest import Manifest, Stat
from models.transactions import Transaction

MANIFEST = Manifest(
    name="transactions",
    rights=("transaction",),
    grants={
        "product_manager": {"transaction": ("view",)},
        "platform": {"transaction": ("view", "create")},
        "compliance": {"transaction": ("view", "export")},
        "cs_lead": {"transaction": ("view", "create", "import")},
        "executive": {"transaction": ("view", "export")},
    },
    stats=(Stat("transactions", Transaction, "transaction"),),
)
