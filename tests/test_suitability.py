"""The suitability rule: Rn only for customers assessed Cn or above."""

from datetime import UTC, datetime

import pytest

from backoffice.services import suitability
from models.customers import Customer


@pytest.mark.parametrize(
    ("risk", "tolerance", "allowed"),
    [
        ("R1", "C1", True),
        ("R3", "C2", False),
        ("R3", "C3", True),
        ("R3", "C5", True),
        ("R5", "C4", False),
        ("R5", "C5", True),
        ("R2", None, False),
        ("R9", "C5", False),
        ("R2", "C0", False),
    ],
)
def test_rule(risk, tolerance, allowed):
    assert suitability.may_buy(risk, tolerance) is allowed


def test_eligible_tolerances():
    assert suitability.eligible_tolerances("R4") == ["C4", "C5"]
    assert suitability.eligible_tolerances("R1") == ["C1", "C2", "C3", "C4", "C5"]


def test_counts_only_assessed_approved_customers(session):
    for n, (tolerance, status) in enumerate(
        [
            ("C5", "approved"),
            ("C4", "approved"),
            ("C4", "pending"),
            ("C2", "approved"),
            (None, "not_started"),
        ]
    ):
        session.add(
            Customer(
                customer_no=f"C{n}",
                name_masked="x",
                name_cipher="x",
                name_hash="h",
                id_number_cipher="x",
                id_number_hash="h",
                phone_cipher="x",
                phone_hash="h",
                registered_at=datetime.now(UTC),
                kyc_status=status,
                risk_tolerance=tolerance,
            )
        )
    session.commit()
    assert suitability.eligible_customers(session, "R4") == {"C4": 1, "C5": 1}
