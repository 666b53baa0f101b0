import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from backoffice.domains.customers import national_id


def test_known_valid_number():
    assert national_id.is_valid("11010519491231002X")
    assert national_id.is_valid("11010519491231002x")


def test_rejects_wrong_check_digit_length_and_date():
    assert not national_id.is_valid("110105194912310021")
    assert not national_id.is_valid("11010519491231002")
    assert not national_id.is_valid("110105194913310029")  # month 13
    assert not national_id.is_valid("11010530001231002X")  # born in the future


@given(
    st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)),
    st.booleans(),
    st.integers(0, 10**6),
)
def test_generated_numbers_are_valid_and_carry_birth_date_and_sex(born, female, seed):
    number = national_id.make(random.Random(seed), born, female)
    assert national_id.is_valid(number)
    assert national_id.birth_date_of(number) == born
    assert (int(number[16]) % 2 == 0) == female


def test_the_demo_never_issues_one_id_number_twice():
    """The large demo's 100,000 customers drew 42 ID numbers twice; a repeat is drawn
    again, still valid for the same birth date and sex."""
    from backoffice.domains.customers.demo import unique_id_number

    born = date(1990, 3, 7)
    first = national_id.make(random.Random(5), born, True)
    issued = {first}
    again = unique_id_number(random.Random(5), born, True, issued)  # the same draw first
    assert again != first and issued == {first, again}
    assert national_id.is_valid(again) and national_id.birth_date_of(again) == born
    assert int(again[16]) % 2 == 0  # female, as asked
