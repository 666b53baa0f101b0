"""Every page builds without a browser: a prop of the wrong type fails here in seconds, not only
when the browser tests compile the app."""

from __future__ import annotations

import reflex as rx


def test_every_registered_page_builds():
    import backoffice.backoffice as app_module
    from state import reflex_seam

    pages = reflex_seam.registered_pages(app_module.app)
    assert len(pages) > 50  # the generic resource pages are registered too
    built = {}
    for route, page in pages.items():
        component = page.component() if callable(page.component) else page.component
        assert isinstance(component, rx.Component), route
        built[route] = component.render()
    assert {"kpi", "kpi/metrics", "campaigns/results", "projects/gantt"} <= set(built)
