"""The production launcher: which web server it runs and how (the browser tests and
`make bench-ws` / `make drill-worker` run it for real)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from reflex.utils import exec as reflex_exec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def serve_prod(monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("serve_prod", ROOT / "scripts" / "serve_prod.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # whatever the launcher replaces is put back after the test
    monkeypatch.setattr(
        reflex_exec, "run_granian_backend_prod", reflex_exec.run_granian_backend_prod
    )
    return module


def test_uvicorn_replaces_reflexs_granian_entry_point(serve_prod, monkeypatch):
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    serve_prod._serve_with_uvicorn()
    reflex_exec.run_granian_backend_prod("127.0.0.1", 8123, reflex_exec.LogLevel.ERROR, "app:app")
    (target,), options = calls[0]
    assert target == "app:app" and options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8123, 3)
    assert options["ws"] == "wsproto" and options["lifespan"] == "on"
    assert options["proxy_headers"] is False, "the client address is Reflex's to work out"


def test_an_unknown_web_server_is_refused_by_name(serve_prod, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_WEB_SERVER", "apache")
    monkeypatch.setenv("BACKOFFICE_SCHEDULER", "off")
    monkeypatch.setattr(sys, "argv", ["serve_prod.py"])
    with pytest.raises(SystemExit, match="granian or uvicorn, not 'apache'"):
        serve_prod.main()


def test_uvicorn_serves_unless_granian_is_asked_for(serve_prod, monkeypatch):
    import reflex.reflex

    chosen: list[str] = []
    monkeypatch.setattr(serve_prod, "_serve_with_uvicorn", lambda: chosen.append("uvicorn"))
    monkeypatch.setattr(serve_prod, "_respawn_failed_workers", lambda: chosen.append("granian"))
    monkeypatch.setattr(reflex.reflex, "cli", lambda args: chosen.append(" ".join(args)))
    for name, value in (
        ("BACKOFFICE_SCHEDULER", "off"),  # main() sets these three: restored after the test
        ("REFLEX_OPLOCK_ENABLED", "false"),
        ("REFLEX_USE_GRANIAN", "true"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["serve_prod.py", "--env", "prod"])
    monkeypatch.delenv("BACKOFFICE_WEB_SERVER", raising=False)
    serve_prod.main()
    monkeypatch.setenv("BACKOFFICE_WEB_SERVER", "granian")
    serve_prod.main()
    assert chosen == ["uvicorn", "run --env prod", "granian", "run --env prod"]
