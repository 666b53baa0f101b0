"""Demo data of KYC: one onboarding case per customer (approved ones scored by the
questionnaire in use, the others in every open state), watch lists with look-alikes of a few
customers, and the screening of the open cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from backoffice.domains.kyc import screening
from backoffice.domains.questionnaire.demo import answers_for
from backoffice.platform.demo import DemoContext, bulk
from backoffice.security import fields
from models.customers import RISK_TOLERANCES, Customer
from models.kyc import (
    OPEN_CASE_STATES,
    AmlRisk,
    HitStatus,
    KycCase,
    KycCaseKind,
    KycCaseStatus,
    ScreeningHit,
    WatchlistEntry,
    WatchlistKind,
)

# transactions: for the order only, their random draws come first
NEEDS = ("customers", "questionnaire", "transactions")

OFFICERS = ("kyc.liu", "kyc.sun")


def rows(demo: DemoContext) -> None:
    c, rng = demo.conn, demo.rng
    questionnaire_id, questions = demo.made["questionnaire"]
    open_states = [
        KycCaseStatus.NEW,
        KycCaseStatus.NEW,
        KycCaseStatus.IN_REVIEW,
        KycCaseStatus.WAITING_CUSTOMER,
        KycCaseStatus.ESCALATED,
    ]

    def new_rows() -> Iterator[dict[str, Any]]:
        for n, (customer_id, tolerance, registered) in enumerate(demo.made["customers"], 1):
            if tolerance:
                status = KycCaseStatus.APPROVED
            else:
                status = rng.choice([*open_states, KycCaseStatus.REJECTED])
            recent = rng.random() < 0.5
            opened = (
                (demo.now - timedelta(hours=rng.randrange(1, 24 * 6)))
                if (status != KycCaseStatus.APPROVED and recent)
                else registered
            )
            scored = status != KycCaseStatus.NEW
            assessed = tolerance or rng.choice(RISK_TOLERANCES)
            answers, score = answers_for(demo, questions, assessed) if scored else ("", None)
            draw = rng.random()
            aml = AmlRisk.HIGH if draw > 0.9 else AmlRisk.MEDIUM if draw > 0.65 else AmlRisk.LOW
            yield {
                **demo.stamp(opened),
                "case_no": f"K{n:09d}",
                "customer_id": customer_id,
                "status": status.value,
                "questionnaire_score": score,
                "risk_tolerance": assessed if scored else None,
                "questionnaire_id": questionnaire_id if scored else None,
                "answers": answers,
                "kind": KycCaseKind.ONBOARDING.value,
                "aml_risk": aml,
                "high_risk": aml == AmlRisk.HIGH,
                "assignee": rng.choice(OFFICERS)
                if status
                in (
                    KycCaseStatus.IN_REVIEW,
                    KycCaseStatus.ESCALATED,
                    KycCaseStatus.WAITING_CUSTOMER,
                    KycCaseStatus.APPROVED,
                )
                else "",
                "opened_at": opened,
                "due_at": opened + timedelta(days=3),
                "escalated_at": opened + timedelta(days=3)
                if status == KycCaseStatus.ESCALATED
                else None,
                "requested_items": "身份证反面照片；职业证明"
                if status == KycCaseStatus.WAITING_CUSTOMER
                else "",
                "decided_at": opened + timedelta(hours=rng.randrange(2, 70))
                if status in (KycCaseStatus.APPROVED, KycCaseStatus.REJECTED)
                else None,
                "decision_note": "",
            }

    demo.counts["kyc_case"] = bulk(c, KycCase, new_rows())
    fake = demo.fake
    kinds = [k.value for k in WatchlistKind]
    demo.counts["watchlist_entry"] = bulk(
        c,
        WatchlistEntry,
        (
            {
                **demo.stamp(),
                "list_kind": kinds[i % len(kinds)],
                "name": fake.name(),
                "name_pinyin": "",  # filled below with the screening's own spelling
                "birth_date": f"{rng.randrange(1950, 2000)}-0{rng.randrange(1, 9)}"
                f"-1{rng.randrange(0, 9)}",
                "id_number_hash": "",
                "source": rng.choice(("联合国安理会制裁名单", "公安部通报", "内部风控")),
                "reason": "演示数据",
            }
            for i in range(demo.size.watchlist)
        ),
    )
    _screening(demo)


def _screening(demo: DemoContext) -> None:
    """Watch-list look-alikes of a few customers with open cases (one with the same date of
    birth, one without), then screening of open cases as the app would have done; approved
    customers get their next periodic review date."""
    c = demo.conn
    open_cases = c.execute(
        sa.select(KycCase.id, KycCase.customer_id)
        .where(KycCase.status.in_([s.value for s in OPEN_CASE_STATES]))
        .order_by(KycCase.id)
        .limit(2_000)
    ).all()
    chosen = [open_cases[i] for i in range(0, min(len(open_cases), 40), 8)]
    look_alikes = []
    for n, (_case_id, customer_id) in enumerate(chosen):
        customer = c.execute(
            sa.select(Customer.name_cipher, Customer.birth_date).where(Customer.id == customer_id)
        ).one()
        look_alikes.append(
            {
                **demo.stamp(),
                "list_kind": (WatchlistKind.PEP, WatchlistKind.INTERNAL_BLACKLIST)[n % 2],
                "name": fields.decrypt(customer.name_cipher),
                "name_pinyin": "",
                "birth_date": customer.birth_date.isoformat() if n % 2 == 0 else "",
                "id_number_hash": "",
                "source": "演示：与客户同名",
                "reason": "演示数据：用于名单筛查命中",
            }
        )
    demo.counts["watchlist_entry"] += bulk(c, WatchlistEntry, look_alikes)
    for entry_id, name in c.execute(sa.select(WatchlistEntry.id, WatchlistEntry.name)).all():
        c.execute(
            sa.update(WatchlistEntry)
            .where(WatchlistEntry.id == entry_id)
            .values(name_pinyin=screening.pinyin_of(name))
        )
    candidates = screening.load_lists(c)
    hits = []
    for case_id, customer_id in open_cases:
        customer = c.execute(
            sa.select(Customer.name_cipher, Customer.birth_date, Customer.id_number_hash).where(
                Customer.id == customer_id
            )
        ).one()
        for match in screening.compare(
            fields.decrypt(customer.name_cipher),
            customer.birth_date,
            customer.id_number_hash,
            candidates,
        ):
            hits.append(
                {
                    **demo.stamp(),
                    "customer_id": customer_id,
                    "entry_id": match.entry_id,
                    "case_id": case_id,
                    "score": match.score,
                    "matched_on": ",".join(match.matched_on),
                    "status": HitStatus.OPEN.value,
                    "reason": "",
                    "decided_by": "",
                    "decided_at": None,
                }
            )
    unique = {(h["customer_id"], h["entry_id"]): h for h in hits}
    demo.counts["screening_hit"] = bulk(c, ScreeningHit, unique.values())
    approved = c.execute(
        sa.select(KycCase.customer_id, KycCase.aml_risk, KycCase.decided_at).where(
            KycCase.status == KycCaseStatus.APPROVED.value, KycCase.decided_at.is_not(None)
        )
    ).all()
    years = {"high": 1, "medium": 2, "low": 3}
    if approved:
        c.execute(
            sa.update(Customer)
            .where(Customer.id == sa.bindparam("cid"))
            .values(kyc_review_due=sa.bindparam("due")),
            [
                {
                    "cid": customer_id,
                    "due": (decided + timedelta(days=365 * years.get(risk, 3))).date(),
                }
                for customer_id, risk, decided in approved
            ],
        )


# --- customer service ------------------------------------------------------------------------
