"""KPI pages: the dashboard per area over a date range, forecasts, exports, reports, and the
metric catalogue. Thin: the service decides what the caller may see and computes it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.kpi import figures as kpi_figures
from backoffice.domains.kpi import rules as kpi
from backoffice.domains.kpi.metrics import (
    AREAS,
    EVERY_AREA,
    Period,
    areas_of,
    metric,
    visible,
)
from backoffice.i18n import translate
from backoffice.platform import chart_style, figures, offload
from backoffice.platform.versioned import display_names
from state.auth import requires, signed_in
from state.base import StaffState
from state.charts import Chart, as_chart

CHART_SLOTS = 4
TONES = {True: "green", False: "red", None: "gray"}


def shown(value: Decimal | None, unit: str, lang: str = "zh") -> str:
    """A card's figure in the staff's language (万/亿 or K/M/B for amounts)."""
    return chart_style.number(value, unit, lang)


class Area(TypedDict):
    key: str
    label: str


class Card(TypedDict):
    key: str
    name: str
    value: str
    previous: str
    change: str
    tone: str  # green, red or gray: better, worse or neither against the previous period
    link: str


class Report(TypedDict):
    id: str
    title: str
    period: str
    by: str


class OpenAlert(TypedDict):
    id: str
    no: str
    metric: str
    value: str
    status: str


class KpiState(StaffState, rx.State):
    area: str = "overview"
    areas: list[Area] = []
    start: str = ""
    end: str = ""
    previous_label: str = ""
    cards: list[Card] = []
    chart_titles: list[str] = []
    chart0: Chart = {}
    chart1: Chart = {}
    chart2: Chart = {}
    chart3: Chart = {}
    show_forecast: bool = False
    horizon: str = "30"
    forecast_aum: Chart = {}
    forecast_sales: Chart = {}
    forecast_note: str = ""
    reports: list[Report] = []
    open_alerts: list[OpenAlert] = []
    can_export: bool = False
    can_reports: bool = False
    can_alerts: bool = False
    can_rules: bool = False
    has_metrics: bool = False
    error: str = ""
    _chart_keys: list[str] = []
    _links: list[list[list[str]]] = []

    def _period(self) -> Period:
        return kpi.parse_period(self.start, self.end)

    @rx.event
    @signed_in  # the page gate opens /kpi to the metrics' readers and the alerts' keepers
    async def load(self) -> None:
        params = self.router.url.query_parameters
        principal = await self._principal()
        self.can_alerts = principal.can("kpi_alert", "view")
        self.can_rules = principal.can("kpi_alert_rule", "view")
        areas = areas_of(principal)  # none without kpi.view
        self.has_metrics = bool(areas)
        if not areas:
            lang = await self._lang()
            with session_scope() as session:
                self.open_alerts = self._alerts(session, principal, lang)
            return
        wanted = str(params.get("area", ""))
        overview = len(areas) > 1
        choices = (["overview"] if overview else []) + areas
        self.area = wanted if wanted in choices else choices[0]
        default = kpi.default_period()
        self.start = str(params.get("start", "")) or default.start.isoformat()
        self.end = str(params.get("end", "")) or default.end.isoformat()
        lang = await self._lang()
        self.areas = [{"key": a, "label": translate(f"kpi.area.{a}", lang)} for a in choices]
        self.can_export = principal.can("kpi", "export")
        self.can_reports = kpi.sees_everything(principal)
        await self._fill()

    async def _fill(self) -> None:
        principal, lang = await self._principal(), await self._lang()
        try:
            period = self._period()
        except kpi.KpiError as exc:
            self.error = translate(exc.key, lang)
            return
        self.error = ""
        with session_scope() as session:
            board = kpi.dashboard(
                session, principal=principal, area=self.area, period=period, lang=lang
            )
            self.show_forecast = self.area in ("overview", "products") and any(
                m.key == "aum" for m in visible(principal)
            )
            if self.show_forecast:
                self._fill_forecast(session, principal, lang)
            reports = kpi.recent_reports(session, principal)
            makers = display_names(session, {r.generated_by for r in reports}, lang)
            self.reports = [
                {
                    "id": str(r.id),
                    "title": r.title,
                    "period": f"{r.period_start} – {r.period_end}",
                    "by": makers.get(r.generated_by, r.generated_by),
                }
                for r in reports
            ]
            self.open_alerts = self._alerts(session, principal, lang)
        previous = board.previous
        self.previous_label = f"{previous.start} – {previous.end}"
        self.cards = [
            {
                "key": c.key,
                "name": c.name,
                "value": shown(c.value, c.unit, lang),
                "previous": shown(c.previous, c.unit, lang),
                "change": c.change_text(lang),
                "tone": TONES[c.good],
                "link": c.link,
            }
            for c in board.cards
        ]
        charts = board.charts[:CHART_SLOTS]
        self._chart_keys = [c.key for c in charts]
        self._links = [figures.trace_links(c) for c in charts]
        self.chart_titles = [c.title for c in charts]
        for slot in range(CHART_SLOTS):
            setattr(
                self,
                f"chart{slot}",
                as_chart(figures.kpi_figure(charts[slot], lang)) if slot < len(charts) else {},
            )

    def _fill_forecast(self, session: Any, principal: Any, lang: str) -> None:
        try:
            aum, sales = kpi.forecasts(
                session, principal=principal, horizon=int(self.horizon), lang=lang
            )
        except kpi.KpiError as exc:
            self.forecast_note = translate(exc.key, lang)
            self.forecast_aum = self.forecast_sales = {}
            return
        self.forecast_aum = as_chart(figures.kpi_figure(aum, lang))
        self.forecast_sales = as_chart(figures.kpi_figure(sales, lang))
        self.forecast_note = aum.note

    def _alerts(self, session: Any, principal: Any, lang: str) -> list[OpenAlert]:
        return [
            {
                "id": str(a.id),
                "no": a.alert_no,
                "metric": translate(f"metric.{a.metric}", lang),
                "value": f"{a.value.normalize():f}",
                "status": translate(f"choice.kpi_alert_status.{a.status}", lang),
            }
            for a in kpi.open_alerts(session, principal)
        ]

    def _go(self, area: str, start: str, end: str) -> Any:
        return rx.redirect(f"/kpi?area={area}&start={start}&end={end}")

    @rx.event
    @requires("kpi", "view")
    async def choose_area(self, area: str) -> Any:
        if area in ("overview", *AREAS):
            return self._go(area, self.start, self.end)
        return None

    @rx.event
    @requires("kpi", "view")
    async def apply_range(self, form: dict[str, Any]) -> Any:
        start, end = str(form.get("start", "")), str(form.get("end", ""))
        try:
            kpi.parse_period(start, end)
        except kpi.KpiError as exc:
            return self._refusal(exc, await self._lang())
        return self._go(self.area, start, end)

    @rx.event
    @requires("kpi", "view")
    async def preset(self, days: str) -> Any:
        today = kpi.local_today()
        if days == "ytd":
            first = date(today.year, 1, 1)
        elif days in ("7", "30", "90"):
            first = today - timedelta(days=int(days) - 1)
        else:
            return None
        return self._go(self.area, first.isoformat(), today.isoformat())

    @rx.event
    @requires("kpi", "view")
    async def set_horizon(self, horizon: str) -> None:
        if horizon in ("30", "90"):
            self.horizon = horizon
            with session_scope() as session:
                self._fill_forecast(session, await self._principal(), await self._lang())

    @rx.event
    @requires("kpi", "view")
    async def drill(self, slot: int, points: list[dict[str, Any]]) -> Any:
        """A click on a bar or point opens the records behind it (links made on the server)."""
        try:
            point = points[0]
            curve, index = int(point.get("curveNumber", 0)), int(point.get("pointNumber", 0))
            link = self._links[int(slot)][curve][index]
        except (IndexError, KeyError, TypeError, ValueError, AttributeError):
            return None
        return rx.redirect(link)

    @rx.event
    @requires("kpi", "export")
    async def export_chart(self, slot: int) -> Any:
        caller = await self._caller()
        try:
            key = self._chart_keys[int(slot)]
            file = await offload.run(
                kpi.export_chart,
                principal=caller.principal,
                key=key,
                period=self._period(),
                lang=caller.lang,
                client=caller.client,
            )
        except (IndexError, TypeError, ValueError):
            return rx.toast.error(translate("kpi.chart_unknown", caller.lang))
        except kpi.KpiError as exc:
            return self._refusal(exc, caller.lang)
        return rx.download(data=file.data, filename=file.filename)

    @rx.event
    @requires("kpi", "export")
    async def export_page(self) -> Any:
        caller = await self._caller()
        lang = caller.lang
        try:
            period = self._period()
        except kpi.KpiError as exc:
            return self._refusal(exc, lang)
        file = await offload.run(
            kpi.export_page,
            principal=caller.principal,
            period=period,
            title=f"{translate('kpi.title', lang)} {period.start} – {period.end}",
            lang=lang,
            client=caller.client,
        )
        return rx.download(data=file.data, filename=file.filename)

    @rx.event
    @requires("kpi", "export")
    async def generate_report(self) -> Any:
        principal, lang = await self._principal(), await self._lang()
        if not kpi.sees_everything(principal):
            return rx.toast.error(translate("auth.denied", lang))
        try:
            period = self._period()
        except kpi.KpiError as exc:
            return self._refusal(exc, lang)

        def write() -> None:
            with self._write_scope() as session:
                kpi.create_report(session, period, "range", principal.username)

        await offload.run(write)
        await self._fill()
        return rx.toast.success(translate("kpi.report_written", lang))

    @rx.event
    @requires("kpi", "view")
    async def download_report(self, report_id: int) -> Any:
        caller = await self._caller()
        lang = caller.lang
        try:
            file = await offload.run(
                kpi.download_report,
                principal=caller.principal,
                report_id=int(report_id),
                client=caller.client,
            )
        except (kpi.KpiError, TypeError, ValueError):
            return rx.toast.error(translate("field.not_found", lang))
        return rx.download(data=file.data, filename=file.filename, mime_type=file.mime_type)


class Metric(TypedDict):
    key: str
    name: str
    area: str
    formula: str
    unit: str
    owner: str
    roles: str
    latest: str


class KpiCatalogueState(StaffState, rx.State):
    rows: list[Metric] = []
    selected: str = ""
    history: Chart = {}

    @rx.event
    @requires("kpi", "view")
    async def load(self) -> None:
        principal, lang = await self._principal(), await self._lang()
        shown_metrics = visible(principal)
        with session_scope() as session:
            latest = kpi.latest_snapshots(session)
        self.rows = [
            {
                "key": m.key,
                "name": m.name(lang),
                "area": translate(f"kpi.area.{m.area}", lang),
                "formula": m.formula(lang),
                "unit": translate(f"kpi.unit.{m.unit}", lang),
                "owner": translate(f"role.{m.owner}", lang),
                "roles": "、".join(
                    translate(f"role.{r}", lang) for r in sorted(m.roles | EVERY_AREA)
                ),
                "latest": (
                    f"{latest[m.key].day}: {shown(latest[m.key].value.normalize(), m.unit, lang)}"
                    if m.key in latest
                    else "—"
                ),
            }
            for m in shown_metrics
        ]
        if shown_metrics:  # rebuilt on every load: the language may have changed
            keys = [m.key for m in shown_metrics]
            await self._history(self.selected if self.selected in keys else keys[0])

    @rx.event
    @requires("kpi", "view")
    async def pick(self, key: str) -> Any:
        await self._history(key)

    async def _history(self, key: str) -> None:
        principal, lang = await self._principal(), await self._lang()
        item = metric(key)
        if item is None or not item.visible_to(principal):
            return
        with session_scope() as session:
            points = kpi.history(session, principal=principal, key=key)
        self.selected = key
        title = f"{item.name(lang)} · {translate('kpi.history_of', lang)}"
        self.history = as_chart(kpi_figures.history_figure(title, points, item.unit, lang))
