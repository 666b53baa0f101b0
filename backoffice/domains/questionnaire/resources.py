"""The risk questionnaire: versions (draft → approval by another officer → in use → retired)
and their questions, configured by compliance."""

from __future__ import annotations

from backoffice.domains.questionnaire import rules
from backoffice.engine.fields import FieldSpec as F
from backoffice.engine.resource import Resource, register
from backoffice.engine.workflow import ContentPart, Workflow
from backoffice.engine.workflow import Transition as T
from models.questionnaire import QuestionnaireStatus, RiskQuestion, RiskQuestionnaire

Q = QuestionnaireStatus

QUESTIONNAIRE = register(
    Resource(
        key="questionnaire",
        model=RiskQuestionnaire,
        permission="questionnaire",
        module="kyc",
        icon="list-checks",
        fields=(
            F("number", kind="int", editable=False),
            F("title_zh", required=True, max_length=200),
            F("title_en", required=True, max_length=200),
            F(
                "status",
                kind="choice",
                required=True,
                choices=tuple(Q),
                choice_group="questionnaire_status",
            ),
            *(
                F(f"c{n}_from", kind="int", required=True, min_value=1, max_value=10_000, help=True)
                for n in (2, 3, 4, 5)
            ),
            F("activated_at", kind="datetime", editable=False),
            F("retired_at", kind="datetime", editable=False),
            F("change_note", kind="longtext", max_length=2000),
        ),
        list_columns=("number", "title_zh", "status", "activated_at", "retired_at"),
        title_field="title_zh",
        filters=("status",),
        search_fields=("title_zh", "title_en"),
        default_sort="-number",
        validator=rules.bands_problem,
        before_create=rules.prepare_version,
        workflow=Workflow(
            state_field="status",
            states=tuple(Q),
            initial=Q.DRAFT,
            editable_in=(Q.DRAFT,),
            awaiting_approval=(Q.PENDING,),
            returns_to=Q.DRAFT,
            content_actions=("new_version",),
            content_parts=(ContentPart("risk_question", via="questionnaire_id"),),
            # a version in use is retired only by approving its successor: scoring never stops
            transitions=(
                T(
                    "submit",
                    (Q.DRAFT,),
                    Q.PENDING,
                    required_fields=("change_note",),
                    guard=rules.ready_to_submit,
                ),
                T(
                    "activate",
                    (Q.PENDING,),
                    Q.ACTIVE,
                    action="approve",
                    guard=rules.ready_to_submit,
                    effect=rules.on_activated,
                ),
                T("send_back", (Q.PENDING,), Q.DRAFT, action="approve"),
            ),
        ),
        importable=False,
        archivable=False,  # cases point at the version they were scored with
    )
)

QUESTION = register(
    Resource(
        key="risk_question",
        model=RiskQuestion,
        permission="questionnaire",
        module="kyc",
        icon="circle-help",
        fields=(
            F("questionnaire_id", kind="ref", ref="questionnaire", required=True, fixed=True),
            F("position", kind="int", required=True, min_value=1, max_value=200),
            F("text_zh", required=True, max_length=300),
            F("text_en", required=True, max_length=300),
            F("weight", kind="int", required=True, min_value=1, max_value=10, help=True),
            F(
                "answers",
                kind="longtext",
                required=True,
                max_length=4000,
                validator=rules.answers_problem,
                help=True,
            ),
        ),
        list_columns=("questionnaire_id", "position", "text_zh", "weight"),
        title_field="text_zh",
        filters=("questionnaire_id",),
        search_fields=("text_zh", "text_en"),
        default_sort="position",
        before_create=rules.check_new_question,
        edit_guard=rules.question_guard,
        importable=False,
    )
)
