"""The catalogue the customer platform shows, through the served API: products on sale with
their yields, windows and disclosures, and the campaigns running today with their codes."""

from __future__ import annotations

from datetime import timedelta

from backoffice.platform.business_time import local_today
from models.attachments import Attachment
from tests.platform_data import problem, product, running_campaign


def test_the_catalogue_lists_products_on_sale_with_their_terms_and_disclosures(api, session):
    today = local_today()
    sold = product(session, "A1", risk="R3")
    later = product(session, "A2", starts=today + timedelta(days=2))
    product(session, "A3", status="suspended")
    product(session, "A4", starts=today - timedelta(days=30), ends=today - timedelta(days=1))
    session.add(
        Attachment(
            resource="product", record_id=sold.id, category="risk_disclosure",
            filename="risk.pdf", content_type="application/pdf", size=15, sha256="ab" * 32,
            uploaded_by="pm",
        )
    )  # fmt: skip
    running_campaign(session, sold, code="SPRING26")
    session.commit()
    answer = api.as_role().get("/platform/catalogue").json()
    assert [p["code"] for p in answer["products"]] == ["A1", "A2"]
    first = answer["products"][0]
    assert (first["product_id"], first["risk_level"], first["min_purchase"]) == (
        sold.id,
        "R3",
        "1000.00",
    )
    assert (first["yield_min"], first["yield_max"]) == ("2.1000", "3.4500")
    assert first["sale_end"] == (today + timedelta(days=30)).isoformat()
    assert first["product_type_label"] == {"zh": "定期理财", "en": "Fixed-term product"}
    assert [(d["category"], d["filename"]) for d in first["disclosures"]] == [
        ("risk_disclosure", "risk.pdf")
    ]
    assert first["disclosures"][0]["label"]["en"] == "Risk disclosure"
    assert first["on_sale_today"] is True and answer["products"][1]["on_sale_today"] is False
    assert answer["products"][1]["product_id"] == later.id
    assert answer["campaigns"] == [
        {
            "code": "SPRING26",  # the code marketing typed
            "name": "新客礼",
            "kind": "signup_bonus",
            "start_date": (today - timedelta(days=3)).isoformat(),
            "end_date": (today + timedelta(days=3)).isoformat(),
            "product_ids": [sold.id],
        }
    ]


def test_the_catalogue_needs_the_right_to_see_products(api):
    problem(api.as_role("hr").get("/platform/catalogue"), 403, "auth.denied")
