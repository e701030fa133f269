"""AgentDay <-> ledger item: ``id:start-end`` entries in epoch minutes, space-separated,
so a month of an office's holds reads in one small Query."""
from __future__ import annotations

from datetime import date

from ...scheduling.holds import AgentDay
from .models import LedgerRecord


def from_record(office_id: str, record: LedgerRecord) -> AgentDay:
    day, agent_id = record.sk.split("#", 1)
    entries = {}
    for token in (record.entries or "").split():
        key, _, span = token.rpartition(":")
        start, _, end = span.partition("-")
        entries[key] = (int(start) * 60, int(end) * 60)
    return AgentDay(office_id, date.fromisoformat(day), agent_id, entries, int(record.version))


def to_record(day: AgentDay) -> LedgerRecord:
    text = " ".join(f"{k}:{s // 60}-{e // 60}" for k, (s, e) in sorted(day.entries.items()))
    return LedgerRecord(
        LedgerRecord.partition(day.office_id),
        LedgerRecord.sort(day.day.isoformat(), day.agent_id),
        entries=text,
        version=day.version + 1,
    )


def unchanged_since_read(day: AgentDay):
    """The guard: write only if nobody wrote this agent-day since we read it."""
    if day.version == 0:
        return LedgerRecord.pk.does_not_exist()
    return LedgerRecord.version == day.version
