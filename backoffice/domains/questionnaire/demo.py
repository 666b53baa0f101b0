"""Demo data of the risk questionnaire: version 1 in use, and answers that score in a given
band (the KYC cases' questionnaires)."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.platform.demo import DemoContext, bulk
from models.customers import RISK_TOLERANCES
from models.questionnaire import QuestionnaireStatus, RiskQuestion, RiskQuestionnaire

# The risk questionnaire in use (version 1): (中文, English, weight, answers as
# "points | 中文 | English")
QUESTIONS: list[tuple[str, str, int, tuple[str, ...]]] = [
    ("您的年龄", "Your age", 1, (
        "4 | 18–35 岁 | 18–35", "3 | 36–50 岁 | 36–50", "2 | 51–60 岁 | 51–60",
        "1 | 61–70 岁 | 61–70", "0 | 70 岁以上 | Over 70")),
    ("家庭年收入", "Household income per year", 1, (
        "0 | 10 万元以下 | Under ¥100k",
        "1 | 10–30 万元 | ¥100k–300k",
        "2 | 30–50 万元 | ¥300k–500k", "3 | 50–100 万元 | ¥500k–1m",
        "4 | 100 万元以上 | Over ¥1m")),
    ("拟投资金额占家庭金融资产的比例", "Share of your financial assets to invest", 1, (
        "4 | 10% 以下 | Under 10%", "3 | 10%–25% | 10–25%", "2 | 25%–50% | 25–50%",
        "1 | 50%–75% | 50–75%", "0 | 75% 以上 | Over 75%")),
    ("投资经验", "Investment experience", 2, (
        "0 | 没有 | None", "1 | 2 年以下 | Under 2 years", "2 | 2–5 年 | 2–5 years",
        "3 | 5–10 年 | 5–10 years", "4 | 10 年以上 | Over 10 years")),
    ("金融投资知识", "Knowledge of investing", 1, (
        "0 | 基本没有 | Little or none", "1 | 了解一些 | Some", "2 | 较为丰富 | Good",
        "3 | 专业 | Professional")),
    ("计划投资期限", "How long you plan to invest", 2, (
        "0 | 1 年以内 | Under a year", "1 | 1–3 年 | 1–3 years", "2 | 3–5 年 | 3–5 years",
        "3 | 5 年以上 | Over 5 years")),
    ("投资目的", "What you invest for", 1, (
        "0 | 保本为主 | Keeping the capital", "1 | 稳定增值 | Steady growth",
        "2 | 较高收益 | Higher returns", "3 | 收益最大化 | The highest returns")),
    ("可承受的最大亏损", "The largest loss you could bear", 3, (
        "0 | 不能承受亏损 | No loss", "1 | 10% 以内 | Up to 10%",
        "2 | 10%–30% | 10–30%", "3 | 30%–50% | 30–50%", "4 | 50% 以上 | Over 50%")),
    ("收入来源的稳定性", "How steady your income is", 1, (
        "0 | 无固定收入 | No regular income", "1 | 不稳定 | Irregular",
        "2 | 较稳定 | Fairly steady",
        "3 | 非常稳定 | Very steady")),
    ("投资出现 20% 亏损时您会", "If an investment fell 20 %, you would", 2, (
        "0 | 全部赎回 | Sell it all", "1 | 部分赎回 | Sell some", "2 | 继续持有 | Hold",
        "3 | 追加投资 | Buy more")),
]  # fmt: skip
BANDS = (12, 22, 32, 42)  # the totals from which C2, C3, C4 and C5 start (the maximum is 53)


def rows(demo: DemoContext) -> None:
    """Version 1, in use; its id and its questions are what the KYC cases are scored with."""
    c = demo.conn
    c.execute(
        sa.insert(RiskQuestionnaire.__table__),  # type: ignore[attr-defined]
        {
            **demo.stamp(),
            "number": 1,
            "title_zh": "个人投资者风险承受能力评估问卷",
            "title_en": "Individual investor risk assessment",
            "status": QuestionnaireStatus.ACTIVE.value,
            **dict(zip(("c2_from", "c3_from", "c4_from", "c5_from"), BANDS, strict=True)),
            "activated_at": demo.now - timedelta(days=400),
            "retired_at": None,
            "change_note": "首版 / first version",
        },
    )
    questionnaire_id = c.execute(sa.select(sa.func.max(RiskQuestionnaire.id))).scalar_one()
    demo.counts["risk_question"] = bulk(
        c,
        RiskQuestion,
        (
            {
                **demo.stamp(),
                "questionnaire_id": questionnaire_id,
                "position": n,
                "text_zh": zh,
                "text_en": en,
                "weight": weight,
                "answers": "\n".join(answers),
            }
            for n, (zh, en, weight, answers) in enumerate(QUESTIONS, 1)
        ),
    )
    ids = c.execute(sa.select(RiskQuestion.id).order_by(RiskQuestion.position)).scalars()
    demo.made["questionnaire"] = (
        questionnaire_id,
        [
            questionnaire.Question(
                qid, n, zh, en, weight, questionnaire.parse_answers("\n".join(answers))
            )
            for n, (qid, (zh, en, weight, answers)) in enumerate(
                zip(ids, QUESTIONS, strict=True), 1
            )
        ],
    )


def answers_for(
    demo: DemoContext, questions: list[questionnaire.Question], tolerance: str
) -> tuple[str, int]:
    """Answers whose total falls in the tolerance's band: (JSON, total)."""
    index = RISK_TOLERANCES.index(tolerance)
    bounds = (0, *BANDS, questionnaire.max_score(questions) + 1)
    remaining = demo.rng.randrange(bounds[index], bounds[index + 1])
    chosen: dict[int, int] = {}
    for question in sorted(questions, key=lambda q: (-q.weight, demo.rng.random())):
        points = [a.points for a in question.answers]
        most = max(p for p in points if question.weight * p <= remaining)
        chosen[question.id] = demo.rng.choice([i for i, p in enumerate(points) if p == most])
        remaining -= question.weight * most
    answers = json.dumps(
        {str(k): v for k, v in chosen.items()}, sort_keys=True, separators=(",", ":")
    )
    return answers, questionnaire.score(questions, chosen)
