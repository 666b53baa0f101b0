"""The Reflex app: registers every page. The only module of the core that imports Reflex."""

import asyncio
import os

import reflex as rx

import backoffice.resources  # noqa: F401  (registers every resource declaration)
import pages.admin
import pages.audit_log
import pages.campaigns
import pages.hr
import pages.kpi
import pages.kyc
import pages.overview
import pages.partners
import pages.projects
import pages.risk
import pages.tickets  # noqa: F401  (the imports above register pages, panels and states)
from backoffice import heap_trim, jobs, memory_probe
from backoffice.i18n import translate
from backoffice.session_routes import routes_app
from pages.layout import registered_pages
from pages.login import login
from pages.resource import register_pages
from state import admission
from state.auth import SessionBinding

register_pages()
admission.cap_events_in_flight(admission.limit_from_environment())

app = rx.App(
    theme=rx.theme(accent_color="indigo", radius="medium", scaling="100%"),
    html_lang="zh-CN",
    api_transformer=routes_app(),
)
# first: the tab's data is reset before anything else sees an event from another cookie
app.add_middleware(SessionBinding(), index=0)

for route, title_key, component, on_load in registered_pages:
    app.add_page(
        component,
        route=route,
        title=f"{translate(title_key, 'zh')} · {translate('app.short', 'zh')}",
        on_load=on_load,
    )
app.add_page(login, route="/login", title=translate("login.title", "zh"))


async def run_scheduler() -> None:
    """Each worker runs the scheduler; the job lease lets one of them run each tick."""
    jobs.start()
    try:
        await asyncio.Event().wait()
    finally:
        jobs.stop()


app.register_lifespan_task(run_scheduler)
app.register_lifespan_task(heap_trim.run, every=heap_trim.interval_from_environment())
if os.environ.get("BACKOFFICE_MEMORY_PROBE"):
    app.register_lifespan_task(memory_probe.run)
