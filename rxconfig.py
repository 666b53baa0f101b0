"""Reflex configuration. Settings come from REFLEX_* environment variables (see README)."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="backoffice",
    telemetry_enabled=False,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[SitemapPlugin],
    show_built_with_reflex=False,
)
