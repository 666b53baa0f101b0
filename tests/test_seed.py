"""Demo data: every module gets realistic rows, once; money is exact, personal data encrypted."""

from datetime import UTC
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select

from backoffice import seed
from backoffice.domains.campaigns import codes
from backoffice.domains.customers import national_id
from backoffice.domains.products.resources import PRODUCT, check_product
from backoffice.platform import attachments, audit, documents
from backoffice.security import fields
from models.attachments import Attachment
from models.campaigns import Campaign
from models.customers import Customer
from models.hr import Candidate, CandidateStage, Employee, EmployeeStatus, Team, TeamCode
from models.kyc import KycCase
from models.products import RISK_LEVELS, Product, ProductType
from models.transactions import Transaction
from tests.factories import TINY_DEMO, seed_tiny_demo


def test_seed_fills_every_module_once(clean_db, session, monkeypatch):
    counts = seed_tiny_demo(clean_db, monkeypatch)
    for table in (
        "team",
        "employee",
        "partner",
        "product",
        "campaign",
        "customer",
        "transaction",
        "kyc_case",
        "ticket",
        "ticket_message",
        "milestone",
        "project_risk",
        "watchlist_entry",
        "risk_indicator",
        "candidate",
        "training_record",
        "appraisal",
        "headcount_plan",
    ):
        assert counts.get(table, 0) > 0, table
    assert counts["customer"] == 300 and counts["transaction"] == 2_000
    assert seed_tiny_demo(clean_db, monkeypatch) == {}, "a second seed must change nothing"
    assert session.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one() == 300
    assert audit.verify_chain(session).ok


def test_each_domains_demo_comes_after_the_ones_it_needs():
    modules = seed.demo_modules()
    order = [m.__name__.split(".")[-2] for m in modules]
    assert "admin" in order and "hr" in order
    for position, module in enumerate(modules):
        assert set(getattr(module, "NEEDS", ())) <= set(order[:position]), order[position]


def test_seed_covers_the_domain(clean_db, session, monkeypatch):
    seed_tiny_demo(clean_db, monkeypatch)
    teams = set(session.exec(select(Team.code)).all())
    assert teams == {t.value for t in TeamCode}
    staff = session.execute(
        sa.select(sa.func.count()).where(Employee.status != EmployeeStatus.LEFT)
    ).scalar_one()
    assert 20 <= staff <= 30, "the launch plan is 20-30 people"
    # hires made through the board point at their employee records; leavers have a date
    hired = session.exec(select(Candidate).where(Candidate.stage == CandidateStage.HIRED)).all()
    assert hired and all(c.employee_id and c.hired_on and c.start_on for c in hired)
    offers = session.exec(select(Candidate).where(Candidate.stage == CandidateStage.OFFER)).all()
    assert all(c.offer_salary_cipher and c.start_on for c in offers)
    left = session.exec(select(Employee).where(Employee.status == EmployeeStatus.LEFT)).all()
    assert left and all(e.left_on for e in left)
    products = session.exec(select(Product)).all()
    assert {p.product_type for p in products} == {t.value for t in ProductType}
    assert {p.risk_level for p in products} == set(RISK_LEVELS)
    assert all(isinstance(p.min_purchase, Decimal) for p in products)
    for product in products:  # the seeded records pass the rules a manager's form would
        values = {f.name: getattr(product, f.name) for f in PRODUCT.fields}
        assert all(spec.applies(values) or values[spec.name] is None for spec in PRODUCT.fields)
        assert check_product(values) == {}, product.code
    campaign_codes = session.exec(select(Campaign.code)).all()  # as marketing would type them
    assert campaign_codes and all(codes.format_problem(c) is None for c in campaign_codes)


def test_products_past_draft_carry_readable_disclosures(clean_db, session, monkeypatch):
    seed_tiny_demo(clean_db, monkeypatch)
    live = session.exec(select(Product).where(Product.status != "draft")).all()
    assert live
    for product in live:
        assert attachments.current_categories(session, PRODUCT, product.id) == {
            "prospectus",
            "risk_disclosure",
        }
    first = session.exec(
        select(Attachment).where(Attachment.record_id == live[0].id).order_by(Attachment.id)
    ).first()
    shown = documents.preview(
        attachments.FileContent(
            first.filename, first.content_type, attachments._path(first.sha256).read_bytes()
        )
    )
    assert shown.pages >= 1


def test_money_is_exact_and_times_are_utc(clean_db, session, monkeypatch):
    seed_tiny_demo(clean_db, monkeypatch)
    txn = session.exec(select(Transaction).limit(1)).one()
    assert isinstance(txn.amount, Decimal) and txn.amount == txn.amount.quantize(Decimal("0.01"))
    assert txn.occurred_at.tzinfo is UTC
    total = session.execute(sa.select(sa.func.sum(Transaction.amount))).scalar_one()
    exact = sum(session.exec(select(Transaction.amount)).all(), Decimal("0"))
    assert Decimal(str(total)).quantize(Decimal("0.01")) == exact


def test_personal_data_is_encrypted_and_valid(clean_db, session, monkeypatch):
    seed_tiny_demo(clean_db, monkeypatch)
    customer = session.exec(select(Customer).limit(1)).one()
    id_number = fields.decrypt(customer.id_number_cipher)
    assert national_id.is_valid(id_number)
    assert id_number not in customer.id_number_cipher
    assert customer.id_number_hash == fields.blind_index(id_number, "customer.id_number")
    name = fields.decrypt(customer.name_cipher)
    assert customer.name_masked == fields.mask_name(name)
    assert national_id.birth_date_of(id_number) == customer.birth_date
    row = session.execute(sa.text("SELECT * FROM customer LIMIT 1")).mappings().one()
    assert all(id_number not in str(v) for v in row.values()), "clear ID number stored"


def test_salaries_are_encrypted(clean_db, session, monkeypatch):
    seed_tiny_demo(clean_db, monkeypatch)
    employee = session.exec(select(Employee).limit(1)).one()
    salary = Decimal(fields.decrypt(employee.salary_cipher))
    assert salary > 0 and str(salary) not in employee.salary_cipher


def test_open_kyc_cases_exist_for_the_queues(clean_db, session, monkeypatch):
    seed_tiny_demo(clean_db, monkeypatch)
    statuses = set(session.exec(select(KycCase.status)).all())
    assert {"new", "approved"} <= statuses


def test_scored_cases_agree_with_the_questionnaire_in_use(clean_db, session, monkeypatch):
    import json

    from backoffice.domains.questionnaire import rules as questionnaire

    seed_tiny_demo(clean_db, monkeypatch)
    version = questionnaire.active(session)
    questions = questionnaire.questions_of(session, version.id)
    assert len(questions) == 10 and questionnaire.max_score(questions) >= version.c5_from
    scored = session.exec(select(KycCase).where(KycCase.questionnaire_id.is_not(None))).all()
    assert scored
    for case in scored:
        chosen = {int(k): v for k, v in json.loads(case.answers).items()}
        total = questionnaire.score(questions, chosen)
        assert (total, questionnaire.band(version, total)) == (
            case.questionnaire_score,
            case.risk_tolerance,
        )
        if case.status == "approved":
            assert session.get(Customer, case.customer_id).risk_tolerance == case.risk_tolerance


def test_every_approval_the_demo_shows_has_a_second_person(clean_db, session, monkeypatch):
    """Two demo accounts may take each approving step; a record waiting for approval names
    its maker in its audit trail, and someone else may approve it."""
    import backoffice.domains  # noqa: F401  (registers the resources)
    from backoffice.engine import service
    from backoffice.engine.resource import all_resources
    from backoffice.security.rbac import DEFAULT_GRANTS

    seed_tiny_demo(clean_db, monkeypatch)
    rights = {
        username: {
            (resource, action)
            for role in roles
            for resource, actions in DEFAULT_GRANTS.get(role, {}).items()
            for action in actions
        }
        for username, _name, roles in seed.DEMO_USERS
    }
    waiting = 0
    for resource in all_resources():
        workflow = resource.workflow
        if workflow is None:
            continue
        for step in workflow.transitions:
            if not step.checks_maker:
                continue
            able = {
                u for u, granted in rights.items() if (resource.permission, step.action) in granted
            }
            assert len(able) >= 2, (resource.key, step.key, able)
            state = getattr(resource.model, workflow.state_field)
            for record in session.exec(select(resource.model).where(state.in_(step.sources))):
                makers = service.makers(session, resource, record)
                assert able - makers, (resource.key, record.id, makers)
                if getattr(record, workflow.state_field) in workflow.awaiting_approval:
                    assert makers, (resource.key, record.id)
                    waiting += 1
    assert waiting >= 3  # a product in review, a draft campaign, a proposed promotion


def test_suitability_examples_are_made_through_the_rules(clean_db, session, monkeypatch):
    from backoffice.domains.suitability import rules as suitability
    from models.suitability import SuitabilityOverride, SuitabilityReview

    seed_tiny_demo(clean_db, monkeypatch)
    (override,) = session.exec(select(SuitabilityOverride)).all()
    assert override.status == "requested" and override.transaction_id is None
    assert not suitability.may_buy(override.product_risk, override.customer_tolerance)
    reviews = session.exec(select(SuitabilityReview)).all()
    assert reviews and all(r.status == "open" for r in reviews)
    assert all(not suitability.may_buy(r.product_risk, r.customer_tolerance) for r in reviews)
    assert suitability.unsuitable_holdings(session) == []  # the job has queued them all


def test_seeded_tickets_follow_the_ticket_rules_and_the_demo_desk_sees_them(
    clean_db, session, monkeypatch
):
    """Numbers and SLA targets as the ticket service makes them (the desk's calendar and
    policies), and the demo agents' accounts in the team the tickets are routed to."""
    from backoffice.domains.tickets import rules as desk
    from backoffice.engine import service
    from backoffice.engine.resource import get
    from backoffice.security import auth
    from models.identity import User
    from models.tickets import Ticket
    from tests.factories import sign_in

    seed_tiny_demo(clean_db, monkeypatch)
    tickets = session.exec(select(Ticket).order_by(Ticket.id)).all()
    assert len(tickets) == TINY_DEMO["tickets"]
    for sequence, ticket in enumerate(tickets, start=1):  # ids need not start at 1 (sequences)
        assert ticket.ticket_no == desk.ticket_number(sequence)
        due = desk.targets(session, ticket.priority, ticket.created_at)
        assert (ticket.first_response_due, ticket.resolution_due) == (
            due["first_response_due"],
            due["resolution_due"],
        ), ticket.ticket_no
    for username in ("cs.zhou", "cs.he", "cs.wu"):
        user = session.exec(select(User).where(User.username == username)).one()
        principal = auth.resolve(session, sign_in(session, user))
        page = service.list_page(
            session, principal=principal, resource=get("ticket"), query=service.ListQuery()
        )
        assert page.total == TINY_DEMO["tickets"], username
