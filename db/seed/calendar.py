"""Academic year dates: periods and holidays of each scheme kind, public holidays, school days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

SCHEME_NAMES = {
    "quarters": "Четверти",
    "trimesters": "Триместры",
    "half_years": "Полугодия",
    "modules": "Модули",
}


@dataclass(frozen=True)
class Span:
    name: str
    starts_on: date
    ends_on: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class SchemePlan:
    kind: str
    periods: tuple[Span, ...]
    holidays: tuple[Span, ...]


def academic_year_of(day: date) -> int:
    """The calendar year in which the academic year holding `day` starts (summer → the last)."""
    return day.year if day.month >= 9 else day.year - 1


def year_bounds(year: int) -> Span:
    return Span(f"{year}/{year + 1}", date(year, 9, 1), date(year + 1, 5, 31))


def _week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _break(name: str, start: date, end: date) -> Span:
    return Span(name, start, end)


def _standard_holidays(year: int) -> tuple[Span, Span, Span]:
    autumn = _week_of(date(year, 11, 4))
    spring = _week_of(date(year + 1, 3, 25))
    return (
        _break("Осенние каникулы", *autumn),
        _break("Зимние каникулы", date(year, 12, 30), date(year + 1, 1, 10)),
        _break("Весенние каникулы", *spring),
    )


def scheme_plan(kind: str, year: int) -> SchemePlan:
    """Periods (ordered, disjoint, inside the year) and the holidays of one scheme kind."""
    bounds = year_bounds(year)
    start, end = bounds.starts_on, bounds.ends_on
    autumn, winter, spring = _standard_holidays(year)
    day = timedelta(days=1)
    if kind == "quarters":
        periods = (
            Span("1 четверть", start, autumn.starts_on - day),
            Span("2 четверть", autumn.ends_on + day, winter.starts_on - day),
            Span("3 четверть", winter.ends_on + day, spring.starts_on - day),
            Span("4 четверть", spring.ends_on + day, end),
        )
        return SchemePlan(kind, periods, (autumn, winter, spring))
    if kind == "half_years":
        periods = (
            Span("1 полугодие", start, winter.starts_on - day),
            Span("2 полугодие", winter.ends_on + day, end),
        )
        return SchemePlan(kind, periods, (autumn, winter, spring))
    if kind == "trimesters":
        periods = (
            Span("1 триместр", start, date(year, 11, 30)),
            Span("2 триместр", date(year, 12, 1), date(year + 1, 3, 1) - day),
            Span("3 триместр", date(year + 1, 3, 1), end),
        )
        return SchemePlan(kind, periods, (autumn, winter, spring))
    if kind == "modules":
        return _modules(year)
    raise ValueError(f"unknown scheme kind {kind!r}")


def _modules(year: int, count: int = 5) -> SchemePlan:
    """Five modules of equal whole weeks with a week of holidays after each but the last."""
    bounds = year_bounds(year)
    first_monday, _ = _week_of(bounds.starts_on)
    weeks = (bounds.ends_on - first_monday).days // 7 + 1
    length = (weeks - (count - 1)) // count
    periods: list[Span] = []
    holidays: list[Span] = []
    monday = first_monday
    for n in range(1, count + 1):
        module_end = monday + timedelta(weeks=length, days=-1)
        if n == count:
            module_end = bounds.ends_on
        periods.append(Span(f"{n} модуль", max(monday, bounds.starts_on), module_end))
        if n < count:
            rest = module_end + timedelta(days=1)
            holidays.append(Span(f"Каникулы после {n} модуля", rest, rest + timedelta(days=6)))
            monday = rest + timedelta(days=7)
    return SchemePlan("modules", tuple(periods), tuple(holidays))


def public_holidays(year: int) -> tuple[Span, ...]:
    """School-wide days off (federal holidays falling in the academic year)."""
    nxt = year + 1
    return (
        Span("День народного единства", date(year, 11, 4), date(year, 11, 4)),
        Span("Новогодние праздники", date(year, 12, 31), date(nxt, 1, 8)),
        Span("День защитника Отечества", date(nxt, 2, 23), date(nxt, 2, 23)),
        Span("Международный женский день", date(nxt, 3, 8), date(nxt, 3, 8)),
        Span("Праздник Весны и Труда", date(nxt, 5, 1), date(nxt, 5, 1)),
        Span("День Победы", date(nxt, 5, 9), date(nxt, 5, 9)),
    )


def school_days(
    bounds: Span, last: date, off: tuple[Span, ...], *, six_day: bool
) -> list[date]:
    """Every teaching day from the start of the year to `last`, skipping weekends and `off`."""
    days: list[date] = []
    day = bounds.starts_on
    stop = min(last, bounds.ends_on)
    while day <= stop:
        weekday = day.isoweekday()
        if (weekday <= 5 or (six_day and weekday == 6)) and not any(day in s for s in off):
            days.append(day)
        day += timedelta(days=1)
    return days
