"""A customer signing up on the customer platform: the customer (personal data encrypted, with
the blind indexes look-ups and screening use), an onboarding KYC case in the "new" queue with
the identity documents attached, and the customer screened against the watch lists at once.

What the platform learns of the screening is only whether the case was referred for review:
naming a list (or how many entries matched) would tell the customer they resemble a sanctioned
or politically exposed person."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backoffice.domains.campaigns import codes as campaign_codes
from backoffice.domains.customers import national_id
from backoffice.domains.kyc import rules as kyc
from backoffice.domains.kyc import screening
from backoffice.engine.fields import storable_text
from backoffice.engine.resource import get as resource
from backoffice.platform import attachments, audit
from backoffice.platform.business_time import local_today
from backoffice.platform.refusal import Refusal
from backoffice.security import fields
from backoffice.security.rbac import Principal
from models.base import utcnow
from models.customers import Customer, KycStatus
from models.kyc import KycCase, KycCaseKind

NAME_LENGTH = 50
ADDRESS_LENGTH = 200
CITY_LENGTH = 40
CHANNELS = ("app", "web", "partner")
PHONE = re.compile(r"1[3-9]\d{9}")
DUPLICATE = "sign_up.id_number_taken"
CLEAR, REFERRED = "clear", "referred"


class SignUpRefused(Refusal):
    """A sign-up refused; nothing was written. ``errors``: one i18n key per bad field."""

    def __init__(self, key: str, errors: dict[str, str] | None = None, **params: object) -> None:
        super().__init__(key, **params)
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class Document:
    category: str  # id_front, id_back or proof (the KYC case's kinds of document)
    filename: str
    data: bytes


@dataclass(frozen=True)
class Application:
    name: str
    id_number: str
    phone: str
    address: str = ""
    city: str = ""
    channel: str = "app"
    campaign_code: str = ""
    documents: tuple[Document, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SignedUp:
    customer: Customer
    case: KycCase
    screening: str  # CLEAR or REFERRED


def _text_problem(value: str, limit: int, required: bool) -> str | None:
    if required and not value:
        return "field.required"
    if len(value) > limit:
        return "field.too_long"
    if not storable_text(value) or not value.isprintable():
        return "field.invalid"
    return None


def problems(application: Application) -> dict[str, str]:
    """The application's bad fields (an i18n key each); empty when it may be signed up."""
    found: dict[str, str] = {}
    for name, limit, required in (
        ("name", NAME_LENGTH, True),
        ("address", ADDRESS_LENGTH, False),
        ("city", CITY_LENGTH, False),
    ):
        problem = _text_problem(getattr(application, name).strip(), limit, required)
        if problem:
            found[name] = problem
    if not national_id.is_valid(application.id_number):
        found["id_number"] = "sign_up.bad_id_number"
    if not PHONE.fullmatch(application.phone.strip()):
        found["phone"] = "sign_up.bad_phone"
    if application.channel not in CHANNELS:
        found["channel"] = "field.invalid"
    case_resource = resource("kyc_case")
    for index, document in enumerate(application.documents):
        problem = attachments.file_problem(
            case_resource, document.filename, document.data, document.category
        )
        if problem:
            found[f"documents.{index}"] = problem
    return found


def _customer_no(customer_id: int) -> str:
    """The customer's number: their id, so two sign-ups at one instant never draw the same."""
    return f"C{customer_id:09d}"


def _registered(session: Session, id_hash: str) -> bool:
    """Whether a customer holds the ID number, as committed now: a locking read sees what a
    concurrent sign-up committed after this transaction's first read (MariaDB's repeatable
    read would otherwise answer from that snapshot)."""
    return (
        session.execute(
            sa.select(Customer.id)
            .where(Customer.id_number_hash == id_hash)
            .with_for_update(read=True)
        ).first()
        is not None
    )


def sign_up(
    session: Session, principal: Principal, application: Application, client: str = ""
) -> SignedUp:
    """Sign the customer up (see the module's text); refused as a whole, with nothing written,
    for bad data, an ID number already registered (also by a sign-up racing this one: the
    database's unique index decides) or a campaign code that is not live.
    ``client``: the calling system's address, for the audit trail."""
    if not (principal.can("customer", "create") and principal.can("kyc_case", "create")):
        raise SignUpRefused("auth.denied")
    found = problems(application)
    if found:
        raise SignUpRefused("api.invalid", errors=found)
    id_number = application.id_number.strip().upper()
    id_hash = screening.id_hash(id_number)
    taken = session.exec(select(Customer.id).where(Customer.id_number_hash == id_hash)).first()
    if taken is not None:
        raise SignUpRefused(DUPLICATE)
    campaign_id = None
    if application.campaign_code.strip():
        campaign = campaign_codes.live(session, application.campaign_code, local_today())
        if campaign is None:
            raise SignUpRefused("api.invalid", errors={"campaign_code": "order.campaign_not_live"})
        campaign_id = campaign.id
    name, phone = application.name.strip(), application.phone.strip()
    female = int(id_number[16]) % 2 == 0
    now = utcnow()
    customer = Customer(
        customer_no=f"T{secrets.token_hex(9)}",  # until the id is known
        name_masked=fields.mask_name(name),
        name_cipher=fields.encrypt(name),
        name_hash=fields.blind_index(name, "customer.name"),
        id_number_cipher=fields.encrypt(id_number),
        id_number_hash=id_hash,
        phone_cipher=fields.encrypt(phone),
        phone_hash=fields.blind_index(phone, "customer.phone"),
        address_cipher=fields.encrypt(application.address.strip())
        if application.address.strip()
        else "",
        gender="F" if female else "M",
        birth_date=national_id.birth_date_of(id_number),
        city=application.city.strip(),
        channel=application.channel,
        campaign_id=campaign_id,
        registered_at=now,
        last_active_at=now,
        kyc_status=KycStatus.PENDING,
    )
    try:
        with session.begin_nested():
            session.add(customer)
            session.flush()
    except IntegrityError as error:
        # the unique index on the ID number's blind index: a sign-up with the same number
        # committed between the check above and this insert; refused as that check refuses
        if _registered(session, id_hash):
            raise SignUpRefused(DUPLICATE) from error
        raise
    customer.customer_no = _customer_no(customer.id)
    session.flush()
    audit.record(
        session,
        actor=principal.username,
        action="customer.create",
        entity="customer",
        entity_id=customer.id,
        changes={
            "customer_no": [None, customer.customer_no],
            "name_masked": [None, customer.name_masked],
            "id_number": [None, "***"],
            "phone": [None, "***"],
            "channel": [None, customer.channel],
            "campaign_id": [None, str(campaign_id) if campaign_id else None],
            "kyc_status": [None, customer.kyc_status],
        },
        client=client,
    )
    case = kyc.new_case(session, customer, kind=KycCaseKind.ONBOARDING)  # screens at once
    audit.record(
        session,
        actor=principal.username,
        action="kyc_case.create",
        entity="kyc_case",
        entity_id=case.id,
        changes={"kind": [None, case.kind], "customer_id": [None, str(customer.id)]},
        client=client,
    )
    case_resource = resource("kyc_case")
    for document in application.documents:
        _attachment, problem = attachments.receive(
            session,
            actor=principal.username,
            resource=case_resource,
            record=case,
            filename=document.filename,
            data=document.data,
            category=document.category,
            client=client,
        )
        if problem:  # checked above; a file cannot change in between
            raise SignUpRefused("api.invalid", errors={"documents": problem})
    hits = screening.hits_of(session, customer.id)
    return SignedUp(customer, case, REFERRED if hits else CLEAR)
