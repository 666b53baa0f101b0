"""The Reflex app: registers every page. The only module of the core that imports Reflex."""

import asyncio
import os
from typing import Any

import reflex as rx

from backoffice import domains
from backoffice.api import app as api_app
from backoffice.i18n import translate
from backoffice.ops import admission, heap_trim, malformed_events, memory_probe
from backoffice.platform import jobs
from backoffice.security import headers, request_limits
from backoffice.security.session_routes import routes_app
from pages.layout import registered_pages
from pages.login import login
from pages.resource import register_pages
from state import reflex_seam
from state.auth import SessionBinding

domains.load()  # every resource, for the generic pages
domains.layer("pages")  # every domain's own pages (and through them their states)
register_pages()
reflex_seam.admit_foreground_events(admission.cap(admission.limit_from_environment()))
reflex_seam.refuse_malformed_events(malformed_events.ConnectionWarnings)


def backend_exception_handler(exception: Exception) -> rx.event.EventSpec:
    """An error in an event handler: logged as ``malformed_events.log_handler_error`` decides
    (one traceback a minute per place); the user gets a toast in both languages."""
    malformed_events.log_handler_error(exception)
    message = f"{translate('error.generic', 'zh')} / {translate('error.generic', 'en')}"
    return rx.toast.error(message, id="backend_error")


class PortalApp(rx.App):
    """The Reflex app with the security headers on everything it answers: the built
    frontend's files (served by the backend in production), the backend's routes, the
    websocket's upgrade, and even Reflex's own CORS refusals and errors (the outermost layer)."""

    def __call__(self) -> Any:
        return with_security_headers(super().__call__())


def with_security_headers(asgi_app: Any) -> headers.SecurityHeaders:
    """Called in each web worker at start-up, after the frontend is built: each built page's
    policy names its inline scripts by hash."""
    config = rx.config.get_config()
    websocket_origins = headers.websocket_sources(config.cors_allowed_origins)
    built = reflex_seam.built_frontend_dir()
    return headers.SecurityHeaders(
        asgi_app,
        policy=headers.content_security_policy((), websocket_origins),
        page_policies=headers.built_page_policies(built, websocket_origins),
        hsts=headers.hsts_mode_from_environment(),
        trusted_proxy_hops=config.trusted_proxy_hops,
    )


app = PortalApp(
    theme=rx.theme(accent_color="indigo", radius="medium", scaling="100%"),
    html_lang="zh-CN",
    # the sign-in cookie's routes and the REST API, then the upload body limit around everything
    api_transformer=[
        routes_app(),
        api_app.mounted(),
        request_limits.limiting_uploads(reflex_seam.upload_path()),
    ],
    backend_exception_handler=backend_exception_handler,
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
