"""The panel of the risk indicator page: readings and recording a value."""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.risk import rules as risk
from backoffice.i18n import choice_label, translate
from backoffice.platform.business_time import shown_time
from backoffice.platform.versioned import display_names
from state.auth import requires
from state.base import StaffState
from state.resource import ResourceRecordState, record_id_param


class Reading(TypedDict):
    at: str
    value: str
    level: str
    level_label: str
    by: str
    note: str


class RiskPanelState(StaffState, rx.State):
    indicator_id: int = 0
    manual: bool = False
    can_record: bool = False
    readings: list[Reading] = []

    @rx.event
    @requires("risk_indicator", "view")
    async def load(self) -> None:
        lang = await self._lang()
        principal = await self._principal()
        self.indicator_id = record_id_param(self)
        with session_scope() as session:
            indicator = risk.indicator(session, self.indicator_id)
            self.manual = bool(indicator and indicator.source == "manual")
            self.can_record = self.manual and principal.can("risk_indicator", "edit")
            readings = risk.readings(session, self.indicator_id)
            people = display_names(session, {r.recorded_by for r in readings}, lang)
            self.readings = [
                {
                    "at": shown_time(r.measured_at),
                    "value": f"{r.value.normalize():f}",
                    "level": r.level,
                    "level_label": choice_label("risk_state", r.level, lang),
                    "by": people.get(r.recorded_by, r.recorded_by),
                    "note": r.note,
                }
                for r in readings
            ]

    @rx.event
    @requires("risk_indicator", "edit")
    async def record(self, form_data: dict) -> Any:
        lang = await self._lang()
        principal = await self._principal()
        try:
            with self._write_scope() as session:
                indicator = risk.indicator(session, self.indicator_id)
                if indicator is None:
                    raise risk.RiskError("error.not_found")
                level = risk.record_reading(
                    session,
                    principal,
                    indicator,
                    str(form_data.get("value", "")),
                    str(form_data.get("note", "")),
                )
        except risk.RiskError as error:
            return self._refusal(error, lang)
        return [
            rx.toast.success(
                translate("risk.recorded", lang).format(
                    level=choice_label("risk_state", level, lang)
                )
            ),
            RiskPanelState.load,
            ResourceRecordState.open("risk_indicator"),
        ]
