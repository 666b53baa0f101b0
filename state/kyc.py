"""The KYC panels of the case and customer pages: who works the case, the customer's masked
identity with reveal-for-a-reason, watch-list hits and their dispositions, the evidence pack."""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.domains.kyc import rules as kyc
from backoffice.domains.kyc import screening
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.i18n import choice_label, translate
from backoffice.platform import numerals, offload
from backoffice.platform.versioned import display_names
from models.customers import Customer
from models.kyc import OPEN_CASE_STATES, KycCase
from state.auth import requires
from state.base import Choice, StaffState
from state.resource import ResourceRecordState, record_id_param

IDENTITY_FIELDS = ("name", "id_number", "phone", "address")


class IdentityLine(TypedDict):
    field: str
    label: str
    value: str  # masked, or in clear once revealed
    revealed: bool


class WatchlistHit(TypedDict):
    id: str
    list: str
    entry: str
    score: str
    matched_on: str
    status: str
    status_label: str
    decided: str  # who decided, when and why; "" while open


class ScoredAnswer(TypedDict):
    question: str
    answer: str
    points: str


class Question(TypedDict):
    id: str
    text: str


class KycPanelState(StaffState, rx.State):
    case_id: int = 0
    customer_id: int = 0
    assignee: str = ""
    assignee_name: str = ""
    is_open: bool = False
    mine: bool = False
    officers: list[Choice] = []  # value: the login, label: the name staff know
    identity: list[IdentityLine] = []
    hits: list[WatchlistHit] = []
    reveal_field: str = ""  # the field whose reveal dialog is open
    can_reveal: bool = False
    can_work: bool = False
    can_export: bool = False
    # the risk questionnaire: the answers as scored, and the version in use for scoring
    score_text: str = ""
    scored: list[ScoredAnswer] = []
    can_score: bool = False
    questions: list[Question] = []
    options: dict[str, list[Choice]] = {}  # the answers to each question, by its id

    async def _fill(self, session: Any, customer: Customer | None, case: KycCase | None) -> None:
        lang = await self._lang()
        principal = await self._principal()
        zone = get_settings().zone
        self.customer_id = customer.id if customer else 0
        self.case_id = case.id if case else 0
        self.assignee = case.assignee if case else ""
        self.is_open = bool(case and case.status in OPEN_CASE_STATES)
        self.mine = bool(case and case.assignee == principal.username)
        logins = kyc.officers(session) if case else []
        names = display_names(session, [*logins, self.assignee], lang)
        self.assignee_name = names.get(self.assignee, self.assignee)
        self.officers = [{"value": u, "label": names.get(u, u)} for u in logins]
        self.can_reveal = principal.can("customer", "reveal")
        self.can_work = principal.can("kyc_case", "edit")
        self.can_export = principal.can("kyc_case", "export")
        masked = kyc.masked_identity(customer) if customer else {}
        self.identity = [
            {
                "field": name,
                "label": translate(f"kyc.identity.{name}", lang),
                "value": masked.get(name, "—"),
                "revealed": False,
            }
            for name in IDENTITY_FIELDS
        ]
        self._fill_questionnaire(session, case, lang)
        rows = screening.hits_for(session, principal, customer.id) if customer else []
        deciders = display_names(session, {hit.decided_by for hit, _entry in rows}, lang)
        self.hits = [
            {
                "id": str(hit.id),
                "list": choice_label("watchlist_kind", entry.list_kind, lang),
                "entry": entry.name,
                "score": str(hit.score),
                "matched_on": ", ".join(
                    translate(f"kyc.matched.{m}", lang) for m in hit.matched_on.split(",") if m
                ),
                "status": hit.status,
                "status_label": choice_label("hit_status", hit.status, lang),
                "decided": (
                    f"{deciders.get(hit.decided_by, hit.decided_by)} "
                    f"{hit.decided_at.astimezone(zone):%Y-%m-%d %H:%M}: "
                    f"{hit.reason}"
                    if hit.decided_at
                    else ""
                ),
            }
            for hit, entry in rows
        ]

    def _fill_questionnaire(self, session: Any, case: KycCase | None, lang: str) -> None:
        self.scored = questionnaire.scored_answers(session, case, lang) if case else []
        self.score_text = ""
        if case is not None and case.questionnaire_id:
            version = questionnaire.version_by_id(session, case.questionnaire_id)
            self.score_text = translate("kyc.score_line", lang).format(
                score=case.questionnaire_score,
                tolerance=choice_label("risk_tolerance", case.risk_tolerance or "", lang),
                version=version.number if version else "?",
            )
        current = questionnaire.active(session)
        self.can_score = bool(
            case is not None
            and current is not None
            and self.mine
            and self.can_work
            and case.status in questionnaire.SCORABLE
        )
        self.questions, self.options = [], {}
        if self.can_score and current is not None:
            for question in questionnaire.questions_of(session, current.id):
                key = str(question.id)
                self.questions.append(
                    {"id": key, "text": f"{question.position}. {question.text(lang)}"}
                )
                self.options[key] = [
                    {"value": str(i), "label": answer.text(lang)}
                    for i, answer in enumerate(question.answers)
                ]

    @rx.event
    @requires("kyc_case", "edit")
    async def score(self, form_data: dict) -> Any:
        """Score the case from the answers chosen (the version in use; kept on the case)."""
        caller = await self._caller()
        numbers = (
            (numerals.whole(name.removeprefix("q-")), numerals.whole(str(value)))
            for name, value in form_data.items()
            if name.startswith("q-")
        )
        chosen = {q: a for q, a in numbers if q is not None and a is not None}
        try:
            with self._write_scope() as session:
                case = kyc.case_by_id(session, self.case_id)
                if case is None:
                    raise questionnaire.QuestionnaireError("error.not_found")
                questionnaire.score_case(session, caller.principal, case, chosen, caller.client)
        except questionnaire.QuestionnaireError as error:
            return self._refusal(error, caller.lang)
        return await self._after("kyc.scored")

    @rx.event
    @requires("kyc_case", "view")
    async def load_case(self) -> None:
        self.reveal_field = ""
        with session_scope() as session:
            case, customer = kyc.case_and_customer(session, record_id_param(self))
            await self._fill(session, customer, case)

    @rx.event
    @requires("customer", "view")
    async def load_customer(self) -> None:
        self.reveal_field = ""
        with session_scope() as session:
            customer = kyc.customer_by_id(session, record_id_param(self))
            await self._fill(session, customer, None)

    async def _after(self, key: str) -> Any:
        with session_scope() as session:
            case, customer = kyc.case_and_customer(session, self.case_id)
            await self._fill(session, customer, case)
        return [
            rx.toast.success(translate(key, await self._lang())),
            ResourceRecordState.open("kyc_case"),
        ]

    async def _work(self, verb: str, to: str = "") -> Any:
        caller = await self._caller()
        try:
            with self._write_scope() as session:
                case = kyc.case_by_id(session, self.case_id)
                if case is None:
                    raise kyc.KycError("error.not_found")
                if verb == "claim":
                    kyc.claim(session, caller.principal, case, caller.client)
                elif verb == "release":
                    kyc.release(session, caller.principal, case, caller.client)
                else:
                    kyc.reassign(session, caller.principal, case, to, caller.client)
        except kyc.KycError as error:
            return self._refusal(error, caller.lang)
        return await self._after(f"kyc.{verb}_done")

    @rx.event
    @requires("kyc_case", "edit")
    async def claim(self) -> Any:
        return await self._work("claim")

    @rx.event
    @requires("kyc_case", "edit")
    async def release(self) -> Any:
        return await self._work("release")

    @rx.event
    @requires("kyc_case", "edit")
    async def reassign(self, to: str) -> Any:
        return await self._work("reassign", str(to))

    @rx.event
    @requires("kyc_case", "edit")
    async def dispose(self, form_data: dict) -> Any:
        """An officer's decision on a watch-list hit: true match or false positive, with why."""
        caller = await self._caller()
        raw_id = str(form_data.get("hit", ""))
        with self._write_scope() as session:
            problem = kyc.dispose_hit(
                session,
                caller.principal,
                customer_id=self.customer_id,
                hit_id=numerals.whole(raw_id),
                status=str(form_data.get("status", "")),
                reason=str(form_data.get("reason", "")),
                client=caller.client,
            )
        if problem:
            return rx.toast.error(translate(problem, caller.lang))
        return await self._after("kyc.hit_disposed")

    @rx.event
    @requires("customer", "reveal")
    def open_reveal(self, field: str) -> None:
        self.reveal_field = str(field) if field in IDENTITY_FIELDS else ""

    @rx.event
    @requires("customer", "reveal")
    def close_reveal(self, _open: bool = False) -> None:
        self.reveal_field = ""

    @rx.event
    @requires("customer", "reveal")
    async def reveal(self, form_data: dict) -> Any:
        """Show one personal-data field in clear, for a typed reason (audited; fresh TOTP)."""
        caller = await self._caller()
        lang = caller.lang
        field = self.reveal_field
        try:
            with self._write_scope() as session:
                value = kyc.reveal(
                    session,
                    principal=caller.principal,
                    customer_id=self.customer_id,
                    field=field,
                    reason=str(form_data.get("reason", "")),
                    client=caller.client,
                    case_id=self.case_id or None,
                )
        except kyc.KycError as error:
            return self._refusal(error, lang)
        self.identity = [
            {**item, "value": value or "—", "revealed": True} if item["field"] == field else item
            for item in self.identity
        ]
        self.reveal_field = ""
        return rx.toast.success(translate("kyc.revealed", lang))

    @rx.event
    @requires("kyc_case", "export")
    async def evidence_pack(self) -> Any:
        caller = await self._caller()
        case_id, principal, client = self.case_id, caller.principal, caller.client

        def build() -> tuple[str, bytes]:
            with self._write_scope() as session:
                case = kyc.case_by_id(session, case_id)
                if case is None:
                    raise kyc.KycError("error.not_found")
                return kyc.evidence_pack(session, principal=principal, case=case, client=client)

        try:
            name, data = await offload.run(build)
        except kyc.KycError as error:
            return self._refusal(error, caller.lang)
        return rx.download(data=data, filename=name, mime_type="application/zip")
