"""The portal's one chart style: every figure the portal draws is laid out here.

What an executive reads must be in the staff's language down to the tick labels, so nothing
inside a figure is left to plotly's own formatting (English month names, "6M"/"2G" suffixes):
value axes get explicit ticks (万/亿 in Chinese, K/M/B in English), date axes numeric formats in
Chinese, hovers the text made here. Colour carries one meaning everywhere: the accent for what
is measured, neutral grey (dashed or hollow) for a plan or baseline, green and red only for good
and bad, orange for a figure where less is better. A period not over yet is marked, never
drawn as if it were complete.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from backoffice.i18n import translate

ACCENT = "#3e63dd"  # the theme's accent (Radix indigo 9)
PLAN = "#8b8d98"  # a plan, a baseline, a budget: neutral
GOOD = "#30a46c"
BAD = "#e5484d"
WATCH = "#f76b15"  # a figure where less is better (redemptions, backlog, tickets)
PALETTE = (
    ACCENT, "#12a594", "#8e4ec6", "#ffb224", "#0090ff", "#d6409f", "#978365", "#46a758",
    "#05a2c2", "#ab4aba", "#ad7f58", "#5b5bd6",
)  # fmt: skip
TONES = {"": ACCENT, "plan": PLAN, "good": GOOD, "bad": BAD, "watch": WATCH}
FONT = (
    "-apple-system, BlinkMacSystemFont, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', "
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Segoe UI', Roboto, sans-serif"
)

# large figures as staff read them
SCALES = {
    "zh": ((Decimal(100_000_000), "亿"), (Decimal(10_000), "万")),
    "en": ((Decimal(1_000_000_000), "B"), (Decimal(1_000_000), "M"), (Decimal(1_000), "K")),
}
WORDED_UNITS = ("cny", "percent", "hours", "minutes")  # named in an axis title


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def tone_of(higher_is_better: bool) -> str:
    """The colour of a measured series: the accent, or orange where less is better."""
    return "" if higher_is_better else "watch"


def colour(tone: str, index: int = 0) -> str:
    if tone in TONES and tone:
        return TONES[tone]
    return PALETTE[index % len(PALETTE)]


# --- numbers ------------------------------------------------------------------------------------
def _trim(value: Decimal, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def scaled(value: Decimal | float | int, lang: str, digits: int = 2) -> str:
    """A plain number with the staff's large-number words: 1.75亿, 2,193万 / 175.3M, 12.5K."""
    number = Decimal(str(value))
    for size, word in SCALES[_lang(lang)]:
        if abs(number) >= size:
            return f"{_trim(number / size, digits)}{word}"
    return _trim(number, digits)


def money(value: Decimal | float | int | None, lang: str) -> str:
    """An amount for a card or a hover: ¥1.75 亿 / ¥175.30M, cents below ten thousand."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    for size, word in SCALES[_lang(lang)]:
        if abs(number) >= size:
            amount = f"{number / size:,.2f}"
            return translate("chart.money_scaled", _lang(lang), amount=amount, scale=word)
    return f"¥{number:,.2f}"


def number(value: Decimal | float | int | None, unit: str, lang: str) -> str:
    """A figure in its unit, in the staff's language."""
    if value is None:
        return "—"
    if unit == "cny":
        return money(value, lang)
    number_ = Decimal(str(value))
    if unit == "percent":
        return f"{_trim(number_, 1)}%"
    if unit == "hours":
        return f"{_trim(number_, 1)} {translate('chart.unit.hours', lang)}"
    if unit == "minutes":
        return f"{_trim(number_, 1)} {translate('chart.unit.minutes', lang)}"
    if unit == "score":
        return f"{number_:.2f}"
    return scaled(number_, lang, 1) if abs(number_) >= 10_000 else _trim(number_, 2)


def change(value: Decimal | None, kind: str, lang: str) -> str:
    """A change against the previous period: relative (+12.3%), in percentage points for a
    figure that is itself a percentage (+1.2 pt, never a relative change of a rate), or the
    difference itself for a level such as a backlog (+72)."""
    if value is None:
        return "—"
    if kind == "points":
        return translate("chart.change.points", lang, value=f"{value:+.1f}")
    if kind == "absolute":
        return f"{value:+,}"
    return f"{value:+.1f}%"


# --- axes ---------------------------------------------------------------------------------------
def _step(span: float, target: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``target`` ticks."""
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(f * magnitude for f in (1, 2, 2.5, 5, 10) if raw <= f * magnitude * 1.0000001)


def ticks(
    values: Iterable[Any], unit: str, lang: str, target: int = 5, from_zero: bool = True
) -> tuple[list, list[str]]:
    """Tick positions and their text for a value axis over these values (from 0 for bars; a
    line's axis may start where its values do, as plotly's autorange does)."""
    numbers = [float(v) for v in values if v is not None]
    floor = [0.0] if from_zero or not numbers else []
    low, high = min([*floor, *numbers]), max([*floor, *numbers])
    if high == low:
        high = low + (1.0 if unit != "percent" else 100.0)
    step = _step(high - low, target)
    if unit in ("count",) and step < 1:
        step = 1.0
    first, last = math.floor(low / step), math.ceil(high / step)
    positions = [round(n * step, 10) for n in range(first, last + 1)]
    return positions, [tick_text(p, unit, lang) for p in positions]


def tick_text(value: float, unit: str, lang: str) -> str:
    if value == 0:
        return "0"
    if unit == "percent":
        return f"{_trim(Decimal(str(value)), 1)}%"
    return scaled(Decimal(str(value)), lang, 2)


def value_axis(
    values: Iterable[Any], unit: str, lang: str, title: str, from_zero: bool = True
) -> dict[str, Any]:
    tickvals, ticktext = ticks(
        values, unit, lang, target=5 if from_zero else 6, from_zero=from_zero
    )
    return {
        "title": {"text": title},
        "tickmode": "array",
        "tickvals": tickvals,
        "ticktext": ticktext,
        "automargin": True,
        "zeroline": True,
        "fixedrange": True,
        "gridcolor": "rgba(128,128,128,0.18)",
    }


def axis_title(unit: str, lang: str, what: str = "") -> str:
    """ "金额（元）", "工单数（个）" / "Amount (CNY)", "Tickets": what is measured and its unit."""
    unit_word = translate(f"chart.axis_unit.{unit}", lang) if unit in WORDED_UNITS else ""
    what = what or translate(f"chart.axis.{unit or 'count'}", lang)
    if not unit_word:
        return what
    return translate("chart.axis_with_unit", _lang(lang), what=what, unit=unit_word)


DATE_TICKS = {"zh": "%-m月%-d日", "en": "%b %-d"}
DATE_HOVER = {"zh": "%Y年%-m月%-d日", "en": "%b %-d, %Y"}


def date_axis(lang: str, title: str = "") -> dict[str, Any]:
    """A date axis: numeric month and day in Chinese (plotly's month names are English)."""
    return {
        "type": "date",
        "tickformat": DATE_TICKS[_lang(lang)],
        "hoverformat": DATE_HOVER[_lang(lang)],
        "title": {"text": title or translate("chart.axis.date", lang)},
        "automargin": True,
        "showgrid": False,
    }


def day_text(day: date | str, lang: str) -> str:
    day = date.fromisoformat(str(day)[:10]) if not isinstance(day, date) else day
    return translate("chart.day", _lang(lang), day=day)


def category_axis(title: str, labels: Sequence[str]) -> dict[str, Any]:
    """A category axis whose labels never overlap: angled when there are many."""
    axis: dict[str, Any] = {
        "type": "category",
        "title": {"text": title},
        "automargin": True,
        "showgrid": False,
    }
    if len(labels) > 4 or sum(label_width(label) for label in labels) > 40:
        axis["tickangle"] = -30
    return axis


def label_width(label: str) -> int:
    """Roughly how wide a label is, in Latin characters (a CJK character is two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(label))


def horizontal(labels: Sequence[str]) -> bool:
    """Bars lie down when their labels would not fit under them at 768 px."""
    widths = [label_width(label) for label in labels]
    return len(labels) > 7 or (bool(widths) and (max(widths) > 12 or sum(widths) > 48))


def hover(labels: Sequence[str], values: Sequence[Any], unit: str, lang: str) -> dict[str, Any]:
    """Hover text made here (the label and the figure in the staff's language)."""
    return {
        "customdata": [
            [label, number(v, unit, lang)] for label, v in zip(labels, values, strict=True)
        ],
        "hovertemplate": "%{customdata[0]}<br>%{fullData.name}: %{customdata[1]}<extra></extra>",
    }


# --- the figure's frame ---------------------------------------------------------------------------
def frame(
    *,
    title: str,
    lang: str,
    legend: bool = True,
    height: int = 340,
    left: int = 10,
) -> dict[str, Any]:
    """Title top left, legend under it, margins that grow with the labels (``automargin``)."""
    return {
        "title": {
            "text": title,
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 0.98,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": 15},
        },
        "font": {"family": FONT, "size": 12},
        "separators": ".,",
        "showlegend": legend,
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"},
        "margin": {"t": 78 if legend else 48, "b": 10, "l": left, "r": 16, "pad": 2},
        "height": height,
        "autosize": True,
        "hoverlabel": {"font": {"family": FONT}},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }


def partial_note(lang: str) -> str:
    return translate("chart.partial", lang)
