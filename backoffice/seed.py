"""Demo data for every module, made with Faker's zh_CN locale and bulk inserts.

``small`` is what ``make run`` loads: enough to click through every page. ``large`` makes the
volumes the benchmarks need (100,000 customers, 1,000,000 transactions, 200,000 tickets) in
minutes: names and addresses come from pools drawn once, rows go in with executemany batches.
Seeding is idempotent: a database that already holds demo data is left as it is.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from faker import Faker
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, select

from backoffice.db import refresh_statistics, session_scope
from backoffice.domains.admin import users
from backoffice.domains.customers import national_id
from backoffice.domains.kpi import rules as kpi
from backoffice.domains.kyc import screening
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.domains.risk.rules import evaluate_all as evaluate_risk_indicators
from backoffice.domains.suitability import rules as suitability
from backoffice.domains.tickets import rules as desk
from backoffice.platform import attachments, audit, pdf
from backoffice.platform.business_time import local_today
from backoffice.security import fields, rbac
from models.attachments import Attachment
from models.campaigns import (
    Campaign,
    CampaignKind,
    CampaignProduct,
    CampaignSpend,
    CampaignStatus,
)
from models.customers import RISK_TOLERANCES, Customer, KycStatus
from models.hr import (
    Appraisal,
    AppraisalCycle,
    AppraisalStatus,
    Candidate,
    CandidateStage,
    Employee,
    EmployeeStatus,
    HeadcountPlan,
    HiringChannel,
    JobOpening,
    OpeningStatus,
    Promotion,
    PromotionStatus,
    Team,
    TeamCode,
    TeamKpi,
    TrainingKind,
    TrainingProgram,
    TrainingRecord,
    TrainingResult,
    TrainingSession,
)
from models.identity import User
from models.kpi import AlertCondition, KpiAlertRule
from models.kyc import (
    OPEN_CASE_STATES,
    AmlRisk,
    HitStatus,
    KycCase,
    KycCaseKind,
    KycCaseStatus,
    ScreeningHit,
    WatchlistEntry,
    WatchlistKind,
)
from models.partners import Partner, PartnerKind, PartnerStatus
from models.products import CoverageType, EarlyRedemption, Product, ProductStatus, ProductType
from models.projects import (
    AdjustmentKind,
    Assessment,
    IndicatorKind,
    Milestone,
    MilestoneStatus,
    PlanAdjustment,
    Project,
    ProjectIndicator,
    ProjectPhase,
    ProjectRisk,
    ProjectTask,
    RiskStatus,
    RiskStrategy,
)
from models.questionnaire import QuestionnaireStatus, RiskQuestion, RiskQuestionnaire
from models.risk import RiskCategory, RiskIndicator
from models.tickets import (
    AssignmentRule,
    BusinessHoliday,
    CannedReply,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketSettings,
    TicketSlaBreach,
    TicketStatus,
)
from models.transactions import Transaction, TransactionKind, TransactionStatus


@dataclass(frozen=True)
class SeedSize:
    customers: int
    transactions: int
    tickets: int
    campaigns: int
    watchlist: int


SIZES = {
    "small": SeedSize(
        customers=2_000, transactions=20_000, tickets=1_500, campaigns=12, watchlist=60
    ),
    "large": SeedSize(
        customers=100_000, transactions=1_000_000, tickets=200_000, campaigns=40, watchlist=2_000
    ),
}
BATCH = 5_000


TEAMS: list[tuple[TeamCode, str, str, int]] = [
    (TeamCode.SENIOR_MANAGEMENT, "高级管理层", "Senior management", 3),
    (TeamCode.TECHNOLOGY, "技术部", "Technology", 8),
    (TeamCode.PRODUCT_DESIGN, "产品与设计部", "Product & design", 4),
    (TeamCode.MARKETING, "市场营销部", "Marketing", 4),
    (TeamCode.RISK_COMPLIANCE, "风险管理与合规部", "Risk & compliance", 4),
    (TeamCode.CUSTOMER_SERVICE, "客户服务与运营部", "Customer service & operations", 6),
]
POSITIONS: dict[TeamCode, list[str]] = {
    TeamCode.SENIOR_MANAGEMENT: ["首席执行官 CEO", "首席技术官 CTO", "首席财务官 CFO"],
    TeamCode.TECHNOLOGY: ["后端工程师", "前端工程师", "测试工程师", "运维工程师", "架构师"],
    TeamCode.PRODUCT_DESIGN: ["产品经理", "高级产品经理", "交互设计师"],
    TeamCode.MARKETING: ["市场经理", "渠道专员", "内容运营"],
    TeamCode.RISK_COMPLIANCE: ["合规专员", "反洗钱专员", "风控经理"],
    TeamCode.CUSTOMER_SERVICE: ["客服专员", "客服主管", "运营专员"],
}
PARTNERS: list[tuple[str, PartnerKind]] = [
    ("华夏基金管理有限公司", PartnerKind.FUND_COMPANY),
    ("易方达基金管理有限公司", PartnerKind.FUND_COMPANY),
    ("南方基金管理股份有限公司", PartnerKind.FUND_COMPANY),
    ("招商银行股份有限公司", PartnerKind.BANK),
    ("宁波银行股份有限公司", PartnerKind.BANK),
    ("中国平安人寿保险股份有限公司", PartnerKind.INSURER),
    ("泰康人寿保险有限责任公司", PartnerKind.INSURER),
    ("中信证券股份有限公司", PartnerKind.SECURITIES_FIRM),
    ("华泰证券股份有限公司", PartnerKind.SECURITIES_FIRM),
    ("星云互联网科技有限公司", PartnerKind.INTERNET_COMPANY),
    ("快付通支付有限公司", PartnerKind.PAYMENT_PLATFORM),
    ("银联商务股份有限公司", PartnerKind.PAYMENT_PLATFORM),
]
ISSUERS_BY_TYPE: dict[ProductType, tuple[PartnerKind, ...]] = {
    ProductType.MONEY_MARKET: (PartnerKind.FUND_COMPANY,),
    ProductType.FIXED_TERM: (PartnerKind.BANK,),
    ProductType.FLEXIBLE: (PartnerKind.BANK, PartnerKind.FUND_COMPANY),
    ProductType.BOND: (PartnerKind.SECURITIES_FIRM, PartnerKind.FUND_COMPANY),
    ProductType.STOCK: (PartnerKind.SECURITIES_FIRM,),
    ProductType.MUTUAL_FUND: (PartnerKind.FUND_COMPANY,),
    ProductType.INSURANCE: (PartnerKind.INSURER,),
}
PRODUCT_SHAPES: dict[ProductType, dict[str, Any]] = {
    ProductType.MONEY_MARKET: {"risk": ("R1",), "yield": (1.4, 2.2), "term": None, "min": 1},
    ProductType.FIXED_TERM: {
        "risk": ("R1", "R2"),
        "yield": (2.3, 3.8),
        "term": (90, 180, 365),
        "min": 1000,
    },
    ProductType.FLEXIBLE: {"risk": ("R1", "R2"), "yield": (1.8, 2.8), "term": None, "min": 100},
    ProductType.BOND: {"risk": ("R2", "R3"), "yield": (3.0, 5.0), "term": (365, 730), "min": 1000},
    ProductType.STOCK: {"risk": ("R4", "R5"), "yield": (0.0, 0.0), "term": None, "min": 100},
    ProductType.MUTUAL_FUND: {
        "risk": ("R3", "R4", "R5"),
        "yield": (4.0, 9.0),
        "term": None,
        "min": 10,
    },
    ProductType.INSURANCE: {
        "risk": ("R1", "R2"),
        "yield": (2.5, 3.5),
        "term": (1825, 3650),
        "min": 5000,
    },
}


def _product_terms(ptype: ProductType, rng: random.Random) -> dict[str, Any]:
    """The type-specific terms: early redemption for fixed-term and bond products, cover for
    insurance."""
    terms: dict[str, Any] = dict.fromkeys(
        (
            "early_redemption",
            "early_redemption_fee_rate",
            "early_redemption_notice_days",
            "coverage_type",
            "sum_assured",
            "coverage_years",
            "cooling_off_days",
        )
    )
    if ptype in (ProductType.FIXED_TERM, ProductType.BOND):
        rule = rng.choice(list(EarlyRedemption))
        terms["early_redemption"] = rule.value
        if rule == EarlyRedemption.WITH_FEE:
            terms["early_redemption_fee_rate"] = _pct(rng.choice((0.5, 1.0, 1.5)))
        if rule != EarlyRedemption.NOT_ALLOWED:
            terms["early_redemption_notice_days"] = rng.choice((1, 3, 7))
    elif ptype == ProductType.INSURANCE:
        terms["coverage_type"] = rng.choice(list(CoverageType)).value
        terms["sum_assured"] = Decimal(rng.choice((100_000, 300_000, 500_000))).quantize(
            Decimal("0.01")
        )
        terms["coverage_years"] = rng.choice((5, 10, 20, 30))
        terms["cooling_off_days"] = 15
    return terms


DISCLOSURE_TEXTS = (
    (
        "prospectus",
        "产品说明书",
        (
            "一、产品概述：{name}由发行机构设立并管理，本平台作为销售渠道提供购买服务。",
            "二、风险等级：{risk}。本产品仅向风险承受能力评估结果与之匹配的投资者销售。",
            "三、收益说明：预期年化收益率仅供参考，不构成对投资者的收益承诺。",
            "四、费用：申购费、赎回费与管理费以产品要素表及后续公告为准。",
            "五、申购与赎回：按销售文件约定的开放日办理，提前赎回规则见产品要素。",
            "六、信息披露：发行机构按期披露产品净值、投资报告及重大事项。",
        ),
    ),
    (
        "risk_disclosure",
        "风险揭示书",
        (
            "理财非存款，产品有风险，投资须谨慎。",
            "本产品风险等级为 {risk}，可能面临市场风险、信用风险、流动性风险、政策风险等。",
            "在最不利情况下，投资者可能损失部分乃至全部本金。",
            "投资者应充分阅读产品说明书，确认已理解产品风险后自主作出投资决定。",
            "投资者签字确认：________    日期：________",
        ),
    ),
)
OFFICERS = ("kyc.liu", "kyc.sun")
AGENTS = ("cs.zhou", "cs.he")  # cs.wu leads them
# priority, first response and resolution targets in minutes, counted in business hours
SLA_POLICIES = (
    ("urgent", 30, 240, False),
    ("high", 60, 480, True),
    ("normal", 120, 1440, True),
    ("low", 480, 4320, True),
)
ASSIGNMENT = (
    ("account", "round_robin"),
    ("transaction", "round_robin"),
    ("investment_consultation", "least_loaded"),
    ("complaint", "least_loaded"),
    ("other", "manual"),
)
HOLIDAYS = (  # the public holidays of the demo years and the weekend days worked instead
    ("2026-01-01", "元旦", "holiday"),
    ("2026-01-02", "元旦", "holiday"),
    ("2026-01-04", "元旦调休上班", "workday"),
    ("2026-02-16", "春节", "holiday"),
    ("2026-02-17", "春节", "holiday"),
    ("2026-02-18", "春节", "holiday"),
    ("2026-02-19", "春节", "holiday"),
    ("2026-02-20", "春节", "holiday"),
    ("2026-02-14", "春节调休上班", "workday"),
    ("2026-02-28", "春节调休上班", "workday"),
    ("2026-04-06", "清明节", "holiday"),
    ("2026-05-01", "劳动节", "holiday"),
    ("2026-05-04", "劳动节", "holiday"),
    ("2026-05-05", "劳动节", "holiday"),
    ("2026-06-19", "端午节", "holiday"),
    ("2026-09-25", "中秋节", "holiday"),
    ("2026-10-01", "国庆节", "holiday"),
    ("2026-10-02", "国庆节", "holiday"),
    ("2026-10-05", "国庆节", "holiday"),
    ("2026-10-06", "国庆节", "holiday"),
    ("2026-10-07", "国庆节", "holiday"),
    ("2026-09-27", "国庆调休上班", "workday"),
    ("2026-10-10", "国庆调休上班", "workday"),
    ("2027-01-01", "元旦", "holiday"),
)
CANNED_REPLIES = (
    (
        "问候与受理",
        None,
        "{customer_name}您好，您的工单 {ticket_no}（{subject}）已受理，"
        "我是客服{agent_name}，将尽快为您处理。",
    ),
    (
        "请补充信息",
        None,
        "{customer_name}您好，为尽快处理工单 {ticket_no}，请您补充相关截图或"
        "交易流水号，我们收到后会立即跟进。",
    ),
    (
        "赎回到账说明",
        "transaction",
        "{customer_name}您好，赎回资金一般在 T+1 个工作日内到账，"
        "节假日顺延。工单 {ticket_no} 我们会持续跟踪。",
    ),
    (
        "登录问题处理",
        "account",
        "{customer_name}您好，请您在 App 登录页点击“忘记密码”重置，"
        "若仍无法登录请回复本工单 {ticket_no}。",
    ),
    (
        "投诉已升级",
        "complaint",
        "{customer_name}您好，非常抱歉给您带来不便，您的投诉 {ticket_no} "
        "已提交主管处理，我们将在 1 个工作日内回复。",
    ),
    (
        "结案确认",
        None,
        "{customer_name}您好，工单 {ticket_no} 已处理完毕，如仍有疑问欢迎随时联系，"
        "祝您投资顺利！——{agent_name}",
    ),
)
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
PRODUCT_NAMES: dict[ProductType, list[str]] = {
    ProductType.MONEY_MARKET: ["现金宝", "日日盈", "零钱通", "添利宝"],
    ProductType.FIXED_TERM: ["稳盈90天", "安享半年", "年年丰", "季季红"],
    ProductType.FLEXIBLE: ["活期宝", "随心存", "周周利"],
    ProductType.BOND: ["纯债精选", "信用债优选", "国债增利"],
    ProductType.STOCK: ["沪深300精选", "科技成长组合", "红利低波组合"],
    ProductType.MUTUAL_FUND: ["消费升级混合", "新能源主题", "医疗健康精选", "平衡配置"],
    ProductType.INSURANCE: ["安心年金", "康乐两全", "稳福终身寿"],
}
TICKET_SUBJECTS: dict[TicketCategory, list[str]] = {
    TicketCategory.ACCOUNT: ["无法登录账户", "修改绑定手机号", "实名认证失败", "账户被锁定"],
    TicketCategory.TRANSACTION: ["赎回资金未到账", "申购扣款失败", "交易记录不一致", "手续费疑问"],
    TicketCategory.INVESTMENT_CONSULTATION: [
        "适合我的理财产品",
        "基金收益如何计算",
        "风险等级说明",
        "定期产品能否提前赎回",
    ],
    TicketCategory.COMPLAINT: ["对产品收益不满", "客服响应太慢", "营销短信过多"],
    TicketCategory.OTHER: ["发票申请", "App功能建议", "活动规则咨询"],
}
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
# (phase, name, baseline start, baseline end (days after kickoff), finish-to-start predecessor
# (index), actual start, actual end, progress): kickoff is 170 days ago
MILESTONES: list[tuple[ProjectPhase, str, int, int, int | None, int | None, int | None, int]] = [
    (ProjectPhase.KICKOFF, "项目章程与立项审批", 0, 14, None, 0, 14, 100),
    (ProjectPhase.KICKOFF, "需求调研与范围确认", 15, 30, 0, 15, 33, 100),
    (ProjectPhase.DEVELOPMENT, "账户与KYC模块开发", 31, 90, 1, 34, 95, 100),
    (ProjectPhase.DEVELOPMENT, "产品与交易模块开发", 31, 110, 1, 34, 110, 100),
    (ProjectPhase.DEVELOPMENT, "支付与清算对接", 40, 120, 1, 40, 132, 100),
    (ProjectPhase.DEVELOPMENT, "运营后台开发", 45, 130, 1, 45, 137, 100),
    (ProjectPhase.TESTING, "系统集成测试", 131, 150, 5, 138, 158, 100),
    (ProjectPhase.TESTING, "安全测试与等保测评", 145, 165, 4, 146, None, 55),  # overdue
    (ProjectPhase.TESTING, "用户验收测试", 151, 175, 6, 159, None, 30),  # at risk
    (ProjectPhase.GO_LIVE, "灰度发布", 176, 185, 8, None, None, 0),
    (ProjectPhase.GO_LIVE, "正式上线", 186, 190, 9, None, None, 0),
    (ProjectPhase.MAINTENANCE, "上线后稳定性保障", 191, 250, 10, None, None, 0),
    (ProjectPhase.MAINTENANCE, "第一次版本迭代", 220, 280, 10, None, None, 0),
]
OVERDUE_MILESTONE = 7  # owned by the PMO's own employee record: the demo alert reaches pmo.xu
PROJECT_RISKS: list[tuple[str, int, int, RiskStrategy, RiskStatus, int | None, str]] = [
    (
        "关键开发人员流失",
        2,
        4,
        RiskStrategy.MITIGATE,
        RiskStatus.OPEN,
        None,
        "关键模块双人备份，完善文档",
    ),
    (
        "支付通道对接延期",
        3,
        4,
        RiskStrategy.MITIGATE,
        RiskStatus.CLOSED,
        4,
        "提前启动联调，准备备用通道",
    ),
    (
        "监管政策变化",
        2,
        5,
        RiskStrategy.ACCEPT,
        RiskStatus.OPEN,
        None,
        "合规部门持续跟踪，预留整改时间",
    ),
    ("性能不达标", 3, 3, RiskStrategy.MITIGATE, RiskStatus.MITIGATING, 8, "尽早压测，预留扩容预算"),
    ("数据迁移出错", 2, 3, RiskStrategy.MITIGATE, RiskStatus.OPEN, 10, "多轮演练，保留回滚方案"),
    ("第三方系统不稳定", 3, 2, RiskStrategy.TRANSFER, RiskStatus.OPEN, 9, "熔断降级，SLA 约束"),
    (
        "等保测评整改项过多",
        4,
        5,
        RiskStrategy.MITIGATE,
        RiskStatus.MITIGATING,
        7,
        "提前自查，整改专人跟进",
    ),
    (
        "验收测试用户参与不足",
        4,
        3,
        RiskStrategy.AVOID,
        RiskStatus.OPEN,
        8,
        "业务部门指定专人，排入工作计划",
    ),
    ("上线窗口与监管报送冲突", 1, 4, RiskStrategy.AVOID, RiskStatus.OPEN, 10, "避开月末报送日"),
    ("运维人手不足", 5, 2, RiskStrategy.TRANSFER, RiskStatus.OPEN, 11, "引入外包驻场运维"),
]
# (phase, kind, name, target, actual, unit, days after kickoff, assessment)
PROJECT_INDICATORS: list[
    tuple[ProjectPhase, IndicatorKind, str, str, str, str, int, Assessment]
] = [
    (ProjectPhase.KICKOFF, IndicatorKind.EVALUATION, "立项评审", "", "", "", 30, Assessment.MET),
    (
        ProjectPhase.DEVELOPMENT,
        IndicatorKind.INDICATOR,
        "单元测试覆盖率",
        "80",
        "76",
        "%",
        120,
        Assessment.PARTLY,
    ),
    (
        ProjectPhase.DEVELOPMENT,
        IndicatorKind.INDICATOR,
        "代码评审覆盖率",
        "100",
        "100",
        "%",
        130,
        Assessment.MET,
    ),
    (
        ProjectPhase.DEVELOPMENT,
        IndicatorKind.EVALUATION,
        "开发阶段评审",
        "",
        "",
        "",
        138,
        Assessment.PARTLY,
    ),
    (
        ProjectPhase.TESTING,
        IndicatorKind.INDICATOR,
        "缺陷修复率",
        "95",
        "88",
        "%",
        165,
        Assessment.PARTLY,
    ),
    (
        ProjectPhase.TESTING,
        IndicatorKind.INDICATOR,
        "遗留严重缺陷",
        "0",
        "2",
        "个",
        168,
        Assessment.NOT_MET,
    ),
    (
        ProjectPhase.TESTING,
        IndicatorKind.INDICATOR,
        "交易峰值吞吐量",
        "2000",
        "2350",
        "TPS",
        160,
        Assessment.MET,
    ),
]


def _chunks(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(conn: Connection, model: type[SQLModel], rows: Iterable[dict[str, Any]]) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    count = 0
    for chunk in _chunks(rows):
        conn.execute(sa.insert(table), chunk)
        count += len(chunk)
    return count


def _ids(conn: Connection, model: type[SQLModel], key: str) -> dict[Any, int]:
    table = model.__table__  # type: ignore[attr-defined]
    return {row[0]: row[1] for row in conn.execute(sa.select(table.c[key], table.c.id))}


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def _pct(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def is_seeded(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Team)).scalar_one() > 0


class DemoData:
    """Builds the demo rows; each ``_seed_*`` step uses the ids of the ones before it."""

    def __init__(self, conn: Connection, size: SeedSize, seed: int = 20261125) -> None:
        self.conn = conn
        self.size = size
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.today = local_today()  # the company's calendar day, as the services count it
        self.counts: dict[str, int] = {}

    def run(self, progress: Callable[[str], None]) -> dict[str, int]:
        for step in (
            self._seed_teams_and_staff,
            self._seed_hr_records,
            self._seed_partners_products,
            self._seed_campaigns,
            self._seed_customers,
            self._seed_transactions,
            self._seed_kyc,
            self._seed_tickets,
            self._seed_projects,
        ):
            started = time.perf_counter()
            step()
            progress(f"{step.__name__[6:]}: {time.perf_counter() - started:.1f}s")
        return self.counts

    def _stamp(self, when: datetime | None = None) -> dict[str, Any]:
        when = when or self.now
        return {"created_at": when, "updated_at": when, "version": 1, "archived_at": None}

    # --- HR ------------------------------------------------------------------------------
    def _seed_teams_and_staff(self) -> None:
        c, rng = self.conn, self.rng
        self.counts["team"] = _bulk(
            c,
            Team,
            (
                {
                    **self._stamp(),
                    "code": code.value,
                    "name_zh": zh,
                    "name_en": en,
                    "manager_id": None,
                }
                for code, zh, en, _ in TEAMS
            ),
        )
        team_ids = _ids(c, Team, "code")
        rows = []
        number = 0
        for code, _zh, _en, headcount in TEAMS:
            for i in range(headcount):
                number += 1
                positions = POSITIONS[code]
                position = (
                    positions[i]
                    if code == TeamCode.SENIOR_MANAGEMENT
                    else (
                        positions[-2]
                        if i == 0 and code == TeamCode.CUSTOMER_SERVICE
                        else rng.choice(positions)
                    )
                )
                salary = rng.randrange(15, 60) * 1000 if i else rng.randrange(50, 120) * 1000
                rows.append(
                    {
                        **self._stamp(),
                        "employee_no": f"E{number:04d}",
                        "name": self.fake.name(),
                        "team_id": team_ids[code.value],
                        "position": position,
                        "manager_id": None,
                        "hire_date": self.today - timedelta(days=rng.randrange(30, 900)),
                        "status": EmployeeStatus.PROBATION
                        if rng.random() < 0.1
                        else EmployeeStatus.ACTIVE,
                        "salary_cipher": fields.encrypt(str(Decimal(salary))),
                        "email": f"e{number:04d}@wealth.example.cn",
                        "phone": f"0571-8{rng.randrange(1000000, 9999999)}",
                        "grade": ("M4" if code == TeamCode.SENIOR_MANAGEMENT else "M2")
                        if i == 0
                        else f"P{rng.randrange(4, 8)}",
                        "left_on": None,
                    }
                )
        for code, days in ((TeamCode.TECHNOLOGY, 200), (TeamCode.MARKETING, 40)):
            number += 1  # former staff: on the books until they left
            rows.append(
                {
                    **self._stamp(),
                    "employee_no": f"E{number:04d}",
                    "name": self.fake.name(),
                    "team_id": team_ids[code.value],
                    "position": POSITIONS[code][0],
                    "manager_id": None,
                    "hire_date": self.today - timedelta(days=days + 400),
                    "status": EmployeeStatus.LEFT,
                    "salary_cipher": fields.encrypt("20000"),
                    "email": "",
                    "phone": "",
                    "grade": "P5",
                    "left_on": self.today - timedelta(days=days),
                }
            )
        self.counts["employee"] = _bulk(c, Employee, rows)
        employees = c.execute(
            sa.select(Employee.id, Employee.team_id)
            .where(Employee.status != EmployeeStatus.LEFT)
            .order_by(Employee.id)
        ).all()
        by_team: dict[int, list[int]] = {}
        for emp_id, team_id in employees:
            by_team.setdefault(team_id, []).append(emp_id)
        ceo = by_team[team_ids[TeamCode.SENIOR_MANAGEMENT.value]][0]
        for team_id, members in by_team.items():
            head = members[0]
            c.execute(
                sa.update(Team.__table__)
                .where(Team.__table__.c.id == team_id)
                .values(manager_id=head)
            )
            c.execute(
                sa.update(Employee.__table__)
                .where(Employee.__table__.c.id.in_(members[1:]))
                .values(manager_id=head)
            )
            if head != ceo:
                c.execute(
                    sa.update(Employee.__table__)
                    .where(Employee.__table__.c.id == head)
                    .values(manager_id=ceo)
                )
        self.team_ids = team_ids
        self.staff_by_team = {code: by_team[tid] for code, tid in team_ids.items()}
        quarters = [f"{self.today.year}-Q{q}" for q in range(1, 5)]
        self.counts["headcount_plan"] = _bulk(
            c,
            HeadcountPlan,
            (
                {
                    **self._stamp(),
                    "team_id": team_ids[code.value],
                    "quarter": quarter,
                    "planned": headcount + (q // 2),
                }
                for code, _zh, _en, headcount in TEAMS
                for q, quarter in enumerate(quarters)
            ),
        )

    def _link_staff(self) -> None:
        """Demo staff accounts belong to employees of their teams (customer service is linked
        with the desk, see ``_link_agents``): the managers among them rate their reports."""
        names = {username: name for username, name, _roles in DEMO_USERS}
        links = (
            ("ceo.huang", TeamCode.SENIOR_MANAGEMENT, 0, "首席执行官 CEO"),
            ("pm.li", TeamCode.PRODUCT_DESIGN, 0, "产品总监"),
            ("pm.zhao", TeamCode.PRODUCT_DESIGN, 1, "产品经理"),
            ("mkt.chen", TeamCode.MARKETING, 0, "市场总监"),
            ("mkt.lin", TeamCode.MARKETING, 1, "市场经理"),
            ("kyc.liu", TeamCode.RISK_COMPLIANCE, 0, "合规总监"),
            ("kyc.sun", TeamCode.RISK_COMPLIANCE, 1, "反洗钱专员"),
            ("pmo.xu", TeamCode.TECHNOLOGY, 1, "项目经理"),
            ("pmo.gao", TeamCode.TECHNOLOGY, 3, "项目经理"),
            ("hr.zheng", TeamCode.CUSTOMER_SERVICE, -1, "人力资源经理"),
            ("hr.qian", TeamCode.CUSTOMER_SERVICE, -2, "人力资源专员"),
        )
        for username, team, index, position in links:
            employee_id = self.staff_by_team[team.value][index]
            self.conn.execute(
                sa.update(User.__table__)
                .where(User.__table__.c.username == username)
                .values(employee_id=employee_id)
            )
            values = {"name": names[username], "position": position}
            if username.startswith("hr."):  # HR reports to the CEO, whatever team holds it
                values["manager_id"] = self.staff_by_team[TeamCode.SENIOR_MANAGEMENT.value][0]
            self.conn.execute(
                sa.update(Employee.__table__)
                .where(Employee.__table__.c.id == employee_id)
                .values(**values)
            )

    def _seed_hr_records(self) -> None:
        self._link_staff()
        self._seed_hiring()
        self._seed_training()
        self._seed_appraisals()

    def _seed_hiring(self) -> None:
        c, rng = self.conn, self.rng
        openings = [
            ("高级后端工程师", TeamCode.TECHNOLOGY, 2, OpeningStatus.OPEN),
            ("反洗钱分析师", TeamCode.RISK_COMPLIANCE, 1, OpeningStatus.OPEN),
            ("客服专员", TeamCode.CUSTOMER_SERVICE, 2, OpeningStatus.OPEN),
            ("增长营销经理", TeamCode.MARKETING, 1, OpeningStatus.OPEN),
            ("数据产品经理", TeamCode.PRODUCT_DESIGN, 1, OpeningStatus.OPEN),
            ("测试工程师", TeamCode.TECHNOLOGY, 1, OpeningStatus.FILLED),
        ]
        self.counts["job_opening"] = _bulk(
            c,
            JobOpening,
            (
                {
                    **self._stamp(),
                    "title": title,
                    "team_id": self.team_ids[team.value],
                    "headcount": headcount,
                    "status": status,
                    "opened_on": self.today - timedelta(days=rng.randrange(20, 90)),
                    "closed_on": self.today - timedelta(days=10)
                    if status == OpeningStatus.FILLED
                    else None,
                    "description": f"负责{title}相关工作，向团队负责人汇报。",
                }
                for title, team, headcount, status in openings
            ),
        )
        opening_rows = c.execute(
            sa.select(JobOpening.id, JobOpening.title, JobOpening.team_id, JobOpening.status)
        ).all()
        open_ids = [row.id for row in opening_rows if row.status == OpeningStatus.OPEN]
        filled = next(row for row in opening_rows if row.status == OpeningStatus.FILLED)
        reasons = ("经验与岗位要求不符", "薪资期望差距较大", "候选人接受了其他录用")
        stages = [CandidateStage.APPLIED] * 10 + [CandidateStage.SCREENED] * 6
        stages += [CandidateStage.INTERVIEWED] * 5 + [CandidateStage.OFFER] * 3
        stages += [CandidateStage.REJECTED] * 6
        rows = []
        for index, stage in enumerate(stages):
            applied = self.today - timedelta(days=rng.randrange(1, 50))
            offered = stage == CandidateStage.OFFER
            first_offer = offered and stages[index - 1] != CandidateStage.OFFER
            rows.append(
                {
                    **self._stamp(),
                    "opening_id": rng.choice(open_ids),
                    "name": self.fake.name(),
                    "channel": rng.choice(list(HiringChannel)).value,
                    "stage": stage.value,
                    "applied_on": applied,
                    "email": self.fake.email(),
                    "notes": "",
                    "offer_salary_cipher": fields.encrypt(str(rng.randrange(15, 40) * 1000))
                    if offered
                    else "",
                    "start_on": (
                        self.today  # one accepted offer starts today
                        if first_offer
                        else self.today + timedelta(days=rng.randrange(7, 30))
                    )
                    if offered
                    else None,
                    "hired_on": None,
                    "employee_id": None,
                    "rejection_reason": rng.choice(reasons)
                    if stage == CandidateStage.REJECTED
                    else "",
                }
            )
        # the people hired through the system are the most recent joiners of each team
        joiners = c.execute(
            sa.select(Employee.id, Employee.name, Employee.team_id, Employee.hire_date)
            .where(Employee.hire_date >= self.today - timedelta(days=240))
            .order_by(Employee.hire_date.desc())
        ).all()
        team_openings = {row.team_id: row.id for row in opening_rows}
        team_openings[filled.team_id] = filled.id
        for joiner in joiners[:6]:
            hired_on = joiner.hire_date - timedelta(days=rng.randrange(7, 21))
            rows.append(
                {
                    **self._stamp(),
                    "opening_id": team_openings.get(joiner.team_id, filled.id),
                    "name": joiner.name,
                    "channel": rng.choice(list(HiringChannel)).value,
                    "stage": CandidateStage.HIRED.value,
                    "applied_on": hired_on - timedelta(days=rng.randrange(14, 60)),
                    "email": self.fake.email(),
                    "notes": "",
                    "offer_salary_cipher": fields.encrypt(str(rng.randrange(15, 40) * 1000)),
                    "start_on": joiner.hire_date,
                    "hired_on": hired_on,
                    "employee_id": joiner.id,
                    "rejection_reason": "",
                }
            )
        self.counts["candidate"] = _bulk(c, Candidate, rows)

    def _seed_training(self) -> None:
        c, rng = self.conn, self.rng
        programs = [
            ("新员工入职培训", TrainingKind.ONBOARDING, True, "8", 14),
            ("反洗钱与合规必修课", TrainingKind.ON_THE_JOB, True, "4", 30),
            ("信息安全意识培训", TrainingKind.ON_THE_JOB, True, "2", 60),
            ("理财产品知识进阶", TrainingKind.ON_THE_JOB, False, "6", 0),
            ("CFA 外部研修", TrainingKind.EXTERNAL, False, "16", 0),
        ]
        self.counts["training_program"] = _bulk(
            c,
            TrainingProgram,
            (
                {
                    **self._stamp(),
                    "title": t,
                    "kind": k.value,
                    "mandatory": m,
                    "hours": Decimal(h),
                    "due_within_days": d,
                }
                for t, k, m, h, d in programs
            ),
        )
        program_rows = c.execute(
            sa.select(TrainingProgram.id, TrainingProgram.hours, TrainingProgram.mandatory)
        ).all()
        trainers = ("郑敏", "刘洋", "外部讲师", "技术部")
        _bulk(
            c,
            TrainingSession,
            (
                {
                    **self._stamp(),
                    "program_id": program.id,
                    "held_on": self.today - timedelta(days=days),
                    "trainer": rng.choice(trainers),
                    "location": rng.choice(("总部 3 楼培训室", "线上会议", "外部机构")),
                    "hours": program.hours,
                }
                for program in program_rows
                for days in (20, 110, 250)
            ),
        )
        sessions: dict[int, list[tuple[int, date]]] = {}
        for session_id, program_id, held_on in c.execute(
            sa.select(TrainingSession.id, TrainingSession.program_id, TrainingSession.held_on)
        ):
            sessions.setdefault(program_id, []).append((session_id, held_on))
        staff = c.execute(sa.select(Employee.id, Employee.hire_date)).all()
        records = []
        for person in staff:
            for program in program_rows:
                attended = [s for s in sessions[program.id] if s[1] >= person.hire_date]
                recent = (self.today - person.hire_date).days < 60
                if not attended or (recent and rng.random() < 0.6):
                    continue  # new joiners have mandatory training still to do
                if not program.mandatory and rng.random() < 0.6:
                    continue
                session_id, held_on = rng.choice(attended)
                result = rng.choice(
                    (TrainingResult.PASSED,) * 6 + (TrainingResult.FAILED, TrainingResult.ABSENT)
                )
                records.append(
                    {
                        **self._stamp(),
                        "program_id": program.id,
                        "session_id": session_id,
                        "employee_id": person.id,
                        "attended_on": held_on,
                        "hours": Decimal(0) if result == TrainingResult.ABSENT else program.hours,
                        "result": result.value,
                    }
                )
        self.counts["training_record"] = _bulk(c, TrainingRecord, records)

    def _seed_appraisals(self) -> None:
        c, rng = self.conn, self.rng
        year = self.today.year
        self.counts["appraisal_cycle"] = _bulk(
            c,
            AppraisalCycle,
            [
                {
                    **self._stamp(),
                    "name": f"{year - 1} 年度考核",
                    "period_start": date(year - 1, 1, 1),
                    "period_end": date(year - 1, 12, 31),
                    "status": "closed",
                },
                {
                    **self._stamp(),
                    "name": f"{year} 年度考核",
                    "period_start": date(year, 1, 1),
                    "period_end": date(year, 12, 31),
                    "status": "open",
                },
            ],
        )
        last, current = (
            c.execute(sa.select(AppraisalCycle.id).order_by(AppraisalCycle.period_start))
            .scalars()
            .all()
        )
        staff = c.execute(
            sa.select(Employee.id, Employee.hire_date, Employee.manager_id).order_by(Employee.id)
        ).all()
        cs_agents = set(self.staff_by_team[TeamCode.CUSTOMER_SERVICE.value][1:3])
        goals = "完成年度 OKR；提升客户满意度；按时完成必修培训"
        rows = []
        for person in staff:
            if person.hire_date <= date(year - 1, 12, 31):
                rating = rng.choice("ABBBC")
                final = rating if rng.random() < 0.8 else rng.choice("SABC")
                rows.append(
                    {**self._stamp(), "cycle_id": last, "employee_id": person.id,
                     "status": AppraisalStatus.CALIBRATED, "goals": goals,
                     "self_assessment": "按计划完成了主要目标。", "manager_rating": rating,
                     "manager_comment": "表现稳定。", "rated_by": "", "final_rating": final,
                     "calibration_note": "" if final == rating else "跨团队校准后调整"}
                )  # fmt: skip
            if person.manager_id is None:
                status = AppraisalStatus.OPEN
            elif person.id in cs_agents:
                status = AppraisalStatus.SELF_ASSESSED  # waiting for cs.wu's rating
            else:
                status = rng.choice(
                    (AppraisalStatus.OPEN, AppraisalStatus.SELF_ASSESSED, AppraisalStatus.RATED)
                )
            assessed = status != AppraisalStatus.OPEN
            rated = status == AppraisalStatus.RATED
            rows.append(
                {
                    **self._stamp(),
                    "cycle_id": current,
                    "employee_id": person.id,
                    "status": status,
                    "goals": goals,
                    "self_assessment": "上半年完成了主要目标，下半年重点提升专业能力。"
                    if assessed
                    else "",
                    "manager_rating": rng.choice("ABBC") if rated else None,
                    "manager_comment": "完成目标，沟通顺畅。" if rated else "",
                    "rated_by": "",
                    "final_rating": None,
                    "calibration_note": "",
                }
            )
        self.counts["appraisal"] = _bulk(c, Appraisal, rows)
        kpis = {
            TeamCode.TECHNOLOGY: ("系统可用性", "%", "99.9"),
            TeamCode.PRODUCT_DESIGN: ("新上架产品数", "个", "12"),
            TeamCode.MARKETING: ("新增注册客户", "人", "20000"),
            TeamCode.RISK_COMPLIANCE: ("KYC 按时完成率", "%", "95"),
            TeamCode.CUSTOMER_SERVICE: ("客户满意度", "分", "4.5"),
            TeamCode.SENIOR_MANAGEMENT: ("管理资产规模", "亿元", "50"),
        }
        _bulk(
            c,
            TeamKpi,
            (
                {
                    **self._stamp(),
                    "cycle_id": cycle,
                    "team_id": self.team_ids[team.value],
                    "name": name,
                    "unit": unit,
                    "target": Decimal(target),
                    "actual": (
                        Decimal(target) * Decimal(rng.choice(("0.9", "0.97", "1.02")))
                    ).quantize(Decimal("0.01"))
                    if cycle == last
                    else None,
                    "weight": 100,
                }
                for cycle in (last, current)
                for team, (name, unit, target) in kpis.items()
            ),
        )
        engineer = self.staff_by_team[TeamCode.TECHNOLOGY.value][2]
        position, grade = c.execute(
            sa.select(Employee.position, Employee.grade).where(Employee.id == engineer)
        ).one()
        _bulk(
            c,
            Promotion,
            [
                {
                    **self._stamp(),
                    "employee_id": engineer,
                    "from_position": position,
                    "to_position": "高级" + position,
                    "from_grade": grade,
                    "to_grade": "P7",
                    "effective_on": date(year + 1, 1, 1),
                    "reason": f"{year - 1} 年度考核优秀，承担核心系统开发",
                    "new_salary_cipher": fields.encrypt("42000"),
                    "status": PromotionStatus.PROPOSED,
                    "applied_at": None,
                }
            ],
        )

    def _seed_partners_products(self) -> None:
        c, rng = self.conn, self.rng
        partner_rows = []
        for i, (name, kind) in enumerate(PARTNERS):
            start = self.today - timedelta(days=rng.randrange(100, 700))
            end_in = (5, 25, 200, 400)[i % 4] if i < 8 else rng.randrange(60, 700)
            partner_rows.append(
                {
                    **self._stamp(),
                    "name": name,
                    "kind": kind.value,
                    "licence_no": f"91{rng.randrange(10**15, 10**16)}",
                    "contact_name": self.fake.name(),
                    "contact_phone": self.fake.phone_number(),
                    "contact_email": f"bd{i + 1}@partner{i + 1}.example.cn",
                    "contract_start": start,
                    "contract_end": self.today + timedelta(days=end_in),
                    "commission_rate": _pct(rng.uniform(0.2, 1.5)),
                    "status": PartnerStatus.ACTIVE if i < 10 else PartnerStatus.PROSPECT,
                    "notes": "",
                }
            )
        self.counts["partner"] = _bulk(c, Partner, partner_rows)
        partner_ids = c.execute(sa.select(Partner.id, Partner.kind)).all()
        product_rows = []
        number = 0
        statuses = [ProductStatus.ON_SALE] * 6 + [
            ProductStatus.DRAFT,
            ProductStatus.IN_REVIEW,
            ProductStatus.SUSPENDED,
            ProductStatus.CLOSED,
        ]
        for ptype, names in PRODUCT_NAMES.items():
            shape = PRODUCT_SHAPES[ptype]
            issuers = [pid for pid, kind in partner_ids if kind in ISSUERS_BY_TYPE[ptype]]
            for name in names:
                number += 1
                low, high = shape["yield"]
                y1 = rng.uniform(low, high) if high else 0.0
                term = rng.choice(shape["term"]) if shape["term"] else None
                product_rows.append(
                    {
                        **self._stamp(),
                        "code": f"P{number:05d}",
                        "name": name,
                        "product_type": ptype.value,
                        "partner_id": rng.choice(issuers),
                        "risk_level": shape["risk"][number % len(shape["risk"])],
                        "yield_min": _pct(y1),
                        "yield_max": _pct(y1 + (rng.uniform(0, 1.0) if high else 0)),
                        "term_days": term,
                        "min_purchase": Decimal(shape["min"]).quantize(Decimal("0.01")),
                        "sale_start": self.today - timedelta(days=rng.randrange(30, 400)),
                        "sale_end": self.today + timedelta(days=rng.randrange(30, 400)),
                        "subscription_fee_rate": _pct(rng.choice((0, 0.1, 0.15, 1.2))),
                        "redemption_fee_rate": _pct(rng.choice((0, 0, 0.5))),
                        "management_fee_rate": _pct(rng.choice((0.15, 0.3, 0.8, 1.2))),
                        "status": rng.choice(statuses).value,
                        "description": f"{name}：{ptype.value} 产品，详见产品说明书与风险揭示书。",
                        **_product_terms(ptype, rng),
                    }
                )
        self.counts["product"] = _bulk(c, Product, product_rows)
        self.products = c.execute(
            sa.select(Product.id, Product.risk_level, Product.min_purchase, Product.status)
        ).all()
        self._seed_disclosures()

    def _seed_disclosures(self) -> None:
        """Every product past draft has its prospectus and risk disclosure (publication
        requires both), as readable PDFs in the attachment store."""
        rows = []
        products = self.conn.execute(
            sa.select(Product.id, Product.code, Product.name, Product.risk_level).where(
                Product.status != ProductStatus.DRAFT
            )
        ).all()
        for product_id, code, name, risk in products:
            for category, title, body in DISCLOSURE_TEXTS:
                data = pdf.render(
                    [
                        pdf.Line(f"{name}（{code}）{title}", 18),
                        pdf.Line(""),
                        *(pdf.Line(line.format(name=name, risk=risk)) for line in body),
                    ],
                    title=f"{name} {title}",
                )
                rows.append(
                    {
                        **self._stamp(),
                        "resource": "product",
                        "record_id": product_id,
                        "category": category,
                        "filename": f"{code}-{title}.pdf",
                        "content_type": "application/pdf",
                        "size": len(data),
                        "sha256": attachments.store(data),
                        "uploaded_by": "pm.li",
                    }
                )
        self.counts["attachment"] = _bulk(self.conn, Attachment, rows)

    def _seed_campaigns(self) -> None:
        c, rng = self.conn, self.rng
        names = [
            "新人注册红包",
            "首投返现",
            "春季理财节",
            "基金定投季",
            "双十一理财狂欢",
            "合作银行联名推广",
            "抖音信息流投放",
            "城市理财讲座",
            "年终奖理财计划",
            "老带新奖励",
            "国庆稳健理财周",
            "养老规划沙龙",
        ]
        rows = []
        for i in range(self.size.campaigns):
            kind = list(CampaignKind)[i % len(CampaignKind)]
            start = self.today + timedelta(days=rng.randrange(-300, 40))
            end = start + timedelta(days=rng.randrange(14, 90))
            if i < 3:  # a few campaigns are always running, whatever the day
                start = self.today - timedelta(days=rng.randrange(5, 25))
                end = self.today + timedelta(days=rng.randrange(20, 60))
            status = (
                CampaignStatus.SCHEDULED
                if start > self.today
                else CampaignStatus.RUNNING
                if end >= self.today
                else CampaignStatus.ENDED
            )
            if i == 3:
                status = CampaignStatus.CANCELLED
            if i == 4:  # made by one marketer, waiting for another's approval
                status = CampaignStatus.DRAFT
                start = self.today + timedelta(days=14)
                end = start + timedelta(days=30)
            budget = Decimal(rng.randrange(5, 200) * 10_000)
            spent_ratio = {
                CampaignStatus.DRAFT: 0,
                CampaignStatus.SCHEDULED: 0,
                CampaignStatus.CANCELLED: 0.1,
                CampaignStatus.RUNNING: rng.uniform(0.2, 0.95),
            }.get(status, rng.uniform(0.6, 1.0))
            rows.append(
                {
                    **self._stamp(),
                    "name": f"{names[i % len(names)]}"
                    + (f" {i // len(names) + 1}" if i >= len(names) else ""),
                    "kind": kind.value,
                    "channel": {"co_promotion": "partner", "offline_event": "offline"}.get(
                        kind.value, "online"
                    ),
                    "target_segment": rng.choice(
                        ("新注册用户", "25-40岁白领", "存量高净值客户", "首次投资用户")
                    ),
                    "start_date": start,
                    "end_date": end,
                    "budget": budget,
                    "spent": _money(float(budget) * spent_ratio),
                    "cashback_rate": _pct(rng.choice((0.5, 1.0, 1.5)))
                    if kind == CampaignKind.CASH_BACK
                    else None,
                    "reward_cap": Decimal("200.00") if kind == CampaignKind.CASH_BACK else None,
                    "partner_id": None,
                    "status": status.value,
                    "notes": "",
                }
            )
        self.counts["campaign"] = _bulk(c, Campaign, rows)
        self.campaign_ids = list(_ids(c, Campaign, "name").values())
        self._seed_campaign_ledger()
        on_sale = [p[0] for p in self.products if p[3] == ProductStatus.ON_SALE]
        links = {(cid, pid) for cid in self.campaign_ids for pid in rng.sample(on_sale, 2)}
        self.counts["campaign_product"] = _bulk(
            c,
            CampaignProduct,
            ({"campaign_id": cid, "product_id": pid} for cid, pid in sorted(links)),
        )

    def _seed_campaign_ledger(self) -> None:
        """Spend entries, a few a week from each campaign's start, adding up to what it spent."""
        rows = []
        campaigns = self.conn.execute(
            sa.select(Campaign.id, Campaign.start_date, Campaign.end_date, Campaign.spent)
        ).all()
        for campaign_id, start, end, spent in campaigns:
            last = min(end, self.today)
            days = (last - start).days
            if spent <= 0 or days < 0:
                continue
            count = max(1, min(12, days // 3))
            weights = [self.rng.uniform(0.5, 1.5) for _ in range(count)]
            amounts = [
                (spent * Decimal(w / sum(weights))).quantize(Decimal("0.01")) for w in weights
            ]
            amounts[-1] += spent - sum(amounts)  # exact to the cent
            for n, amount in enumerate(amounts):
                day = start + timedelta(days=days * (n + 1) // count)
                when = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
                rows.append(
                    {
                        "created_at": min(when, self.now),
                        "campaign_id": campaign_id,
                        "amount": amount,
                        "note": "投放结算" if n % 2 else "奖励发放",
                        "recorded_by": "mkt.chen",
                    }
                )
        self.counts["campaign_spend"] = _bulk(self.conn, CampaignSpend, rows)

    # --- customers and their money ------------------------------------------------------------
    def _seed_customers(self) -> None:
        c, rng, fake = self.conn, self.rng, self.fake
        pool = max(200, min(3_000, self.size.customers // 20))
        names = [fake.name() for _ in range(pool)]
        addresses = [fake.address() for _ in range(pool)]
        cities = [fake.city_name() for _ in range(60)]
        span = 730 * 86400
        start = self.now - timedelta(seconds=span)

        def rows() -> Iterator[dict[str, Any]]:
            for n in range(1, self.size.customers + 1):
                name = rng.choice(names)
                female = rng.random() < 0.5
                born = date(rng.randrange(1965, 2003), rng.randrange(1, 13), rng.randrange(1, 29))
                id_number = national_id.make(rng, born, female)
                phone = f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}"
                registered = start + timedelta(seconds=int(span * (n / self.size.customers)))
                tolerance = rng.choice(RISK_TOLERANCES) if rng.random() < 0.85 else None
                yield {
                    **self._stamp(registered),
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
                    "campaign_id": rng.choice(self.campaign_ids) if rng.random() < 0.3 else None,
                    "registered_at": registered,
                    "last_active_at": registered
                    + timedelta(
                        seconds=rng.randrange(
                            0, max(1, int((self.now - registered).total_seconds()))
                        )
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

        self.counts["customer"] = _bulk(c, Customer, rows())
        self.customers = c.execute(
            sa.select(Customer.id, Customer.risk_tolerance, Customer.registered_at).order_by(
                Customer.id
            )
        ).all()

    def _seed_transactions(self) -> None:
        rng = self.rng
        sellable = [
            p
            for p in self.products
            if p[3] in (ProductStatus.ON_SALE, ProductStatus.SUSPENDED, ProductStatus.CLOSED)
        ]
        by_level: dict[int, list[Any]] = {}
        for tol_level in range(1, 6):
            by_level[tol_level] = [p for p in sellable if int(p[1][1]) <= tol_level]
        buyers = [cu for cu in self.customers if cu[1]]
        span = 365 * 86400
        start = self.now - timedelta(seconds=span)

        def rows() -> Iterator[dict[str, Any]]:
            for n in range(1, self.size.transactions + 1):
                customer_id, tolerance, _registered = rng.choice(buyers)
                product_id, _level, min_purchase, _status = rng.choice(by_level[int(tolerance[1])])
                redemption = rng.random() < 0.25
                amount = max(float(min_purchase), round(rng.lognormvariate(9.2, 1.1), -2))
                amount = min(amount, 5_000_000.0)
                yield {
                    "created_at": start,
                    "txn_no": f"T{n:011d}",
                    "customer_id": customer_id,
                    "product_id": product_id,
                    "kind": (
                        TransactionKind.REDEMPTION if redemption else TransactionKind.SUBSCRIPTION
                    ).value,
                    "amount": _money(amount),
                    "fee": _money(amount * 0.001),
                    "status": (
                        TransactionStatus.FAILED
                        if rng.random() < 0.01
                        else TransactionStatus.SETTLED
                    ).value,
                    "channel": rng.choice(("app", "app", "app", "web")),
                    "campaign_id": rng.choice(self.campaign_ids) if rng.random() < 0.1 else None,
                    "occurred_at": start + timedelta(seconds=rng.randrange(span)),
                }

        self.counts["transaction"] = _bulk(self.conn, Transaction, rows())

    # --- compliance -----------------------------------------------------------------------------
    def _seed_questionnaire(self) -> tuple[int, list[questionnaire.Question]]:
        """Version 1, in use; returns its id and its questions."""
        c = self.conn
        c.execute(
            sa.insert(RiskQuestionnaire.__table__),  # type: ignore[attr-defined]
            {
                **self._stamp(),
                "number": 1,
                "title_zh": "个人投资者风险承受能力评估问卷",
                "title_en": "Individual investor risk assessment",
                "status": QuestionnaireStatus.ACTIVE.value,
                **dict(zip(("c2_from", "c3_from", "c4_from", "c5_from"), BANDS, strict=True)),
                "activated_at": self.now - timedelta(days=400),
                "retired_at": None,
                "change_note": "首版 / first version",
            },
        )
        questionnaire_id = c.execute(sa.select(sa.func.max(RiskQuestionnaire.id))).scalar_one()
        self.counts["risk_question"] = _bulk(
            c,
            RiskQuestion,
            (
                {
                    **self._stamp(),
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
        return questionnaire_id, [
            questionnaire.Question(
                qid, n, zh, en, weight, questionnaire.parse_answers("\n".join(answers))
            )
            for n, (qid, (zh, en, weight, answers)) in enumerate(
                zip(ids, QUESTIONS, strict=True), 1
            )
        ]

    def _answers_for(
        self, questions: list[questionnaire.Question], tolerance: str
    ) -> tuple[str, int]:
        """Answers whose total falls in the tolerance's band: (JSON, total)."""
        index = RISK_TOLERANCES.index(tolerance)
        bounds = (0, *BANDS, questionnaire.max_score(questions) + 1)
        remaining = self.rng.randrange(bounds[index], bounds[index + 1])
        chosen: dict[int, int] = {}
        for question in sorted(questions, key=lambda q: (-q.weight, self.rng.random())):
            points = [a.points for a in question.answers]
            most = max(p for p in points if question.weight * p <= remaining)
            chosen[question.id] = self.rng.choice([i for i, p in enumerate(points) if p == most])
            remaining -= question.weight * most
        answers = json.dumps(
            {str(k): v for k, v in chosen.items()}, sort_keys=True, separators=(",", ":")
        )
        return answers, questionnaire.score(questions, chosen)

    def _seed_kyc(self) -> None:
        c, rng = self.conn, self.rng
        questionnaire_id, questions = self._seed_questionnaire()
        open_states = [
            KycCaseStatus.NEW,
            KycCaseStatus.NEW,
            KycCaseStatus.IN_REVIEW,
            KycCaseStatus.WAITING_CUSTOMER,
            KycCaseStatus.ESCALATED,
        ]

        def rows() -> Iterator[dict[str, Any]]:
            for n, (customer_id, tolerance, registered) in enumerate(self.customers, 1):
                if tolerance:
                    status = KycCaseStatus.APPROVED
                else:
                    status = rng.choice([*open_states, KycCaseStatus.REJECTED])
                recent = rng.random() < 0.5
                opened = (
                    (self.now - timedelta(hours=rng.randrange(1, 24 * 6)))
                    if (status != KycCaseStatus.APPROVED and recent)
                    else registered
                )
                scored = status != KycCaseStatus.NEW
                assessed = tolerance or rng.choice(RISK_TOLERANCES)
                answers, score = self._answers_for(questions, assessed) if scored else ("", None)
                draw = rng.random()
                aml = AmlRisk.HIGH if draw > 0.9 else AmlRisk.MEDIUM if draw > 0.65 else AmlRisk.LOW
                yield {
                    **self._stamp(opened),
                    "case_no": f"K{n:09d}",
                    "customer_id": customer_id,
                    "status": status.value,
                    "questionnaire_score": score,
                    "risk_tolerance": assessed if scored else None,
                    "questionnaire_id": questionnaire_id if scored else None,
                    "answers": answers,
                    "kind": KycCaseKind.ONBOARDING.value,
                    "aml_risk": aml,
                    "high_risk": aml == AmlRisk.HIGH,
                    "assignee": rng.choice(OFFICERS)
                    if status
                    in (
                        KycCaseStatus.IN_REVIEW,
                        KycCaseStatus.ESCALATED,
                        KycCaseStatus.WAITING_CUSTOMER,
                        KycCaseStatus.APPROVED,
                    )
                    else "",
                    "opened_at": opened,
                    "due_at": opened + timedelta(days=3),
                    "escalated_at": opened + timedelta(days=3)
                    if status == KycCaseStatus.ESCALATED
                    else None,
                    "requested_items": "身份证反面照片；职业证明"
                    if status == KycCaseStatus.WAITING_CUSTOMER
                    else "",
                    "decided_at": opened + timedelta(hours=rng.randrange(2, 70))
                    if status in (KycCaseStatus.APPROVED, KycCaseStatus.REJECTED)
                    else None,
                    "decision_note": "",
                }

        self.counts["kyc_case"] = _bulk(c, KycCase, rows())
        fake = self.fake
        kinds = [k.value for k in WatchlistKind]
        self.counts["watchlist_entry"] = _bulk(
            c,
            WatchlistEntry,
            (
                {
                    **self._stamp(),
                    "list_kind": kinds[i % len(kinds)],
                    "name": fake.name(),
                    "name_pinyin": "",  # filled below with the screening's own spelling
                    "birth_date": f"{rng.randrange(1950, 2000)}-0{rng.randrange(1, 9)}"
                    f"-1{rng.randrange(0, 9)}",
                    "id_number_hash": "",
                    "source": rng.choice(("联合国安理会制裁名单", "公安部通报", "内部风控")),
                    "reason": "演示数据",
                }
                for i in range(self.size.watchlist)
            ),
        )
        self._seed_screening()
        self.counts["risk_indicator"] = _bulk(
            c,
            RiskIndicator,
            (
                {
                    **self._stamp(),
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
                    "measured_at": self.now,
                    "opens_task": True,
                }
                for code, zh, en, cat, unit, warn, breach, value in RISK_INDICATORS
            ),
        )

    def _seed_screening(self) -> None:
        """Watch-list look-alikes of a few customers with open cases (one with the same date of
        birth, one without), then screening of open cases as the app would have done; approved
        customers get their next periodic review date."""
        c = self.conn
        open_cases = c.execute(
            sa.select(KycCase.id, KycCase.customer_id)
            .where(KycCase.status.in_([s.value for s in OPEN_CASE_STATES]))
            .order_by(KycCase.id)
            .limit(2_000)
        ).all()
        chosen = [open_cases[i] for i in range(0, min(len(open_cases), 40), 8)]
        look_alikes = []
        for n, (_case_id, customer_id) in enumerate(chosen):
            customer = c.execute(
                sa.select(Customer.name_cipher, Customer.birth_date).where(
                    Customer.id == customer_id
                )
            ).one()
            look_alikes.append(
                {
                    **self._stamp(),
                    "list_kind": (WatchlistKind.PEP, WatchlistKind.INTERNAL_BLACKLIST)[n % 2],
                    "name": fields.decrypt(customer.name_cipher),
                    "name_pinyin": "",
                    "birth_date": customer.birth_date.isoformat() if n % 2 == 0 else "",
                    "id_number_hash": "",
                    "source": "演示：与客户同名",
                    "reason": "演示数据：用于名单筛查命中",
                }
            )
        self.counts["watchlist_entry"] += _bulk(c, WatchlistEntry, look_alikes)
        for entry_id, name in c.execute(sa.select(WatchlistEntry.id, WatchlistEntry.name)).all():
            c.execute(
                sa.update(WatchlistEntry)
                .where(WatchlistEntry.id == entry_id)
                .values(name_pinyin=screening.pinyin_of(name))
            )
        candidates = screening.load_lists(c)
        hits = []
        for case_id, customer_id in open_cases:
            customer = c.execute(
                sa.select(Customer.name_cipher, Customer.birth_date, Customer.id_number_hash).where(
                    Customer.id == customer_id
                )
            ).one()
            for match in screening.compare(
                fields.decrypt(customer.name_cipher),
                customer.birth_date,
                customer.id_number_hash,
                candidates,
            ):
                hits.append(
                    {
                        **self._stamp(),
                        "customer_id": customer_id,
                        "entry_id": match.entry_id,
                        "case_id": case_id,
                        "score": match.score,
                        "matched_on": ",".join(match.matched_on),
                        "status": HitStatus.OPEN.value,
                        "reason": "",
                        "decided_by": "",
                        "decided_at": None,
                    }
                )
        unique = {(h["customer_id"], h["entry_id"]): h for h in hits}
        self.counts["screening_hit"] = _bulk(c, ScreeningHit, unique.values())
        approved = c.execute(
            sa.select(KycCase.customer_id, KycCase.aml_risk, KycCase.decided_at).where(
                KycCase.status == KycCaseStatus.APPROVED.value, KycCase.decided_at.is_not(None)
            )
        ).all()
        years = {"high": 1, "medium": 2, "low": 3}
        if approved:
            c.execute(
                sa.update(Customer)
                .where(Customer.id == sa.bindparam("cid"))
                .values(kyc_review_due=sa.bindparam("due")),
                [
                    {
                        "cid": customer_id,
                        "due": (decided + timedelta(days=365 * years.get(risk, 3))).date(),
                    }
                    for customer_id, risk, decided in approved
                ],
            )

    # --- customer service ------------------------------------------------------------------------
    def _seed_tickets(self) -> None:
        c, rng = self.conn, self.rng
        team_id = self.team_ids[TeamCode.CUSTOMER_SERVICE.value]
        self._link_agents(team_id)
        self._seed_desk(team_id)
        with Session(bind=c) as session:  # the desk's rules, read as the service reads them
            calendar = desk.calendar_of(session)
            policies = {p.priority: p for p in session.exec(select(SlaPolicy)).all()}
        categories = list(TicketCategory)
        span = 180 * 86400
        start = self.now - timedelta(seconds=span)

        def later(start: datetime, priority: str, minutes: int) -> datetime:
            return desk.due_after(policies[priority], calendar, start, minutes)

        def rows() -> Iterator[dict[str, Any]]:
            for n in range(1, self.size.tickets + 1):
                created = start + timedelta(seconds=int(span * n / self.size.tickets))
                age_days = (self.now - created).days
                category = rng.choice(categories)
                priority = rng.choice(("low", "normal", "normal", "normal", "high", "urgent"))
                if age_days > 14:
                    status = rng.choice(
                        (TicketStatus.CLOSED, TicketStatus.CLOSED, TicketStatus.RESOLVED)
                    )
                else:
                    status = rng.choice(list(TicketStatus))
                assigned = status != TicketStatus.NEW
                responded = status not in (TicketStatus.NEW, TicketStatus.ASSIGNED)
                done = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
                policy = policies[priority]
                first, total = policy.first_response_minutes, policy.resolution_minutes
                due = desk.targets_of(policy, calendar, created)
                # most tickets meet their targets, some miss them (the reports show both)
                first_response = later(created, priority, rng.randrange(3, int(first * 1.2)))
                resolved = later(first_response, priority, rng.randrange(20, int(total * 1.1)))
                if responded and first_response > self.now:
                    first_response = self.now - timedelta(minutes=1)
                if done and resolved > self.now:
                    resolved = self.now - timedelta(minutes=1)
                closed = resolved + timedelta(days=3) if status == TicketStatus.CLOSED else None
                yield {
                    **self._stamp(created),
                    "ticket_no": desk.ticket_number(n),
                    "customer_id": rng.choice(self.customers)[0],
                    "channel": rng.choice(list(TicketChannel)).value,
                    "category": category.value,
                    "priority": priority,
                    "subject": rng.choice(TICKET_SUBJECTS[category]),
                    "description": "您好，我遇到了问题，请尽快帮我处理，谢谢。",
                    "status": status.value,
                    "team_id": team_id,
                    "assignee": rng.choice(AGENTS) if assigned else "",
                    "first_response_due": due["first_response_due"],
                    "resolution_due": due["resolution_due"],
                    "first_responded_at": first_response if responded else None,
                    "waiting_since": self.now - timedelta(hours=rng.randrange(1, 30))
                    if status == TicketStatus.WAITING_CUSTOMER
                    else None,
                    "resolved_at": resolved if done else None,
                    "closed_at": min(closed, self.now) if closed else None,
                    "reopened_count": 0,
                    "resolution_note": "已为客户处理完毕并电话确认。" if done else "",
                    "satisfaction": rng.choice((3, 4, 4, 5, 5, 5, 2, 1))
                    if done and rng.random() < 0.6
                    else None,
                    "satisfaction_comment": "",
                }

        self.counts["ticket"] = _bulk(c, Ticket, rows())
        self._seed_breaches()
        if self.size.tickets > 20_000:
            return  # conversations are only needed where people read them
        tickets = c.execute(
            sa.select(Ticket.id, Ticket.status, Ticket.assignee, Ticket.created_at)
        ).all()

        def messages() -> Iterator[dict[str, Any]]:
            for ticket_id, status, assignee, created in tickets:
                yield {
                    "created_at": created,
                    "ticket_id": ticket_id,
                    "kind": "customer",
                    "author": assignee or AGENTS[0],
                    "body": "您好，我遇到了问题，请尽快帮我处理，谢谢。",
                }
                if status not in (TicketStatus.NEW, TicketStatus.ASSIGNED):
                    yield {
                        "created_at": created + timedelta(minutes=3),
                        "ticket_id": ticket_id,
                        "kind": "note",
                        "author": assignee,
                        "body": "已核实客户身份，查询交易记录中。",
                    }
                    yield {
                        "created_at": created + timedelta(minutes=4),
                        "ticket_id": ticket_id,
                        "kind": "reply",
                        "author": assignee,
                        "body": "您好，您的问题已收到，我们正在处理，稍后回复您。",
                    }

        self.counts["ticket_message"] = _bulk(c, TicketMessage, messages())

    def _link_agents(self, team_id: int) -> None:
        """The demo agents' staff accounts belong to customer-service employees (the team an
        assignment rule hands tickets to), who carry their names."""
        members = self.staff_by_team[TeamCode.CUSTOMER_SERVICE.value]
        names = {username: name for username, name, _roles in DEMO_USERS}
        for username, employee_id in zip(("cs.wu", *AGENTS), members, strict=False):
            self.conn.execute(
                sa.update(User.__table__)
                .where(User.__table__.c.username == username)
                .values(employee_id=employee_id)
            )
            self.conn.execute(
                sa.update(Employee.__table__)
                .where(Employee.__table__.c.id == employee_id)
                .values(name=names[username].split("（")[0])
            )

    def _seed_desk(self, team_id: int) -> None:
        c = self.conn
        _bulk(c, TicketSettings, [{**self._stamp(), "workday_start": "09:00",
              "workday_end": "18:00", "workdays": "1,2,3,4,5", "reopen_days": 7,
              "auto_close_days": 3}])  # fmt: skip
        self.counts["business_holiday"] = _bulk(
            c,
            BusinessHoliday,
            (
                {**self._stamp(), "day": date.fromisoformat(day), "name": name, "kind": kind}
                for day, name, kind in HOLIDAYS
            ),
        )
        self.counts["sla_policy"] = _bulk(
            c,
            SlaPolicy,
            (
                {
                    **self._stamp(),
                    "priority": priority,
                    "first_response_minutes": first,
                    "resolution_minutes": total,
                    "business_hours": business,
                }
                for priority, first, total, business in SLA_POLICIES
            ),
        )
        self.counts["assignment_rule"] = _bulk(
            c,
            AssignmentRule,
            (
                {**self._stamp(), "category": category, "team_id": team_id, "method": method,
                 "last_assignee": ""}
                for category, method in ASSIGNMENT
            ),
        )  # fmt: skip
        self.counts["canned_reply"] = _bulk(
            c,
            CannedReply,
            (
                {**self._stamp(), "title": title, "category": category, "body": body}
                for title, category, body in CANNED_REPLIES
            ),
        )

    def _seed_breaches(self) -> None:
        """Targets the demo history missed, recorded as the escalation job would have."""
        c = self.conn
        table = Ticket.__table__
        open_states = [s.value for s in (TicketStatus.NEW, TicketStatus.ASSIGNED,
                                         TicketStatus.IN_PROGRESS)]  # fmt: skip
        rows = []
        for target, due, done in (
            ("first_response", table.c.first_response_due, table.c.first_responded_at),
            ("resolution", table.c.resolution_due, table.c.resolved_at),
        ):
            missed = sa.or_(
                sa.and_(done.is_not(None), done > due),
                sa.and_(done.is_(None), due < self.now, table.c.status.in_(open_states)),
            )
            found = c.execute(
                sa.select(table.c.id, due, table.c.priority, table.c.assignee).where(missed)
            ).all()
            for ticket_id, due_at, priority, assignee in found:
                at = min(self.now, due_at + timedelta(minutes=15))
                rows.append(
                    {
                        "created_at": at,
                        "ticket_id": ticket_id,
                        "target": target,
                        "due_at": due_at,
                        "breached_at": at,
                        "priority_before": priority,
                        "priority_after": priority,
                        "assignee": assignee,
                    }
                )
            c.execute(
                sa.update(table)
                .where(missed)
                .values({f"{target}_breached_at": sa.func.coalesce(due, self.now)})
            )
        self.counts["ticket_sla_breach"] = _bulk(c, TicketSlaBreach, rows)

    # --- project ---------------------------------------------------------------------------------
    def _seed_projects(self) -> None:
        """The platform project: all five phases, finish-to-start links, done, overdue and at
        risk milestones, baseline against forecast and actual, the pushes logged, risks over
        the heat map, indicators and evaluations per phase, tasks and a change of scope."""
        c, rng = self.conn, self.rng
        kickoff = self.today - timedelta(days=170)
        tech = self.staff_by_team[TeamCode.TECHNOLOGY.value]
        pmo_employee = tech[1]  # pmo.xu (see _link_staff)

        def day(offset: int) -> date:
            return kickoff + timedelta(days=offset)

        self.counts["project"] = _bulk(
            c,
            Project,
            [
                {
                    **self._stamp(),
                    "code": "PLATFORM-1",
                    "name": "互联网理财平台一期建设",
                    "owner_id": self.staff_by_team[TeamCode.SENIOR_MANAGEMENT.value][1],
                    "start_date": kickoff,
                    "end_date": day(280),
                    "status": "active",
                    "description": (
                        "按平台规划第十章：项目启动、系统开发、系统测试、上线运行、后期维护。"
                    ),
                }
            ],
        )
        project_id = _ids(c, Project, "code")["PLATFORM-1"]
        ids: list[int] = []
        finishes: list[date] = []
        pushes: list[tuple[int, int, date, date, date, date]] = []  # who, cause, old/new dates
        for i, (phase, name, start, end, dep, a_start, a_end, progress) in enumerate(MILESTONES):
            planned_start, planned_end = day(start), day(end)
            forecast_start = planned_start
            if dep is not None:
                forecast_start = max(planned_start, finishes[dep] + timedelta(days=1))
            forecast_end = forecast_start + (planned_end - planned_start)
            if a_end is not None:
                status = MilestoneStatus.DONE
            elif a_start is not None:
                status = MilestoneStatus.IN_PROGRESS
            else:
                status = MilestoneStatus.NOT_STARTED
            result = c.execute(
                sa.insert(Milestone.__table__).values(
                    **self._stamp(),
                    project_id=project_id,
                    phase=phase.value,
                    name=name,
                    owner_id=pmo_employee if i == OVERDUE_MILESTONE else rng.choice(tech),
                    planned_start=planned_start,
                    planned_end=planned_end,
                    forecast_start=forecast_start,
                    forecast_end=forecast_end,
                    actual_start=day(a_start) if a_start is not None else None,
                    actual_end=day(a_end) if a_end is not None else None,
                    progress=progress,
                    status=status.value,
                    depends_on_id=ids[dep] if dep is not None else None,
                )
            )
            ids.append(result.inserted_primary_key[0])
            finishes.append(day(a_end) if a_end is not None else forecast_end)
            if forecast_start != planned_start and dep is not None:
                pushes.append((i, dep, planned_start, forecast_start, planned_end, forecast_end))
        self.counts["milestone"] = len(MILESTONES)
        adjustments = []
        for i, dep, old_start, new_start, old_end, new_end in pushes:
            reason = f"前置里程碑「{MILESTONES[dep][1]}」延期完成，按完成-开始依赖顺延"
            for name, old, new in (
                ("forecast_start", old_start, new_start),
                ("forecast_end", old_end, new_end),
            ):
                adjustments.append(
                    {
                        **self._stamp(),
                        "project_id": project_id,
                        "milestone_id": ids[i],
                        "kind": AdjustmentKind.DATES.value,
                        "field": name,
                        "old_value": old.isoformat(),
                        "new_value": new.isoformat(),
                        "reason": reason,
                        "made_by": "pmo.xu",
                        "cause_id": ids[dep],
                    }
                )
        adjustments.append(
            {
                **self._stamp(),
                "project_id": project_id,
                "milestone_id": ids[3],
                "kind": AdjustmentKind.SCOPE.value,
                "field": "scope",
                "old_value": "",
                "new_value": "基金定投",
                "reason": "业务部门要求一期增加基金定投功能，经项目指导委员会同意纳入范围",
                "made_by": "pmo.xu",
                "cause_id": None,
            }
        )
        self.counts["plan_adjustment"] = _bulk(c, PlanAdjustment, adjustments)
        self.counts["project_task"] = _bulk(
            c,
            ProjectTask,
            (
                {
                    **self._stamp(),
                    "milestone_id": ids[m],
                    "name": name,
                    "owner_id": rng.choice(tech),
                    "planned_start": day(start),
                    "planned_end": day(end),
                    "actual_start": day(start) if done is not None else None,
                    "actual_end": day(done) if done else None,
                    "progress": progress,
                    "status": (
                        MilestoneStatus.DONE
                        if done
                        else MilestoneStatus.IN_PROGRESS
                        if done is not None
                        else MilestoneStatus.NOT_STARTED
                    ).value,
                    "depends_on_id": None,
                }
                for m, name, start, end, done, progress in (
                    (7, "渗透测试", 146, 155, 156, 100),
                    (7, "等保差距分析与整改", 150, 165, 0, 40),
                    (7, "测评机构现场测评", 160, 165, None, 0),
                    (8, "验收用例编写", 159, 165, 165, 100),
                    (8, "业务部门验收执行", 166, 180, 0, 15),
                )
            ),
        )
        self.counts["project_risk"] = _bulk(
            c,
            ProjectRisk,
            (
                {
                    **self._stamp(),
                    "project_id": project_id,
                    "title": title,
                    "probability": p,
                    "impact": i,
                    "strategy": strategy.value,
                    "response": response,
                    "owner_id": rng.choice(tech),
                    "status": status.value,
                    "review_date": self.today + timedelta(days=rng.randrange(5, 40)),
                    "milestone_id": ids[m] if m is not None else None,
                }
                for title, p, i, strategy, status, m, response in PROJECT_RISKS
            ),
        )
        self.counts["project_indicator"] = _bulk(
            c,
            ProjectIndicator,
            (
                {
                    **self._stamp(),
                    "project_id": project_id,
                    "phase": phase.value,
                    "kind": kind.value,
                    "name": name,
                    "target": Decimal(target) if target else None,
                    "actual": Decimal(actual) if actual else None,
                    "unit": unit,
                    "recorded_on": day(offset),
                    "assessment": assessment.value,
                    "evaluator_id": pmo_employee,
                    "comment": "",
                }
                for phase, kind, name, target, actual, unit, offset, assessment in (
                    PROJECT_INDICATORS
                )
            ),
        )


DEMO_PASSWORD = "Licai-Demo-2026"  # noqa: S105  (demo accounts only)
DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("admin", "王强（系统管理员）", ["admin"]),
    ("pm.li", "李娜", ["product_manager"]),
    ("pm.zhao", "赵磊", ["product_manager"]),
    ("mkt.chen", "陈静", ["marketing"]),
    ("mkt.lin", "林晓", ["marketing"]),
    ("kyc.liu", "刘洋", ["compliance"]),
    ("kyc.sun", "孙悦", ["compliance"]),
    ("cs.zhou", "周婷", ["cs_agent"]),
    ("cs.he", "何静", ["cs_agent"]),
    ("cs.wu", "吴昊", ["cs_lead"]),
    ("hr.zheng", "郑敏", ["hr"]),
    ("hr.qian", "钱芳", ["hr"]),
    ("ceo.huang", "黄伟", ["executive"]),
    ("pmo.xu", "徐涛", ["pmo"]),
    ("pmo.gao", "高翔", ["pmo"]),
]
# Maker ≠ checker: every approval the demo shows has a second person. The records waiting for
# one were made by the first (their audit trail says so, see record_demo_makers).
DEMO_MAKERS = {"product": "pm.li", "campaign": "mkt.chen", "promotion": "hr.zheng"}


def seed_demo_users() -> int:
    """The roles with their default matrix, and one demo account per role (first time only)."""
    created = 0
    with session_scope(write=True) as session:
        users.ensure_roles(session)
        if session.exec(select(User.id)).first() is not None:
            return 0
        for username, name, roles in DEMO_USERS:
            _user, problems = users.create_user(
                session,
                actor=None,
                username=username,
                display_name=name,
                password=DEMO_PASSWORD,
                roles=roles,
                email=f"{username}@wealth.example.cn",
            )
            if problems:
                raise RuntimeError(f"demo user {username}: {problems}")
            created += 1
    return created


# (name, metric, condition, threshold, days, owning role): the demo's first two fire at once
DEMO_ALERT_RULES = (
    ("近 7 天工单量过高", "tickets_opened", AlertCondition.ABOVE, "50", 7, "cs_lead"),
    ("KYC 积压超过 20 件", "kyc_backlog", AlertCondition.ABOVE, "20", 1, "compliance"),
    (
        "周申购额环比下降超过 30%",
        "subscriptions",
        AlertCondition.FALLS_BY,
        "30",
        7,
        "product_manager",
    ),
    ("首次响应达标率低于 60%", "sla_compliance", AlertCondition.BELOW, "60", 30, "cs_lead"),
)


def record_demo_makers(session: Any) -> None:
    """The audit trail of the demo records still in preparation or waiting for approval
    (bulk-inserted, so without one): who made and submitted them, which the maker ≠ checker
    rule reads, so the second demo account of the role is the one who may approve."""
    waiting = (
        ("product", Product, (ProductStatus.DRAFT, ProductStatus.IN_REVIEW)),
        ("campaign", Campaign, (CampaignStatus.DRAFT,)),
        ("promotion", Promotion, (PromotionStatus.PROPOSED,)),
    )
    for key, model, states in waiting:
        maker = DEMO_MAKERS[key]
        rows = session.execute(
            sa.select(model.id, model.status).where(model.status.in_(states)).order_by(model.id)
        ).all()
        for record_id, status in rows:
            audit.record(
                session,
                actor=maker,
                action=f"{key}.create",
                entity=key,
                entity_id=record_id,
                changes={"status": [None, states[0]]},
            )
            if status == ProductStatus.IN_REVIEW:
                audit.record(
                    session,
                    actor=maker,
                    action=f"{key}.transition.submit",
                    entity=key,
                    entity_id=record_id,
                    changes={"status": [ProductStatus.DRAFT, ProductStatus.IN_REVIEW]},
                )


def seed_kpi(session: Any) -> None:
    """Alert rules, then what the KPI jobs would have done: a year of daily snapshots, the
    rules evaluated, last week's report written."""
    for name, metric_key, condition, threshold, days, role in DEMO_ALERT_RULES:
        session.add(
            KpiAlertRule(
                name=name,
                metric=metric_key,
                condition=condition,
                threshold=Decimal(threshold),
                period_days=days,
                owner_role=role,
            )
        )
    session.flush()
    kpi.take_snapshots(session)
    kpi.evaluate_alerts(session)
    kpi.weekly_report(session)


def _demo_principal(session: Any, username: str, role: str) -> rbac.Principal:
    """A demo user acting through the engine, with their role's default rights."""
    user = session.exec(select(User).where(User.username == username)).one()
    return rbac.Principal(
        user_id=user.id,
        username=username,
        display_name=user.display_name,
        session_id=0,
        roles=frozenset({role}),
        permissions=frozenset(
            (resource, action)
            for resource, actions in rbac.DEFAULT_GRANTS[role].items()
            for action in actions
        ),
    )


def seed_suitability(session: Any) -> None:
    """Two examples made through the rules: an override the customer-service lead requested
    for a subscription refused as unsuitable (awaiting compliance), and the holdings that became
    unsuitable when a product was re-rated one level higher, queued by the review job."""
    from backoffice.domains.suitability.resources import OVERRIDE
    from backoffice.engine import service

    today = local_today()
    customers = session.exec(
        select(Customer)
        .where(Customer.kyc_status == KycStatus.APPROVED, Customer.risk_tolerance == "C2")
        .order_by(Customer.id)
        .limit(20)
    ).all()
    products = session.exec(
        select(Product)
        .where(Product.status == ProductStatus.ON_SALE, Product.risk_level.in_(("R4", "R5")))
        .order_by(Product.id)
    ).all()
    pair = next(
        (
            (customer, product)
            for customer in customers
            for product in products
            if (
                refusal := suitability.holding_refusal(
                    session,
                    customer,
                    product,
                    TransactionKind.SUBSCRIPTION,
                    max(product.min_purchase, Decimal("50000.00")),
                    today,
                )
            )
            and refusal.overridable
        ),
        None,
    )
    if pair is not None:
        customer, product = pair
        service.create(
            session,
            principal=_demo_principal(session, "cs.wu", "cs_lead"),
            resource=OVERRIDE,
            values={
                "customer_id": customer.id,
                "product_id": product.id,
                "amount": max(product.min_purchase, Decimal("50000.00")),
                "reason": "客户来电坚持申购，已告知产品风险高于其评估等级并录音确认，"
                "申购金额占其可投资资产比例较小。",
            },
        )
    # the product re-rated R3 → R4 with the fewest C3 holders (a few review items, not hundreds)
    holders = sa.func.count(sa.distinct(Transaction.customer_id))
    rerated = session.execute(
        sa.select(Transaction.product_id)
        .join(Customer, Customer.id == Transaction.customer_id)
        .join(Product, Product.id == Transaction.product_id)
        .where(
            Transaction.kind == TransactionKind.SUBSCRIPTION,
            Transaction.status == TransactionStatus.SETTLED,
            Customer.risk_tolerance == "C3",
            Product.risk_level == "R3",
        )
        .group_by(Transaction.product_id)
        .order_by(holders, Transaction.product_id)
        .limit(1)
    ).scalar()
    if rerated is not None:
        product = session.get(Product, rerated)
        product.risk_level = "R4"
        product.version += 1
        session.add(product)
        audit.record(
            session,
            actor="pm.li",
            action="product.edit",
            entity="product",
            entity_id=product.id,
            changes={"risk_level": ["R3", "R4"]},
        )
        session.flush()
    suitability.queue_unsuitable_holdings(session)


def seed(engine: Engine, size: str = "small", progress: Callable[[str], None] = print) -> dict:
    """Load the demo data once; returns the row counts, or an empty dict when already there."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}")
    seed_demo_users()
    if is_seeded(engine):
        return {}
    with engine.begin() as conn:
        counts = DemoData(conn, SIZES[size]).run(progress)
    refresh_statistics(engine)
    with session_scope(write=True) as session:
        evaluate_risk_indicators(session)  # levels and alerts as the job would find them
    with session_scope(write=True) as session:
        record_demo_makers(session)
    with session_scope(write=True) as session:
        seed_suitability(session)
    with session_scope(write=True) as session:
        seed_kpi(session)
        audit.record(
            session,
            actor="system",
            action="seed.load",
            entity="demo_data",
            changes={"size": [None, size], "rows": [None, sum(counts.values())]},
        )
    return counts
