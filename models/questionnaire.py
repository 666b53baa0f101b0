"""The risk questionnaire (风险测评问卷): its versions and their questions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from models.base import EditableBase, code_field, text_field, time_field


class QuestionnaireStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"  # submitted, waiting for another officer's approval
    ACTIVE = "active"  # the one version new scorings use
    RETIRED = "retired"


class RiskQuestionnaire(EditableBase, table=True):
    """One version of the risk questionnaire (风险测评问卷): its questions, and the score bands
    that turn a total into a risk tolerance C1…C5. Only a draft changes; approving a version
    retires the previous one, and every case keeps the version it was scored with."""

    __tablename__ = "risk_questionnaire"

    number: int = Field(unique=True, index=True)  # version 1, 2, … (``version`` is the lock)
    title_zh: str = code_field(200)
    title_en: str = code_field(200)
    status: str = code_field(20, default=QuestionnaireStatus.DRAFT, index=True)
    c2_from: int = 0  # the lowest total scored C2, and so on
    c3_from: int = 0
    c4_from: int = 0
    c5_from: int = 0
    activated_at: datetime | None = time_field(None)
    retired_at: datetime | None = time_field(None)
    change_note: str = text_field()


class RiskQuestion(EditableBase, table=True):
    """A question with its answers, one per line: "points | 中文 | English"."""

    __tablename__ = "risk_question"

    questionnaire_id: int = Field(foreign_key="risk_questionnaire.id", index=True)
    position: int = 1
    text_zh: str = code_field(300)
    text_en: str = code_field(300)
    weight: int = 1  # the answer's points count this many times
    answers: str = text_field()
