"""Every label exists in both languages, and every key the code uses is in the catalogues."""

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest

from backoffice.i18n import Message, catalogue, choice_label, translate
from models import (
    campaigns,
    customers,
    hr,
    kyc,
    partners,
    products,
    projects,
    questionnaire,
    risk,
    suitability,
    tickets,
    transactions,
)

ROOT = Path(__file__).resolve().parent.parent


def test_both_catalogues_have_the_same_keys_and_no_empty_text():
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) - set(en) == set(), "keys missing from en.json"
    assert set(en) - set(zh) == set(), "keys missing from zh.json"
    assert [k for k, v in {**zh, **en}.items() if not v.strip()] == []


def test_chinese_catalogue_is_chinese():
    zh, en = catalogue("zh"), catalogue("en")
    untranslated = [k for k in zh if zh[k] == en[k] and re.search("[a-z]{4}", zh[k])]
    assert untranslated == []


def test_every_key_used_in_pages_exists():
    used: set[str] = set()
    for path in list((ROOT / "pages").rglob("*.py")) + list((ROOT / "state").rglob("*.py")):
        used |= set(re.findall(r'\bt\("([a-z_.]+)"\)', path.read_text()))
    assert used, "the scan found no t(...) calls"
    assert sorted(used - set(catalogue("zh"))) == []


@pytest.mark.parametrize(
    ("group", "enum"),
    [
        ("product_type", products.ProductType),
        ("product_status", products.ProductStatus),
        ("partner_kind", partners.PartnerKind),
        ("partner_status", partners.PartnerStatus),
        ("campaign_kind", campaigns.CampaignKind),
        ("campaign_channel", campaigns.CampaignChannel),
        ("campaign_status", campaigns.CampaignStatus),
        ("kyc_status", customers.KycStatus),
        ("kyc_case_status", kyc.KycCaseStatus),
        ("watchlist_kind", kyc.WatchlistKind),
        ("risk_category", risk.RiskCategory),
        ("ticket_channel", tickets.TicketChannel),
        ("ticket_category", tickets.TicketCategory),
        ("ticket_priority", tickets.TicketPriority),
        ("ticket_status", tickets.TicketStatus),
        ("team", hr.TeamCode),
        ("employee_status", hr.EmployeeStatus),
        ("hiring_channel", hr.HiringChannel),
        ("candidate_stage", hr.CandidateStage),
        ("training_kind", hr.TrainingKind),
        ("opening_status", hr.OpeningStatus),
        ("training_result", hr.TrainingResult),
        ("appraisal_status", hr.AppraisalStatus),
        ("rating", hr.Rating),
        ("promotion_status", hr.PromotionStatus),
        ("project_phase", projects.ProjectPhase),
        ("milestone_status", projects.MilestoneStatus),
        ("transaction_kind", transactions.TransactionKind),
        ("transaction_status", transactions.TransactionStatus),
        ("product_change_status", products.ProductChangeStatus),
        ("questionnaire_status", questionnaire.QuestionnaireStatus),
        ("risk_state", risk.RiskLevel),
        ("alert_status", risk.AlertStatus),
        ("holiday_kind", tickets.HolidayKind),
        ("assignment_method", tickets.AssignmentMethod),
        ("sla_target", tickets.SlaTarget),
        ("ticket_message_kind", tickets.TicketMessageKind),
        ("override_status", suitability.OverrideStatus),
        ("review_status", suitability.ReviewStatus),
    ],
)
def test_every_choice_has_a_label_in_both_languages(group: str, enum: type[StrEnum]):
    for value in enum:
        assert choice_label(group, value, "zh") != choice_label(group, value, "en")


def test_risk_levels_and_tolerances_are_labelled():
    for level in products.RISK_LEVELS:
        assert choice_label("risk_level", level, "zh").startswith(level)
    for tolerance in customers.RISK_TOLERANCES:
        assert choice_label("risk_tolerance", tolerance, "en").startswith(tolerance)


def test_unknown_key_or_language_raises():
    with pytest.raises(KeyError):
        translate("no.such.key")
    with pytest.raises(ValueError):
        catalogue("fr")


def test_a_message_carries_its_parameters_where_a_key_goes():
    message = Message("suitability.refused.below_minimum", minimum="1,000.00")
    assert message == "suitability.refused.below_minimum"
    assert {message: 1}["suitability.refused.below_minimum"] == 1
    assert "1,000.00" in translate(message, "en") and "1,000.00" in translate(message, "zh")


def test_parameters_are_filled():
    assert translate("nav.products", "en") == "Products"
    assert translate("nav.products", "zh") == "理财产品"


def test_every_domain_refusal_is_shown_with_the_values_it_names():
    """A state shows a refusal as ``translate(error.key, lang)``: whichever domain raised it,
    the text names the person and fields it carries, never a ``{placeholder}``."""
    import backoffice.engine.service
    from backoffice import domains
    from backoffice.platform.refusal import Refusal

    domains.load()  # every domain's rules, and so their refusals
    assert backoffice.engine.service.EngineError
    kinds = Refusal.__subclasses__()
    assert len(kinds) >= 10
    params = {"who": "周婷", "when": "10:00:00", "fields_zh": "状态", "fields_en": "Status"}
    for kind in kinds:
        error = kind("record.stale_by", **params)
        for lang in ("zh", "en"):
            text = translate(error.key, lang)
            assert "周婷" in text and "{" not in text, (kind.__name__, text)
    assert kinds[0]("auth.denied").key == "auth.denied"


def test_every_declared_label_is_in_both_catalogues():
    """Resources, their fields, help lines, queues, transitions and kinds of document, the
    portal's jobs and the roles take their labels from keys named after them."""
    from backoffice.engine.resource import all_resources
    from backoffice.platform import jobs
    from backoffice.security import rbac

    labels: list = []
    for resource in all_resources():
        labels.append(resource.label)
        labels += [spec.label for spec in resource.fields]
        labels += [spec.help_text for spec in resource.fields if spec.help]
        labels += [queue.label for queue in resource.queues]
        if resource.workflow is not None:
            labels += [step.label for step in resource.workflow.transitions]
        labels += [
            lambda lang, r=resource, kind=kind: r.attachment_label(kind, lang)
            for kind in resource.attachment_categories
        ]
    # jobs a test declares for itself have no label
    labels += [
        job.label for job in jobs.registered() if job.run.__module__.startswith("backoffice")
    ]
    labels += [lambda lang, code=code: translate(f"role.{code}", lang) for code in rbac.ROLES]
    assert len(labels) > 500
    for label in labels:
        assert label("zh") != label("en") or not re.search("[a-z]{4}", label("en"))


CJK = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LANGUAGE_CODES = {"zh", "en"}
DECLARATIONS = {"FieldSpec", "Resource", "Queue", "Transition", "Workflow", "job"}


def _sources() -> list[Path]:
    return [
        p for top in ("backoffice", "state", "pages") for p in sorted((ROOT / top).rglob("*.py"))
    ]


def _texts(node: ast.AST) -> list[str]:
    """The literal texts in ``node``: string constants and the literal parts of f-strings."""
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _compares_language(test: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Compare)
        and any(
            isinstance(c, ast.Constant) and c.value in LANGUAGE_CODES
            for c in [n.left, *n.comparators]
        )
        for n in ast.walk(test)
    )


def test_code_holds_no_inline_label_pair():
    """A label is a catalogue key: no branch on the language picks a literal text (choosing
    between a record's stored ``*_zh`` / ``*_en`` columns is data, not a label), no language
    test is kept in a name for such branches, and no declaration (fields, resources, queues,
    transitions, workflows, jobs) holds Chinese text."""
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set(DECLARATIONS)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names |= {a.asname for a in node.names if a.name in DECLARATIONS and a.asname}
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.If | ast.IfExp) and _compares_language(node.test):
                branches = [node.body, node.orelse]
                texts = [
                    t
                    for branch in branches
                    for part in (branch if isinstance(branch, list) else [branch])
                    for t in _texts(part)
                    if t not in LANGUAGE_CODES
                ]
                if texts:
                    found.append(f"{where}:{node.lineno} picks {texts[0]!r} by language")
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Compare)
                and _compares_language(node.value)
            ):
                found.append(f"{where}:{node.lineno} keeps a language test for later branches")
            if isinstance(node, ast.Call):
                callee = node.func
                name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                if name in names:
                    arguments = [*node.args, *(k.value for k in node.keywords)]
                    chinese = [t for a in arguments for t in _texts(a) if CJK.search(t)]
                    if chinese:
                        found.append(f"{where}:{node.lineno} {name}(…) holds {chinese[0]!r}")
    assert found == []
