"""Holds: what keeps an agent busy on a local date (bookings, staff absences).

One ``AgentDay`` per agent and local date. The storage writes each with a
condition on ``version`` (optimistic locking): of two racing writers that
read the same version, one fails. That conditional write is the guard
against double booking; the overlap test itself is plain arithmetic here.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import intervals

ABSENCE_PREFIX = "A-"  # staff absences; bookings are ULIDs, which never hold a dash
EXTERNAL_PREFIX = "E-"  # busy time from the agent's own calendar


@dataclass
class AgentDay:
    office_id: str
    day: date
    agent_id: str
    entries: dict[str, tuple[int, int]] = field(default_factory=dict)  # hold id -> epoch seconds
    version: int = 0  # as read; 0 means the item does not exist yet

    @property
    def booking_count(self) -> int:
        return sum(1 for key in self.entries if "-" not in key)

    def clashes(self, span: tuple[int, int], ignore: str | None = None) -> bool:
        return intervals.overlaps([s for k, s in self.entries.items() if k != ignore], span)

    def with_hold(self, hold_id: str, span: tuple[int, int]) -> AgentDay:
        return replace(self, entries={**self.entries, hold_id: span})

    def without(self, hold_id: str) -> AgentDay:
        return replace(self, entries={k: v for k, v in self.entries.items() if k != hold_id})


def busy_by_agent(days: list[AgentDay]) -> dict[str, list[tuple[int, int]]]:
    """Spans per agent, each hold once even when it touches two dates."""
    seen: dict[str, dict[str, tuple[int, int]]] = {}
    for day in days:
        seen.setdefault(day.agent_id, {}).update(day.entries)
    return {agent: list(entries.values()) for agent, entries in seen.items()}


def local_dates(span: tuple[datetime, datetime], tz: ZoneInfo) -> list[date]:
    """The office-local dates a hold touches (usually one)."""
    first = span[0].astimezone(tz).date()
    last = (span[1] - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
