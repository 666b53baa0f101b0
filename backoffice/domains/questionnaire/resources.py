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
BAND_HELP = (
    "总分达到此值即为该等级；低于 C2 为 C1",
    "A total from this value is this level; below C2 is C1",
)

QUESTIONNAIRE = register(
    Resource(
        key="questionnaire",
        model=RiskQuestionnaire,
        permission="questionnaire",
        module="kyc",
        label_zh="风险测评问卷",
        label_en="Risk questionnaires",
        icon="list-checks",
        fields=(
            F("number", "版本", "Version", kind="int", editable=False),
            F("title_zh", "标题（中文）", "Title (Chinese)", required=True, max_length=200),
            F("title_en", "标题（英文）", "Title (English)", required=True, max_length=200),
            F(
                "status",
                "状态",
                "Status",
                kind="choice",
                required=True,
                choices=tuple(Q),
                choice_group="questionnaire_status",
            ),
            *(
                F(
                    f"c{n}_from",
                    f"C{n} 起始分",
                    f"C{n} from",
                    kind="int",
                    required=True,
                    min_value=1,
                    max_value=10_000,
                    help_zh=BAND_HELP[0],
                    help_en=BAND_HELP[1],
                )
                for n in (2, 3, 4, 5)
            ),
            F("activated_at", "启用时间", "In use since", kind="datetime", editable=False),
            F("retired_at", "停用时间", "Retired", kind="datetime", editable=False),
            F("change_note", "修订说明", "What changed", kind="longtext", max_length=2000),
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
                    "提交审批",
                    "Submit for approval",
                    required_fields=("change_note",),
                    guard=rules.ready_to_submit,
                ),
                T(
                    "activate",
                    (Q.PENDING,),
                    Q.ACTIVE,
                    "批准启用",
                    "Approve and put in use",
                    action="approve",
                    guard=rules.ready_to_submit,
                    effect=rules.on_activated,
                ),
                T(
                    "send_back",
                    (Q.PENDING,),
                    Q.DRAFT,
                    "退回修改",
                    "Send back",
                    action="approve",
                ),
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
        label_zh="问卷题目",
        label_en="Questionnaire questions",
        icon="circle-help",
        fields=(
            F(
                "questionnaire_id",
                "问卷版本",
                "Questionnaire",
                kind="ref",
                ref="questionnaire",
                required=True,
                fixed=True,
            ),
            F("position", "序号", "No.", kind="int", required=True, min_value=1, max_value=200),
            F("text_zh", "题目（中文）", "Question (Chinese)", required=True, max_length=300),
            F("text_en", "题目（英文）", "Question (English)", required=True, max_length=300),
            F(
                "weight",
                "权重",
                "Weight",
                kind="int",
                required=True,
                min_value=1,
                max_value=10,
                help_zh="所选答案的分值乘以权重计入总分",
                help_en="The chosen answer's points count this many times",
            ),
            F(
                "answers",
                "答案与分值",
                "Answers and points",
                kind="longtext",
                required=True,
                max_length=4000,
                validator=rules.answers_problem,
                help_zh="每行一个答案：分值 | 中文 | English，例如 “4 | 5 年以上 | Over 5 years”",
                help_en="One answer per line: points | 中文 | English, "
                "e.g. “4 | 5 年以上 | Over 5 years”",
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
