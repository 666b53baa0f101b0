"""Mainland China resident identity numbers (GB 11643-1999): 18 characters, ISO 7064 check."""

from __future__ import annotations

import random
from datetime import date

from backoffice.platform import numerals
from backoffice.platform.business_time import local_today

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
REGIONS = ("110101", "310104", "440305", "330106", "320102", "510107", "420106", "610113")


def check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid(number: str) -> bool:
    """Length, digits, a real date of birth in the past and the check character."""
    number = number.strip().upper()
    if len(number) != 18 or not numerals.is_digits(number[:17], 17):
        return False
    born = birth_date_of(number)
    if born is None or born > local_today() or born.year < 1900:
        return False
    return check_character(number[:17]) == number[17]


def make(rng: random.Random, born: date, female: bool) -> str:
    sequence = rng.randrange(0, 50) * 2 + (0 if female else 1)
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(10):01d}{sequence:02d}"
    return first17 + check_character(first17)
