"""The monthly commission report per partner."""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.partners import rules as partners
from backoffice.platform import offload
from backoffice.platform.business_time import local_today
from state.auth import requires
from state.base import StaffState
from state.resource import record_id_param


class CommissionLine(TypedDict):
    partner: str
    volume: str
    transactions: str
    rate: str
    commission: str
    id: str  # the partner's


class CommissionState(StaffState, rx.State):
    month: str = ""
    months: list[str] = []
    rows: list[CommissionLine] = []
    total_volume: str = ""
    total_commission: str = ""

    def _load(self, month: str) -> None:
        today = local_today()
        self.months = partners.recent_months(today)
        self.month = month if month in self.months else self.months[0]
        with session_scope() as session:
            lines = partners.monthly_report(session, self.month)
        self.rows = [
            {
                "partner": line.partner,
                "volume": f"¥{line.volume:,.2f}",
                "transactions": f"{line.transactions:,}",
                "rate": f"{line.rate:.2f}%",
                "commission": f"¥{line.commission:,.2f}",
                "id": str(line.partner_id),
            }
            for line in lines
        ]
        self.total_volume = f"¥{sum(line.volume for line in lines):,.2f}"
        self.total_commission = f"¥{sum(line.commission for line in lines):,.2f}"

    @rx.event
    @requires("partner", "view")
    def load(self) -> None:
        self._load(str(self.router.url.query_parameters.get("month", "")))

    @rx.event
    @requires("partner", "view")
    def choose_month(self, month: str | list[str]) -> Any:
        return (
            rx.redirect(f"/partners/commission?month={month}")
            if isinstance(month, str) and month in self.months
            else None
        )

    @rx.event
    @requires("partner", "export")
    async def export(self) -> Any:
        caller = await self._caller()
        file = await offload.run(
            partners.export_commission,
            principal=caller.principal,
            month=self.month,
            lang=caller.lang,
            client=caller.client,
        )
        return rx.download(data=file.data, filename=file.filename)


# "from": the monthly volume the tier starts at
CommissionTier = TypedDict("CommissionTier", {"from": str, "rate": str, "reached": bool})


class ProductCommissionState(StaffState, rx.State):
    """The product page's panel: its partner's commission tiers (read-only)."""

    shown: bool = False
    partner: str = ""
    partner_id: int = 0
    ladder: list[CommissionTier] = []
    month_volume: str = ""
    month_rate: str = ""

    @rx.event
    @requires("product", "view")
    async def load(self) -> None:
        principal = await self._principal()
        with session_scope() as session:
            terms = partners.product_commission_terms(session, principal, record_id_param(self))
        self.shown = terms is not None
        if terms is None:
            self.partner, self.partner_id, self.ladder = "", 0, []
            return
        self.partner, self.partner_id = terms.partner, terms.partner_id
        self.ladder = [
            {
                "from": f"¥{start:,.2f}",
                "rate": f"{rate:.2f}%",
                "reached": index == terms.reached,
            }
            for index, (start, rate) in enumerate(terms.ladder)
        ]
        self.month_volume = f"¥{terms.month_volume:,.2f}"
        self.month_rate = f"{terms.month_rate:.2f}%"
