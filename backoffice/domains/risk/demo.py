"""Demo data of risk: the key risk indicators with their thresholds and current values, then
their levels and alerts as the evaluation job finds them."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from backoffice.domains.risk.rules import evaluate_all
from backoffice.platform.demo import DemoContext, bulk
from models.risk import RiskCategory, RiskIndicator

NEEDS = ("kyc",)  # the evaluation measures the KYC cases past their time

RISK_INDICATORS = [
    (
        "MKT_DRAWDOWN",
        "组合最大回撤",
        "Portfolio max drawdown",
        RiskCategory.MARKET,
        "%",
        5,
        10,
        3.2,
    ),
    ("MKT_VOL", "产品净值波动率", "NAV volatility", RiskCategory.MARKET, "%", 15, 25, 11.4),
    ("CRD_PARTNER", "合作方信用评级下调数", "Partner downgrades", RiskCategory.CREDIT, "", 1, 3, 0),
    (
        "LIQ_REDEEM",
        "单日赎回占比",
        "Daily redemption ratio",
        RiskCategory.LIQUIDITY,
        "%",
        8,
        15,
        4.1,
    ),
    (
        "LIQ_CASH",
        "备付金覆盖天数",
        "Cash reserve cover (days)",
        RiskCategory.LIQUIDITY,
        "d",
        5,
        3,
        9.0,
    ),
    ("OPS_ERRORS", "交易差错笔数", "Trade errors", RiskCategory.OPERATIONAL, "", 3, 10, 1),
    (
        "OPS_KYC_OVERDUE",
        "超时未决 KYC 案件",
        "KYC cases past their SLA",
        RiskCategory.OPERATIONAL,
        "",
        5,
        20,
        0,
    ),
    (
        "IT_JOB_FAILURES",
        "后台任务失败次数（24 小时）",
        "Failed background jobs (24 h)",
        RiskCategory.IT,
        "",
        1,
        3,
        0,
    ),
    ("OPS_COMPLAINTS", "日投诉量", "Complaints per day", RiskCategory.OPERATIONAL, "", 20, 50, 12),
    ("IT_UPTIME", "系统可用率", "System availability", RiskCategory.IT, "%", 99.9, 99.5, 99.97),
    (
        "IT_LATENCY",
        "交易接口P95延迟",
        "Trade API p95 latency",
        RiskCategory.IT,
        "ms",
        300,
        800,
        180,
    ),
]
MEASURED = {"OPS_KYC_OVERDUE": "kyc_overdue_cases", "IT_JOB_FAILURES": "failed_jobs_1d"}


def rows(demo: DemoContext) -> None:
    c = demo.conn
    demo.counts["risk_indicator"] = bulk(
        c,
        RiskIndicator,
        (
            {
                **demo.stamp(),
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "category": cat.value,
                "unit": unit,
                "warning_threshold": Decimal(str(warn)),
                "breach_threshold": Decimal(str(breach)),
                "higher_is_worse": breach >= warn,
                "current_value": Decimal(str(value)),
                "owner_role": "admin" if cat == RiskCategory.IT else "compliance",
                "source": MEASURED.get(code, "manual"),
                "level": "normal",  # the evaluation job sets the level from the value
                "measured_at": demo.now,
                "opens_task": True,
            }
            for code, zh, en, cat, unit, warn, breach, value in RISK_INDICATORS
        ),
    )


def through_rules(session: Session) -> None:
    evaluate_all(session)  # levels and alerts as the job would find them
