"""The modules in the sidebar, in order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    key: str
    route: str
    icon: str
    stats: tuple[str, ...]


MODULES: tuple[Module, ...] = (
    Module("products", "/products", "package", ("products", "products_on_sale")),
    Module("partners", "/partners", "handshake", ("partners",)),
    Module("campaigns", "/campaigns", "megaphone", ("campaigns", "customers")),
    Module("kyc", "/kyc", "shield-check", ("kyc_open", "watchlist")),
    Module("tickets", "/tickets", "headset", ("tickets_open",)),
    Module("hr", "/hr", "users", ("employees", "openings")),
    Module("kpi", "/kpi", "chart-line", ("transactions", "customers")),
    Module("projects", "/projects", "calendar-range", ("milestones", "risks")),
    Module("admin", "/admin", "settings", ("audit_entries",)),
)
