"""Counting days: calendar days by default, business days where a rule says so.

A business day is a weekday that is neither a New York State holiday (the `holidays` package, subdivision "NY")
nor one of the district's own closure dates. The day the clock starts is never counted: "within 7 days of
discovery" on a Monday ends on the next Monday.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

CALENDAR = "calendar"
BUSINESS = "business"


@lru_cache(maxsize=64)
def _ny_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("US", subdiv="NY", years=year))


def ny_holiday(day: date) -> str | None:
    """The name of the New York State holiday on `day`, or None."""
    return _ny_holidays(day.year).get(day)


def is_business_day(day: date, closures: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and ny_holiday(day) is None and day not in closures


def add_calendar_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


def add_business_days(start: date, days: int, closures: Collection[date] = ()) -> date:
    """The `days`-th business day after `start` (start itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day, closures):
            counted += 1
    return day


def add_days(start: date, days: int, kind: str = CALENDAR, closures: Collection[date] = ()) -> date:
    if kind == BUSINESS:
        return add_business_days(start, days, closures)
    return add_calendar_days(start, days)


@dataclass(frozen=True)
class GoverningDate:
    """Two rules for the same duty, each with its date: the earlier governs, and `explanation` says why."""

    due: date
    explanation: str
    dates: tuple[tuple[str, date], ...]


def long_date(day: date, *, weekday: bool = False) -> str:
    """A date as the deadline pages, e-mails and notes write it: "May 4, 2026", or "Monday, May 4, 2026"."""
    return f"{day:%A, }{day:%B} {day.day}, {day.year}" if weekday else f"{day:%B} {day.day}, {day.year}"


def earlier_governs(rules: list[tuple[str, int, str]], start: date, closures: Collection[date] = ()) -> GoverningDate:
    """`rules` are (source, days, kind of days). Each rule's date counts from `start`; the earliest one governs."""
    dated = [(source, days, kind, add_days(start, days, kind, closures)) for source, days, kind in rules]
    governing = min(dated, key=lambda rule: rule[3])
    parts = [
        f"{source} says {days} {kind} days, which ends {long_date(due, weekday=True)}"
        for source, days, kind, due in dated
    ]
    explanation = (
        f"Counted from {long_date(start, weekday=True)}: {'; '.join(parts)}. The earlier of the two governs: "
        f"{long_date(governing[3], weekday=True)} ({governing[0]})."
    )
    return GoverningDate(due=governing[3], explanation=explanation, dates=tuple((s, d) for s, _, _, d in dated))
