"""Demo data of customers: names and addresses from pools drawn once, valid national ID
numbers (each customer's own), personal data encrypted with its blind indexes, registrations
over two years."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from backoffice.domains.customers import national_id
from backoffice.platform.demo import DemoContext, bulk
from backoffice.security import fields
from models.customers import RISK_TOLERANCES, Customer, KycStatus

NEEDS = ("campaigns",)  # the campaigns that brought some of them


def unique_id_number(rng: random.Random, born: date, female: bool, issued: set[str]) -> str:
    """A valid ID number for that birth date and sex that no customer of ``issued`` holds
    (added to it). Drawn again on a repeat: the large size's 100,000 drew 42 numbers twice."""
    id_number = national_id.make(rng, born, female)
    while id_number in issued:
        id_number = national_id.make(rng, born, female)
    issued.add(id_number)
    return id_number


def rows(demo: DemoContext) -> None:
    c, rng, fake = demo.conn, demo.rng, demo.fake
    pool = max(200, min(3_000, demo.size.customers // 20))
    names = [fake.name() for _ in range(pool)]
    addresses = [fake.address() for _ in range(pool)]
    cities = [fake.city_name() for _ in range(60)]
    span = 730 * 86400
    start = demo.now - timedelta(seconds=span)

    issued: set[str] = set()  # one customer per ID number (a unique index holds it)

    def new_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, demo.size.customers + 1):
            name = rng.choice(names)
            female = rng.random() < 0.5
            born = date(rng.randrange(1965, 2003), rng.randrange(1, 13), rng.randrange(1, 29))
            id_number = unique_id_number(rng, born, female, issued)
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}"
            registered = start + timedelta(seconds=int(span * (n / demo.size.customers)))
            tolerance = rng.choice(RISK_TOLERANCES) if rng.random() < 0.85 else None
            yield {
                **demo.stamp(registered),
                "customer_no": f"C{n:09d}",
                "name_masked": fields.mask_name(name),
                "name_cipher": fields.encrypt(name),
                "name_hash": fields.blind_index(name, "customer.name"),
                "id_number_cipher": fields.encrypt(id_number),
                "id_number_hash": fields.blind_index(id_number, "customer.id_number"),
                "phone_cipher": fields.encrypt(phone),
                "phone_hash": fields.blind_index(phone, "customer.phone"),
                "address_cipher": fields.encrypt(rng.choice(addresses)),
                "gender": "F" if female else "M",
                "birth_date": born,
                "city": rng.choice(cities),
                "channel": rng.choice(("app", "app", "web", "partner")),
                "campaign_id": rng.choice(demo.made["campaign_ids"])
                if rng.random() < 0.3
                else None,
                "registered_at": registered,
                "last_active_at": registered
                + timedelta(
                    seconds=rng.randrange(0, max(1, int((demo.now - registered).total_seconds())))
                ),
                "kyc_status": (
                    KycStatus.APPROVED
                    if tolerance
                    else rng.choice((KycStatus.PENDING, KycStatus.NOT_STARTED))
                ).value,
                "risk_tolerance": tolerance,
                "relationship_ended_on": None,
                "retain_until": None,
                "kyc_review_due": None,
            }

    demo.counts["customer"] = bulk(c, Customer, new_rows())
    # (id, risk tolerance, registration time) of each, for their transactions, cases, tickets
    demo.made["customers"] = c.execute(
        sa.select(Customer.id, Customer.risk_tolerance, Customer.registered_at).order_by(
            Customer.id
        )
    ).all()
