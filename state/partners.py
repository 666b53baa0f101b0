"""The monthly commission report per partner."""

from __future__ import annotations

import csv
import io
from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.services import audit, partners
from backoffice.services.business_time import local_today
from state.auth import SessionState, requires


class CommissionState(rx.State):
    month: str = ""
    months: list[str] = []
    rows: list[dict[str, str]] = []
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
        session_state = await self.get_state(SessionState)
        with session_scope(write=True) as session:
            lines = partners.monthly_report(session, self.month)
            audit.record(
                session,
                actor=session_state.principal.username,
                action="partner.commission_export",
                entity="partner",
                changes={"month": [None, self.month], "rows": [None, len(lines)]},
                client=session_state.client,
            )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["partner", "month", "volume_cny", "transactions", "rate_percent", "commission_cny"]
        )
        for line in lines:
            writer.writerow(
                [
                    line.partner,
                    self.month,
                    line.volume,
                    line.transactions,
                    line.rate,
                    line.commission,
                ]
            )
        return rx.download(
            data=out.getvalue().encode("utf-8-sig"), filename=f"commission-{self.month}.csv"
        )
