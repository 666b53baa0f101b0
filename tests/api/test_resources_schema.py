"""Schemathesis against the served OpenAPI document: requests generated from the document for a
few resources' operations (bounded: a handful of examples each) must never fail on the server
and every answer must match what the document says (status, media type, body schema).

Skipped only when schemathesis is not installed (it is not in the shared environment; see the
pins in docs or run it from a virtualenv that has it)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import GOOD_PARTNER  # noqa: E402

# the operations exercised: a resource with a workflow, one with attachments and archive,
# the index, and one with a ref field (commission tiers of a partner)
OPERATIONS = r"^/resources(/(partner|product|commission_tier)(/.*)?)?$"
EXAMPLES = 6
PRODUCT = {
    "code": "P1",
    "name": "稳盈90天",
    "product_type": "fixed_term",
    "risk_level": "R2",
    "min_purchase": "1000",
    "term_days": 90,
    "early_redemption": "not_allowed",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_generated_requests_get_documented_answers_and_never_a_server_error(api):
    _id, key = api.key("product_manager", rate_per_minute=100_000)
    http = api.http(key)
    partner = http.post("/resources/partner", json=GOOD_PARTNER)
    assert partner.status_code == 201, partner.text
    # the operations on one record act on these (else nearly every call would be a 404)
    existing = {"partner": partner.json()["data"]["id"]}
    product = http.post("/resources/product", json={**PRODUCT, "partner_id": existing["partner"]})
    assert product.status_code == 201, product.text
    existing["product"] = product.json()["data"]["id"]
    document = http.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document).include(path_regex=OPERATIONS)
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        resource = operation.path.split("/")[2] if operation.path.count("/") > 1 else ""
        known = (
            {"id": existing[resource]}
            if "{id}" in operation.path and resource in existing
            else None
        )

        @given(case=operation.as_strategy(path_parameters=known))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=api.base_url, headers=headers, checks=CHECKS)

        exercise()
