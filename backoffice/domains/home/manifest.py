"""The overview and each module's landing page: what waits for the person who opens them.
It declares no records of its own; it reads every other domain's manifest."""

from __future__ import annotations

from backoffice.platform.manifest import Manifest

MANIFEST = Manifest(name="home")
