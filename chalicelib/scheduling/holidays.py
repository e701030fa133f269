"""Closed dates: national and regional holidays from ``holidays``, plus local ones."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import lru_cache

from .model import HolidayRules


def closed_dates(rules: HolidayRules, first: date, last: date) -> frozenset[date]:
    """Every holiday between ``first`` and ``last`` (inclusive)."""
    found: set[date] = {d for d in rules.local if first <= d <= last}
    cached = rules.public_years
    if cached and cached[0] <= first.year and last.year <= cached[1]:
        found.update(d for d in rules.public if first <= d <= last)
        return frozenset(found)
    for year in range(first.year, last.year + 1):
        found.update(d for d in _public(rules.country, rules.subdivision, year) if first <= d <= last)
    return frozenset(found)


def with_public_dates(rules: HolidayRules, first_year: int, last_year: int) -> HolidayRules:
    """The rules with the package's dates for those years cached inside."""
    public = frozenset().union(*(_public(rules.country, rules.subdivision, y) for y in range(first_year, last_year + 1)))
    return replace(rules, public=public, public_years=(first_year, last_year))


def holiday_names(rules: HolidayRules, year: int, language: str | None = None) -> dict[date, str]:
    """Names of the public holidays of a year, for people reading the calendar."""
    import holidays

    return dict(holidays.country_holidays(rules.country, subdiv=rules.subdivision, years=year, language=language))


@lru_cache(maxsize=64)
def _public(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays  # heavy: imported on first use, not at cold start

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())
