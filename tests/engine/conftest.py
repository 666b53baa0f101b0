"""The engine tests' callers: two product managers."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from backoffice.security.rbac import Principal
from tests.factories import make_principal


@pytest.fixture
def pm(session: Session) -> Principal:
    return make_principal(session, "pm.one", ["product_manager"])


@pytest.fixture
def pm2(session: Session) -> Principal:
    return make_principal(session, "pm.two", ["product_manager"])
