"""Schemathesis against the served OpenAPI document: requests generated from the document for a
few resources' operations (bounded: a handful of examples each) must never fail on the server
and every answer must match what the document says (status, media type, body schema).

Bounded so that it runs in seconds (schemathesis is a dev dependency: `make setup` installs it)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import GOOD_PARTNER

# (the role whose key calls, the resources exercised, records made first as {resource: body}):
# a workflow with attachments (product), archive (partner), a ref (commission tiers), the
# index; encrypted money only some may read (employee salary); masked personal data (customer)
# and row scope (ticket)
CASES = [
    ("product_manager", "partner|product|commission_tier", ("partner", "product")),
    ("hr", "employee|team", ("team",)),
    ("cs_agent", "customer|ticket", ()),
]
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


TEAM = {"code": "ops", "name_zh": "运营", "name_en": "Operations"}
# custom fields an administrator added before the document is read: described and exercised
# like declared ones ((resource, name, kind, required, choices))
CUSTOM = [
    ("partner", "tier", "choice", True, "gold\nsilver"),
    ("partner", "desk_size", "int", False, ""),
    ("ticket", "callback_on", "date", False, ""),
    ("employee", "allowance", "money", False, ""),
]


@pytest.mark.parametrize(("role", "resources", "made"), CASES, ids=[c[0] for c in CASES])
def test_generated_requests_get_documented_answers_and_never_a_server_error(
    api, session, role, resources, made
):
    from backoffice.engine import custom
    from tests.api_client import ADMIN

    for resource_key, name, kind, required, choices in CUSTOM:
        _made, errors = custom.add_definition(
            session,
            actor=ADMIN,
            resource_key=resource_key,
            name=name,
            label_zh=f"自定义{name}",
            label_en=f"Custom {name}",
            kind=kind,
            required=required,
            choices=choices,
        )
        assert not errors, errors
    session.commit()
    _id, key = api.key(role, rate_per_minute=100_000)
    http = api.http(key)
    # the operations on one record act on these (else nearly every call would be a 404)
    existing: dict[str, int] = {}
    bodies = {
        "partner": lambda: {**GOOD_PARTNER, "x_tier": "gold"},
        "product": lambda: {**PRODUCT, "partner_id": existing["partner"]},
        "team": lambda: TEAM,
    }
    for resource in made:
        created = http.post(f"/resources/{resource}", json=bodies[resource]())
        assert created.status_code == 201, created.text
        existing[resource] = created.json()["data"]["id"]
    document = http.get("/openapi.json").json()
    described = {
        n for s in document["components"]["schemas"].values() for n in s.get("properties", {})
    }
    assert {f"x_{name}" for _r, name, *_rest in CUSTOM} <= described
    schema = schemathesis.openapi.from_dict(document).include(
        path_regex=rf"^/resources(/({resources})(/.*)?)?$"
    )
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

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
