"""Suitability: override requests (maker ≠ checker; approval records the subscription) and
the compliance queue of holdings that became unsuitable."""

from __future__ import annotations

from decimal import Decimal

from backoffice.domains.suitability import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Queue, Resource, register
from backoffice.engine.workflow import Transition as T
from backoffice.engine.workflow import Workflow
from models.customers import RISK_TOLERANCES
from models.products import RISK_LEVELS
from models.suitability import OverrideStatus, ReviewStatus, SuitabilityOverride, SuitabilityReview

OS = OverrideStatus
RS = ReviewStatus


def _levels() -> tuple[F, F]:
    return (
        F(
            "customer_tolerance",
            kind="choice",
            choices=RISK_TOLERANCES,
            choice_group="risk_tolerance",
            editable=False,
        ),
        F(
            "product_risk",
            kind="choice",
            choices=RISK_LEVELS,
            choice_group="risk_level",
            editable=False,
        ),
    )


OVERRIDE = register(
    Resource(
        key="suitability_override",
        model=SuitabilityOverride,
        permission="suitability_override",
        module="kyc",
        icon="shield-alert",
        fields=(
            F("request_no", editable=False),
            F("customer_id", kind="ref", ref="customer", required=True, fixed=True),
            F("product_id", kind="ref", ref="product", required=True, fixed=True),
            F("amount", kind="money", min_value=Decimal("0.01"), required=True, fixed=True),
            F("reason", kind="longtext", required=True, fixed=True, max_length=2000),
            *_levels(),
            F(
                "status",
                kind="choice",
                choices=tuple(OS),
                choice_group="override_status",
                editable=False,
            ),
            F("transaction_id", kind="ref", ref="transaction", editable=False),
        ),
        list_columns=(
            "request_no",
            "customer_id",
            "product_id",
            "amount",
            "customer_tolerance",
            "product_risk",
            "status",
        ),
        title_field="request_no",
        filters=("status", "product_id", "customer_tolerance", "product_risk", "created_at"),
        search_fields=("request_no",),
        default_sort="-id",
        queues=(Queue("requested", lambda p: SuitabilityOverride.status == OS.REQUESTED),),
        workflow=Workflow(
            state_field="status",
            states=tuple(OS),
            initial=OS.REQUESTED,
            editable_in=(),  # what the checker approves is what the maker requested
            transitions=(
                T(
                    "approve",
                    (OS.REQUESTED,),
                    OS.APPROVED,
                    action="approve",
                    guard=rules.approval_refusal,
                    after=rules.record_approved,
                ),
                T("reject", (OS.REQUESTED,), OS.REJECTED, action="approve"),
            ),
        ),
        validator=rules.check_reason,
        db_validator=rules.check_override,
        before_create=rules.prepare_override,
        archivable=False,  # a regulated decision: kept as it was made
        importable=False,
    )
)


REVIEW = register(
    Resource(
        key="suitability_review",
        model=SuitabilityReview,
        permission="suitability_review",
        module="kyc",
        icon="scale",
        fields=(
            F("customer_id", kind="ref", ref="customer", editable=False),
            F("product_id", kind="ref", ref="product", editable=False),
            *_levels(),
            F("position", kind="money", editable=False),
            F("found_at", kind="datetime", editable=False),
            F(
                "status",
                kind="choice",
                choices=tuple(RS),
                choice_group="review_status",
                editable=False,
            ),
            F("note", kind="longtext", max_length=4000),
        ),
        list_columns=(
            "customer_id",
            "product_id",
            "customer_tolerance",
            "product_risk",
            "position",
            "found_at",
            "status",
        ),
        title_field="id",
        filters=("status", "product_id", "customer_tolerance", "product_risk", "found_at"),
        default_sort="-id",
        queues=(
            Queue("open", lambda p: SuitabilityReview.status == RS.OPEN),
            Queue("reviewed", lambda p: SuitabilityReview.status == RS.REVIEWED),
        ),
        workflow=Workflow(
            state_field="status",
            states=tuple(RS),
            initial=RS.OPEN,
            editable_in=(RS.OPEN,),
            transitions=(T("close", (RS.OPEN,), RS.REVIEWED, required_fields=("note",)),),
        ),
        archivable=False,
        importable=False,
    )
)
