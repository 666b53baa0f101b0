"""The Reflex app: registers every page. The only module of the core that imports Reflex."""

import asyncio
import os
from typing import Any

import reflex as rx
from reflex.utils import prerequisites
from reflex_base import constants
from reflex_base.config import get_config

from backoffice import domains
from backoffice.i18n import translate
from backoffice.ops import heap_trim, memory_probe
from backoffice.platform import jobs
from backoffice.security import headers, request_limits
from backoffice.security.session_routes import routes_app
from pages.layout import registered_pages
from pages.login import login
from pages.resource import register_pages
from state import admission, malformed_events
from state.auth import SessionBinding


def reflex_upload_path() -> str:
    """The path Reflex serves uploads on, as ``App._add_optional_endpoints`` builds it (Reflex
    internals: ``tests/security/test_request_limits.py`` fails if that changes)."""
    return get_config().prepend_backend_path(str(constants.Endpoint.UPLOAD))


domains.load()  # every resource, for the generic pages
domains.layer("pages")  # every domain's own pages (and through them their states)
register_pages()
admission.cap_events_in_flight(admission.limit_from_environment())
malformed_events.log_once_per_connection()


class PortalApp(rx.App):
    """The Reflex app with the security headers on everything it answers: the built
    frontend's files (served by the backend in production), the backend's routes, the
    websocket's upgrade, and even Reflex's own CORS refusals and errors (the outermost layer)."""

    def __call__(self) -> Any:
        return with_security_headers(super().__call__())


def with_security_headers(asgi_app: Any) -> headers.SecurityHeaders:
    """Called in each web worker at start-up, after the frontend is built: each built page's
    policy names its inline scripts by hash."""
    config = get_config()
    websocket_origins = headers.websocket_sources(config.cors_allowed_origins)
    built = prerequisites.get_web_dir() / constants.Dirs.STATIC
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
    # the sign-in cookie's routes, then the upload body limit around everything
    api_transformer=[routes_app(), request_limits.limiting_uploads(reflex_upload_path())],
    backend_exception_handler=malformed_events.backend_exception_handler,
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
