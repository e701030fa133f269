"""Free slots per service, across agents, hours, holidays, absences and bookings.

The pipeline (after cal.com's): expand wall-clock hours per local date in the
office zone (so the UTC offset is recomputed per date and DST holds), drop
closed dates, subtract absences and busy time (bookings widened by their
buffers, later also external calendars), then offer a grid start when at
least one qualified agent is free for the duration plus buffers, from
``now + notice`` up to the horizon's last local day. Instants are epoch
seconds inside, UTC datetimes outside.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import intervals
from .model import Agent, Office, Service, Slot, TimeRange

Span = tuple[int, int]
BusyByAgent = Mapping[str, Sequence[Span]]


@dataclass(frozen=True)
class Window:
    """Where a service may be booked: not before ``earliest``, not after ``last_day``."""

    earliest: int
    today: date
    last_day: date


def booking_window(service: Service, now: datetime, tz: ZoneInfo) -> Window:
    today = now.astimezone(tz).date()
    earliest = int(now.timestamp()) + service.min_notice_minutes * 60
    return Window(earliest, today, today + timedelta(days=service.horizon_days))


def find_slots(
    office: Office,
    service: Service,
    first: date,
    last: date,
    now: datetime,
    closed: frozenset[date] | set[date],
    busy: BusyByAgent,
) -> list[Slot]:
    """Every bookable start of ``service`` on local dates ``first..last``, sorted."""
    tz = ZoneInfo(office.timezone)
    window = booking_window(service, now, tz)
    agents = office.agents_for(service.id)
    holes = {a.id: _Holes(intervals.normalize([*_absence_spans(a, tz), *busy.get(a.id, ())])) for a in agents}
    step, before = service.step_minutes, service.buffer_before_minutes * 60
    length = service.duration_minutes * 60
    after = service.buffer_after_minutes * 60
    slots: list[Slot] = []
    for day in _days(max(first, window.today), min(last, window.last_day)):
        if day in closed or not office.hours.on(day):
            continue
        local = _LocalDay(day, tz)
        free: list[tuple[str, list[Span], list[int]]] = []
        for agent in agents:
            spans = _free_spans(office, agent, local, holes[agent.id])
            if spans:
                free.append((agent.id, spans, [s for s, _ in spans]))
        if not free:
            continue
        for start in local.grid(office.hours.on(day), step):
            if start < window.earliest:
                continue
            need = (start - before, start + length + after)
            ids = tuple(aid for aid, spans, starts in free if intervals.covers(spans, need, starts))
            if ids:
                slots.append(Slot(_utc(start), _utc(start + length), ids))
    return slots


def busy_span(service: Service, start: datetime) -> tuple[datetime, datetime]:
    """The time a booking holds its agent: the appointment widened by its buffers."""
    return (
        start - timedelta(minutes=service.buffer_before_minutes),
        start + timedelta(minutes=service.duration_minutes + service.buffer_after_minutes),
    )


def rank_agents(slot: Slot, order: Sequence[str], load: Mapping[str, int]) -> list[str]:
    """Free agents, fewest bookings that day first; ties by a rotation that
    moves one place per grid step, so equal agents share the work evenly."""
    position = {aid: i for i, aid in enumerate(order)}
    shift = int(slot.start.timestamp() // 60) % max(len(order), 1)
    return sorted(
        slot.agent_ids,
        key=lambda aid: (load.get(aid, 0), (position.get(aid, 0) - shift) % max(len(order), 1)),
    )


def _free_spans(office: Office, agent: Agent, local: _LocalDay, holes: _Holes) -> list[Span]:
    work = local.spans(office.hours.on(local.day))
    if agent.hours is not None:
        work = intervals.intersect(work, local.spans(agent.hours.on(local.day)))
    if not work:
        return []
    return intervals.subtract(work, holes.between(work[0][0], work[-1][1]))


def _absence_spans(agent: Agent, tz: ZoneInfo) -> Iterator[Span]:
    for absence in agent.absences:
        yield int(absence.start.replace(tzinfo=tz).timestamp()), int(absence.end.replace(tzinfo=tz).timestamp())


class _Holes:
    """Normalized busy spans of one agent, sliced per day by bisection."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def between(self, start: int, end: int) -> list[Span]:
        return self.spans[bisect_right(self.ends, start) : bisect_left(self.starts, end)]


class _LocalDay:
    """One local date in a zone: wall-clock minutes to epoch seconds, DST-aware."""

    def __init__(self, day: date, tz: ZoneInfo) -> None:
        self.day, self.tz = day, tz
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        next_midnight = datetime.combine(day + timedelta(days=1), midnight.timetz())
        offset = midnight.utcoffset()
        # Fast path: the offset is the same all day (no DST change today).
        self.fixed = offset == next_midnight.utcoffset() and offset == datetime(
            day.year, day.month, day.day, 12, tzinfo=tz
        ).utcoffset()
        self.base = int(midnight.timestamp())

    def epochs(self, minute: int) -> list[int]:
        """Instants showing wall time ``minute``: none in a spring-forward gap,
        two in a fall-back overlap, else one."""
        if self.fixed:
            return [self.base + minute * 60]
        if minute >= 1440:
            return [int(datetime.combine(self.day + timedelta(days=1), datetime.min.time(), self.tz).timestamp())]
        wall = datetime(self.day.year, self.day.month, self.day.day, minute // 60, minute % 60, tzinfo=self.tz)
        found = []
        for fold in (0, 1):
            instant = int(wall.replace(fold=fold).timestamp())
            back = datetime.fromtimestamp(instant, self.tz).replace(tzinfo=None)
            if back == wall.replace(tzinfo=None) and instant not in found:
                found.append(instant)
        return found

    def boundary(self, minute: int) -> int:
        """A range edge: a wall time in a gap falls to the first real instant after it."""
        if self.fixed:
            return self.base + minute * 60
        found = self.epochs(minute)
        if found:
            return found[0]
        return self.boundary(minute + 1)

    def spans(self, ranges: Sequence[TimeRange]) -> list[Span]:
        return intervals.normalize((self.boundary(a), self.boundary(b)) for a, b in ranges)

    def grid(self, ranges: Sequence[TimeRange], step: int) -> list[int]:
        """Epochs of wall-clock times on the step grid inside the ranges. The grid starts at each
        opening range's start (an office opening at 08:30 offers 08:30, not 08:40, for 20 minutes)."""
        out: list[int] = []
        for start, end in ranges:
            for minute in range(start, end, step):
                out.extend(self.epochs(minute))
        return sorted(set(out))


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
