"""Callers the tests of several domains start from."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from backoffice.security.rbac import Principal
from tests.factories import make_principal


@pytest.fixture
def officers(session: Session) -> tuple[Principal, Principal]:
    """Two compliance officers, kyc.a and kyc.b."""
    first = make_principal(session, "kyc.a", ["compliance"])
    return first, make_principal(session, "kyc.b", ["compliance"])
