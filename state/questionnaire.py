"""The panel of the questionnaire page: the questionnaire as officers will see it, and starting
the next version."""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from backoffice.db import session_scope
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.i18n import translate
from state.auth import requires
from state.base import StaffState
from state.resource import record_id_param


class QuestionPreview(TypedDict):
    text: str
    weight: str
    answers: str  # each answer with its points


class Band(TypedDict):
    band: str
    range: str


class QuestionnairePanelState(StaffState, rx.State):
    questionnaire_id: int = 0
    questions: list[QuestionPreview] = []
    bands: list[Band] = []
    max_score: str = ""
    can_copy: bool = False

    @rx.event
    @requires("questionnaire", "view")
    async def load(self) -> None:
        lang = await self._lang()
        principal = await self._principal()
        self.questionnaire_id = record_id_param(self)
        with session_scope() as session:
            version = questionnaire.version_of(session, self.questionnaire_id)
            try:
                questions = questionnaire.questions_of(session, self.questionnaire_id)
            except questionnaire.QuestionnaireError:
                questions = []
            self.questions = [
                {
                    "text": f"{q.position}. {q.text(lang)}",
                    "weight": f"× {q.weight}",
                    "answers": " / ".join(f"{a.text(lang)} ({a.points})" for a in q.answers),
                }
                for q in questions
            ]
            self.max_score = str(questionnaire.max_score(questions)) if questions else "—"
            self.bands = (
                [{"band": b, "range": r} for b, r in questionnaire.bands_text(version)]
                if version
                else []
            )
            self.can_copy = bool(
                version
                and version.status in ("active", "retired")
                and principal.can("questionnaire", "create")
            )

    @rx.event
    @requires("questionnaire", "create")
    async def new_version(self) -> Any:
        caller = await self._caller()
        try:
            with self._write_scope() as session:
                source = questionnaire.version_of(session, self.questionnaire_id)
                if source is None:
                    raise questionnaire.QuestionnaireError("error.not_found")
                draft = questionnaire.new_draft(session, caller.principal, source, caller.client)
                draft_id = draft.id
        except questionnaire.QuestionnaireError as error:
            return self._refusal(error, caller.lang)
        return [
            rx.toast.success(translate("questionnaire.draft_made", caller.lang)),
            # a full load: the record page and this panel both start from the new id
            rx.call_script(f"window.location.assign('/r/questionnaire/record?id={draft_id}')"),
        ]
