"""The portal's business domains. Each is a package of the same shape:

- ``manifest.py``: what it declares to the portal (``backoffice.platform.manifest``): its sidebar
  module, rights and default grants, counts and record panels;
- ``resources.py``: its records as low-code resources (registered with the engine);
- ``rules.py`` (and more modules where one would be too long): its business rules;
- ``jobs.py``: its scheduled jobs; ``demo.py``: its demo data, made through its rules.

Its tables are in ``models/<name>.py``, its states in ``state/<name>.py``, its pages in
``pages/<name>.py``. Adding a domain: its package (and those files), and its name below.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from functools import cache
from types import ModuleType

from backoffice.platform.manifest import Manifest

# in sidebar order (a module's resources are listed in the order of their domains)
DOMAINS = (
    "products",
    "partners",
    "campaigns",
    "customers",
    "kyc",
    "questionnaire",
    "risk",
    "suitability",
    "transactions",
    "tickets",
    "hr",
    "kpi",
    "projects",
    "audit",
    "admin",
    "integrations",
    "home",
)


@cache
def manifests() -> tuple[Manifest, ...]:
    found = tuple(
        importlib.import_module(f"{__name__}.{name}.manifest").MANIFEST for name in DOMAINS
    )
    assert [m.name for m in found] == list(DOMAINS), "a manifest names another domain"
    return found


def parts(part: str) -> list[ModuleType]:
    """Each domain's ``part`` module (``resources``, ``jobs``, ``demo``…) where it has one, in
    domain order."""
    return _existing(f"{__name__}.{name}.{part}" for name in DOMAINS)


def layer(package: str) -> list[ModuleType]:
    """Each domain's module in another layer (``pages``, ``state``) where it has one."""
    return _existing(f"{package}.{name}" for name in DOMAINS)


def _existing(dotted_names: Iterable[str]) -> list[ModuleType]:
    return [
        importlib.import_module(dotted)
        for dotted in dotted_names
        if importlib.util.find_spec(dotted) is not None
    ]


_loading = False


def load() -> None:
    """Register every domain's resources with the engine, once (the engine asks on first use)."""
    global _loading
    if _loading:
        return
    _loading = True
    parts("resources")
    from backoffice.engine.resource import sort_registry

    # a resource belongs to the domain its model's module is named after
    sort_registry(lambda r: DOMAINS.index(r.model.__module__.removeprefix("models.")))
