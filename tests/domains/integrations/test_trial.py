"""The local trial behind ``make simulate``: a fresh demo key and signing secret each time (the
previous ones stop working), the receiver's address kept current, never in production."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import select

from backoffice.domains.integrations import clients, trial, webhooks
from models.integrations import ApiClient, WebhookSubscription


def test_each_trial_renews_the_key_and_the_secret_and_points_at_the_receiver(api, session):
    first = trial.prepare(session, "http://127.0.0.1:8765/")
    session.commit()
    assert api.http(first.key).get("/whoami").json()["roles"] == ["platform"]
    second = trial.prepare(session, "http://127.0.0.1:9999/")
    session.commit()
    assert api.http(first.key).get("/whoami").status_code == 401
    assert api.http(second.key).get("/whoami").status_code == 200
    assert second.secret != first.secret
    (subscription,) = session.exec(select(WebhookSubscription)).all()
    assert subscription.url == "http://127.0.0.1:9999/"
    assert set(subscription.events.split(",")) == set(webhooks.KINDS)
    assert len(session.exec(select(ApiClient)).all()) == 1


def test_no_trial_in_production(session, monkeypatch):
    monkeypatch.setattr(trial, "get_settings", lambda: SimpleNamespace(is_production=True))
    with pytest.raises(clients.ClientRefused):
        trial.prepare(session, "http://127.0.0.1:8765/")
    session.rollback()
    assert session.exec(select(ApiClient)).all() == []
