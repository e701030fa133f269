"""Busy time from an agent's own calendar (a published ICS): intervals only, never titles."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import intervals

Span = tuple[int, int]


def busy_spans(ics: bytes, first: date, last: date, zone: str) -> list[Span]:
    """Opaque, not-cancelled events between local dates ``first`` and ``last`` (recurrences expanded),
    as merged epoch-second spans. All-day and floating times are read in the office zone."""
    import icalendar
    import recurring_ical_events

    tz = ZoneInfo(zone)
    calendar = icalendar.Calendar.from_ical(ics)
    start = datetime.combine(first, time(), tz)
    end = datetime.combine(last + timedelta(days=1), time(), tz)
    spans = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        if str(event.get("STATUS", "")).upper() == "CANCELLED" or str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        begin = _instant(event.get("DTSTART").dt, tz)
        finish = _instant(event.get("DTEND").dt, tz) if event.get("DTEND") else None
        if finish is None:
            duration = event.get("DURATION")
            is_day = not isinstance(event.get("DTSTART").dt, datetime)
            finish = begin + (duration.dt if duration else timedelta(days=1) if is_day else timedelta())
        if finish > begin:
            spans.append((int(begin.timestamp()), int(finish.timestamp())))
    return intervals.normalize(spans)


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tz)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def split_by_day(spans: list[Span], zone: str) -> dict[date, list[Span]]:
    """Each span cut at local midnights, so each piece belongs to one agent-day."""
    tz = ZoneInfo(zone)
    days: dict[date, list[Span]] = {}
    for start, end in spans:
        cursor = start
        while cursor < end:
            day = datetime.fromtimestamp(cursor, tz).date()
            midnight = int(datetime.combine(day + timedelta(days=1), time(), tz).timestamp())
            days.setdefault(day, []).append((cursor, min(end, midnight)))
            cursor = min(end, midnight)
    return days
