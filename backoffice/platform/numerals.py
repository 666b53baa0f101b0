"""Numbers written as text by someone outside the code: read in ASCII digits only.

``str.isdigit()`` is true of "²", "５" and "٣", and ``int()`` then fails on the first or reads
the others; ``Decimal()`` also reads "1E+3", "5_000" and "Infinity". Every count, id, version,
score or amount that arrives as text (a form, a URL, a header, a body, a setting) is read here,
so that what is accepted is what the text plainly says, and anything else is refused rather
than turned into an internal error or an unintended number.
"""

from __future__ import annotations

import re
from decimal import Decimal

_DIGITS = re.compile(r"[0-9]+")
# yuan to the fen as another system sends them: no sign, no grouping, no exponent
_AMOUNT = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,2})?")
# a decimal as staff type one: optional sign, digits and a point (grouping removed before)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def is_digits(text: object, most: int = 10) -> bool:
    """Whether ``text`` is 1 to ``most`` ASCII digits and nothing else (no sign, no space)."""
    return isinstance(text, str) and 0 < len(text) <= most and _DIGITS.fullmatch(text) is not None


def whole(text: object, most: int = 10) -> int | None:
    """The number that ``text`` writes in 1 to ``most`` ASCII digits, else None."""
    return int(text) if is_digits(text, most) else None  # type: ignore[arg-type]


def amount(text: object) -> Decimal | None:
    """An amount of money as an exact decimal string (``"5000"``, ``"5000.5"``,
    ``"5000.50"``: up to 16 digits, up to 2 decimals), else None."""
    if not isinstance(text, str) or _AMOUNT.fullmatch(text) is None:
        return None
    return Decimal(text)


def decimal(text: str) -> Decimal | None:
    """A decimal number written with ASCII digits, an optional sign and point (``"-1.5"``,
    ``".5"``), else None: no exponent, underscore, other digits or ``NaN``."""
    if len(text) > 100 or _DECIMAL.fullmatch(text) is None:
        return None
    return Decimal(text)
