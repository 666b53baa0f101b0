"""Reflex configuration. Settings come from REFLEX_* environment variables (see
docs/operations.md)."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

_port = os.environ.get("PORT", "3000")
# Websockets and API calls are accepted only from the portal's own origin(s).
ALLOWED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get(
        "BACKOFFICE_ALLOWED_ORIGINS", f"http://localhost:{_port},http://127.0.0.1:{_port}"
    ).split(",")
    if origin.strip()
]

config = rx.Config(
    app_name="backoffice",
    telemetry_enabled=False,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[SitemapPlugin],
    show_built_with_reflex=False,
    cors_allowed_origins=ALLOWED_ORIGINS,
)
