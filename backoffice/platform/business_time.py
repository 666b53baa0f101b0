"""Business hours: adding working minutes to a moment, and counting working time between two.

The desk works from ``start`` to ``end`` local time on its weekdays, except on holidays; a
weekend day declared a workday (调休) is worked. Times go in and come out as aware UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backoffice.config import get_settings
from backoffice.platform import numerals
from models.base import utcnow

MAX_DAYS = 3660  # a target ten years of working days away is a configuration error


def local_today() -> date:
    """Today in the company's calendar (BACKOFFICE_TIMEZONE). Dates the staff see and enter
    (hire, review due, campaign and plan days) are its days, not UTC's: from 16:00 UTC on,
    Shanghai is already on the next day."""
    return utcnow().astimezone(get_settings().zone).date()


# an aware moment written as ISO text (the audit trail's values, JSON of changes)
ISO_MOMENT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)"
)


def shown_time(moment: datetime | str | None, *, seconds: bool = False) -> str:
    """A moment as staff read it on screen: in the company's zone (BACKOFFICE_TIMEZONE),
    ``YYYY-MM-DD HH:MM`` (``:SS`` with ``seconds``); "—" for none. Files handed out keep
    ISO 8601 with the offset instead."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # stored UTC without its zone (SQLite)
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(get_settings().zone)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_times_in(text: str) -> str:
    """``text`` with every aware ISO moment in it shown as :func:`shown_time` does."""
    return ISO_MOMENT.sub(lambda m: shown_time(m.group(0)), text) if text else text


@dataclass(frozen=True)
class Calendar:
    start: time
    end: time
    weekdays: frozenset[int]  # ISO weekdays, Monday = 1
    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.extra_workdays or day.isoweekday() in self.weekdays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, self.zone),
            datetime.combine(day, self.end, self.zone),
        )

    def add(self, moment: datetime, minutes: int) -> datetime:
        """The moment ``minutes`` working minutes after ``moment``."""
        remaining = timedelta(minutes=minutes)
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.is_workday(day):
                opens, closes = self._window(day)
                begin = max(local, opens)
                if begin < closes:
                    if begin + remaining <= closes:
                        return (begin + remaining).astimezone(moment.tzinfo)
                    remaining -= closes - begin
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.zone)
        raise ValueError("no working hours in the calendar")

    def between(self, first: datetime, last: datetime) -> timedelta:
        """Working time from ``first`` to ``last`` (zero if ``last`` is not later)."""
        if last <= first:
            return timedelta(0)
        total = timedelta(0)
        day = first.astimezone(self.zone).date()
        final = last.astimezone(self.zone).date()
        while day <= final:
            if self.is_workday(day):
                opens, closes = self._window(day)
                begin, finish = max(first, opens), min(last, closes)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total


def parse_clock(text: str) -> time | None:
    """ "09:00" → 09:00; anything else → None."""
    try:
        value = time.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if len(text.strip()) == 5 else None


def parse_weekdays(text: str) -> frozenset[int] | None:
    """ "1,2,3,4,5" → {1…5}; None when a part is not a weekday number or none is given."""
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    days = [numerals.whole(p, 1) for p in parts]
    if not days or not all(d is not None and 1 <= d <= 7 for d in days):
        return None
    return frozenset(d for d in days if d is not None)
