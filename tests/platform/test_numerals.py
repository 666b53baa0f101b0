"""Numbers that arrive as text are read in ASCII digits only, wherever they arrive.

``str.isdigit()`` is true of "²" (then ``int()`` fails: an internal error) and of "５" and "٣"
(then ``int()`` reads them: a number the caller did not plainly write); ``Decimal()`` also
reads "1E+3" and "5_000". Each reader below once took one of these."""

from decimal import Decimal

import pyotp
import pytest

import backoffice.domains  # noqa: F401
from backoffice.domains.campaigns import codes
from backoffice.domains.customers import national_id
from backoffice.domains.questionnaire import rules as questionnaire
from backoffice.domains.transactions.orders import parse_amount
from backoffice.engine import fields as fieldlib
from backoffice.engine.fields import FieldError, FieldSpec
from backoffice.engine.resource import get as get_resource
from backoffice.engine.service import Schema, parse_query
from backoffice.platform import numerals
from backoffice.platform.business_time import parse_weekdays
from backoffice.security import totp

ODD_DIGITS = ["²", "５", "٣", "1²", "５０００", "1_0", " 5", "5\n", "+5", "-5", "", "1e3"]


@pytest.mark.parametrize("text", ODD_DIGITS)
def test_only_ascii_digits_make_a_whole_number(text):
    assert numerals.whole(text) is None and not numerals.is_digits(text)


def test_whole_numbers_read_plain_digits_up_to_their_length():
    assert numerals.whole("0042") == 42
    assert numerals.whole("1234567890") == 1234567890
    assert numerals.whole("12345678901") is None  # more digits than asked for
    assert numerals.whole("12345678901", 11) == 12345678901
    assert numerals.whole(7) is None and numerals.whole(None) is None


@pytest.mark.parametrize(
    "text",
    ["５０００", "1E+3", "1e3", "5_000", "5,000", " 5000", "5000 ", "+5000", "-5000", "5000.",
     ".5", "5000.001", "NaN", "Infinity", "0x10", "٣", "12345678901234567", 5000.5, 5000, None],
)  # fmt: skip
def test_an_order_amount_is_only_an_exact_decimal_string(text):
    assert parse_amount(text) is None


def test_an_order_amount_keeps_its_plain_forms():
    assert parse_amount("5000") == Decimal("5000.00")
    assert parse_amount("5000.5") == Decimal("5000.50")
    assert parse_amount("0.01") == Decimal("0.01")
    assert parse_amount("9999999999999999.99") == Decimal("9999999999999999.99")
    assert parse_amount("0") is None and parse_amount("0.00") is None


MONEY = FieldSpec("amount", kind="money")
COUNT = FieldSpec("count", kind="int")
REF = FieldSpec("product_id", kind="ref", ref="product")


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (MONEY, "５０００"), (MONEY, "1E+3"), (MONEY, "5_000"), (MONEY, "٣"), (MONEY, "1e-2"),
        (MONEY, "NaN"), (COUNT, "５"), (COUNT, "٣"), (COUNT, "²"), (COUNT, "1_0"), (REF, "５"),
    ],
)  # fmt: skip
def test_a_form_or_import_value_in_other_digits_is_refused(spec, text):
    with pytest.raises(FieldError):
        fieldlib.parse(spec, text)


def test_what_staff_type_in_a_form_is_still_read():
    assert fieldlib.parse(MONEY, "1,000.00") == Decimal("1000.00")
    assert fieldlib.parse(MONEY, "¥1,000") == Decimal("1000.00")
    assert fieldlib.parse(MONEY, " -12.5 ") == Decimal("-12.50")
    assert fieldlib.parse(MONEY, ".5") == Decimal("0.50")
    assert fieldlib.parse(FieldSpec("rate", kind="percent"), "3.5%") == Decimal("3.5000")
    assert fieldlib.parse(COUNT, "-7") == -7 and fieldlib.parse(REF, "12") == 12


def test_odd_digits_never_fail_a_reader_of_text():
    """Each of these raised ValueError or TypeError on "²" (an internal error) or took "５"."""
    assert codes.format_problem(codes.normal("CP²")) == "campaign.code_format"
    assert codes.format_problem(codes.normal("CP００００１")) == "campaign.code_format"
    assert parse_weekdays("1,²") is None and parse_weekdays("１,2") is None
    assert not national_id.is_valid("11010119900307²²²X")
    secret = pyotp.random_base32()
    assert totp.matching_step(secret, "²²²²²²") is None  # compare_digest refuses non-ASCII
    with pytest.raises(questionnaire.QuestionnaireError, match="answer_line"):
        questionnaire.parse_answers("²|甲|A\n5|乙|B")
    with pytest.raises(questionnaire.QuestionnaireError, match="answer_points"):
        questionnaire.parse_answers("-5|甲|A\n5|乙|B")
    assert [a.points for a in questionnaire.parse_answers("0|甲|A\n5|乙|B")] == [0, 5]


def test_a_list_page_in_other_digits_is_the_first_page():
    partner = get_resource("partner")
    schema = Schema(partner, partner.fields, partner.list_columns, partner.filters)
    query = parse_query(schema, {"page": "５", "size": "５０"})
    assert query.page == 1 and query.page_size == parse_query(schema, {}).page_size
    assert parse_query(schema, {"page": "3"}).page == 3
