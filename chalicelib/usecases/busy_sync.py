"""Import agents' busy time from their own calendars into the ledger (scheduled)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from ..scheduling.busy import busy_spans, split_by_day
from ..scheduling.holds import EXTERNAL_PREFIX, AgentDay
from ..scheduling.model import Office
from .ports import HoldsChanged

log = logging.getLogger("scheduler.busy_sync")
ATTEMPTS = 5


@dataclass(frozen=True)
class SyncReport:
    agents: int = 0
    failed: int = 0
    days_written: int = 0


def sync_office(office: Office, staff, clock, fetch: Callable[[str], bytes]) -> SyncReport:
    """For every agent with a busy-calendar URL: fetch, expand, and rewrite the ``E-`` holds that
    changed. A failed fetch changes nothing (the last good copy stays) and is recorded."""
    now = clock()
    tz = ZoneInfo(office.timezone)
    first = now.astimezone(tz).date()
    last = first + timedelta(days=max((s.horizon_days for s in office.services.values()), default=120))
    status = staff.sync_status(office.id)
    agents = failed = written = 0
    for agent in office.agents.values():
        if not agent.busy_calendar_url:
            continue
        agents += 1
        try:
            spans = busy_spans(fetch(agent.busy_calendar_url), first, last, office.timezone)
        except Exception as error:  # noqa: BLE001 - any failure keeps the last good copy
            failed += 1
            log.warning("busy calendar fetch failed", extra={"office_id": office.id, "agent_id": agent.id,
                                                             "error": type(error).__name__})
            staff.record_sync(office.id, agent.id, now, f"{type(error).__name__}: {error}", None)
            continue
        wanted = split_by_day(spans, office.timezone)
        previous = status.get(agent.id)
        touched = sorted({d for d in wanted if first <= d <= last}
                         | {d for d in (previous.days if previous else ()) if d >= first})
        written += _write(staff, office.id, agent.id, touched, wanted)
        staff.record_sync(office.id, agent.id, now, None, tuple(d for d in touched if d in wanted))
    return SyncReport(agents, failed, written)


def _write(staff, office_id: str, agent_id: str, days: list, wanted: dict) -> int:
    if not days:
        return 0
    for _ in range(ATTEMPTS):
        read = {d.day: d for d in staff.agent_days(office_id, agent_id, days[0], days[-1])}
        changed = []
        for day in days:
            current = read.get(day, AgentDay(office_id, day, agent_id))
            kept = {k: v for k, v in current.entries.items() if not k.startswith(EXTERNAL_PREFIX)}
            # ids unique across days: one hold id names one span (busy_by_agent merges by id)
            fresh = {f"{EXTERNAL_PREFIX}{day:%Y%m%d}.{i}": span for i, span in enumerate(wanted.get(day, []))}
            if {k: v for k, v in current.entries.items() if k.startswith(EXTERNAL_PREFIX)} != fresh:
                changed.append(AgentDay(office_id, day, agent_id, {**kept, **fresh}, current.version))
        if not changed:
            return 0
        try:
            for chunk in range(0, len(changed), 25):  # a transaction holds at most 100 items; keep them small
                staff.write_days(changed[chunk:chunk + 25])
            return len(changed)
        except HoldsChanged:
            continue  # a booking landed meanwhile: read again
    raise HoldsChanged
