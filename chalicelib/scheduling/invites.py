"""Calendar invites (RFC 5545 / 5546 / 7986) that calendar clients obey.

Pure: no I/O, no clock (``dtstamp`` is passed in), no environment, no AWS.

One stable UID per booking and a stored SEQUENCE; METHOD:REQUEST on create and move,
METHOD:CANCEL on cancel, METHOD:PUBLISH for a subscribable feed. Every VEVENT carries
its office zone as ``TZID`` plus a matching VTIMEZONE, and the video link in LOCATION,
URL, DESCRIPTION and CONFERENCE.

Text from citizens or configuration is kept inert: TEXT values are escaped by
icalendar (``\\n``, ``\\;``, ``\\,``) after other control characters are blanked;
parameter values (``CN``, ``LABEL``) lose CR/LF, control characters and double quotes,
since parameters cannot be backslash-escaped; URIs and e-mail addresses containing
whitespace or control characters are refused with ``ValueError``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # imported where used: a slot listing's cold start never loads icalendar
    from icalendar import Calendar, Event, vCalAddress

PRODID = "-//Citizen Office Scheduler//EN"
METHODS = ("REQUEST", "CANCEL", "PUBLISH")
ROLES = ("CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "summary": "Video appointment: {service} — {office}",
        "cancelled": "Cancelled: ",
        "cancelled_note": "This appointment has been cancelled.",
        "join": "Join the video call: {url}",
        "manage": "To change or cancel your appointment: {url}",
        "label": "Video call",
    },
    "ca": {
        "summary": "Cita per videotrucada: {service} — {office}",
        "cancelled": "Anul·lada: ",
        "cancelled_note": "Aquesta cita s'ha anul·lat.",
        "join": "Accediu a la videotrucada: {url}",
        "manage": "Per canviar o anul·lar la cita: {url}",
        "label": "Videotrucada",
    },
    "es": {
        "summary": "Cita por videollamada: {service} — {office}",
        "cancelled": "Cancelada: ",
        "cancelled_note": "Esta cita se ha anulado.",
        "join": "Acceda a la videollamada: {url}",
        "manage": "Para cambiar o anular la cita: {url}",
        "label": "Videollamada",
    },
}
"""Localized invite strings; keys are the booking locales."""


@dataclass(frozen=True)
class Attendee:
    """A calendar user: display name, e-mail and RFC 5545 ROLE."""

    name: str
    email: str
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True)
class InviteEvent:
    """Everything one VEVENT says about a booking (times are aware, in UTC or any zone)."""

    uid: str
    sequence: int
    cancelled: bool
    start: datetime
    end: datetime
    timezone: str
    locale: str
    service_name: str
    office_name: str
    video_url: str | None  # None or "" for phone and in-person appointments
    manage_url: str | None
    organizer: Attendee
    attendees: tuple[Attendee, ...]
    alarm_minutes: int = 15


def build_invite(event: InviteEvent, method: str, dtstamp: datetime) -> bytes:
    """Return the .ics bytes (CRLF, folded) of a one-event calendar with METHOD ``method``.

    ``REQUEST`` and ``CANCEL`` invite the attendees (RSVP); ``REQUEST`` adds a VALARM;
    ``CANCEL`` always yields STATUS:CANCELLED. ``PUBLISH`` has neither RSVP nor VALARM.
    """
    if method not in METHODS:
        raise ValueError(f"unsupported METHOD {method!r}")
    if method == "REQUEST" and event.cancelled:
        raise ValueError("a cancelled event is sent with METHOD:CANCEL")
    _check_event(event)
    calendar = _calendar(method)
    _add_timezones(calendar, [event])
    calendar.add_component(_vevent(event, method, _utc(dtstamp, "dtstamp")))
    return calendar.to_ical()


def build_feed(events: Iterable[InviteEvent], calendar_name: str, dtstamp: datetime) -> bytes:
    """Return a METHOD:PUBLISH calendar of many VEVENTs (a subscribable feed).

    One VTIMEZONE per zone used; attendees are listed without RSVP; no VALARM.
    """
    events = list(events)
    for event in events:
        _check_event(event)
    stamp = _utc(dtstamp, "dtstamp")
    calendar = _calendar("PUBLISH")
    from icalendar import vText

    name = vText(_text(calendar_name))  # explicit: icalendar would not escape these "unknown" properties
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    _add_timezones(calendar, events)
    for event in events:
        calendar.add_component(_vevent(event, "PUBLISH", stamp))
    return calendar.to_ical()


def _calendar(method: str) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    return calendar


def _add_timezones(calendar: Calendar, events: list[InviteEvent]) -> None:
    """Add one VTIMEZONE per zone, covering whole years around that zone's events."""
    from icalendar import Timezone

    spans: dict[str, tuple[date, date]] = {}
    for event in events:
        zone = _zone(event.timezone)
        first = event.start.astimezone(zone).date()
        last = event.end.astimezone(zone).date()
        if event.timezone in spans:
            first = min(first, spans[event.timezone][0])
            last = max(last, spans[event.timezone][1])
        spans[event.timezone] = (first, last)
    for tzid in sorted(spans):
        first, last = spans[tzid]
        calendar.add_component(
            Timezone.from_tzinfo(
                _zone(tzid), tzid=tzid, first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 1, 1)
            )
        )


def _vevent(event: InviteEvent, method: str, dtstamp: datetime) -> Event:
    from icalendar import Alarm, Event, vUri

    messages = MESSAGES[event.locale]
    zone = _zone(event.timezone)
    cancelled = event.cancelled or method == "CANCEL"

    summary = messages["summary"].format(service=_text(event.service_name), office=_text(event.office_name))
    if cancelled:
        summary = messages["cancelled"] + summary
    paragraphs = [messages["join"].format(url=event.video_url)] if event.video_url else []
    if event.manage_url:
        paragraphs.append(messages["manage"].format(url=event.manage_url))
    if cancelled:
        paragraphs.insert(0, messages["cancelled_note"])

    vevent = Event()
    vevent.add("UID", _text(event.uid))  # unchanged unless it holds control characters
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTAMP", dtstamp)
    vevent.add("DTSTART", event.start.astimezone(zone))
    vevent.add("DTEND", event.end.astimezone(zone))
    vevent.add("SUMMARY", summary)
    vevent.add("DESCRIPTION", "\n\n".join(paragraphs))
    if event.video_url:
        vevent.add("LOCATION", event.video_url)
        vevent.add("URL", vUri(event.video_url))
        vevent.add(
            "CONFERENCE",
            vUri(
                event.video_url,
                params={"VALUE": "URI", "FEATURE": ["AUDIO", "VIDEO"], "LABEL": _param(messages["label"])},
            ),
        )
    vevent.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("ORGANIZER", _address(event.organizer))
    for attendee in event.attendees:
        vevent.add("ATTENDEE", _address(attendee, attendee.role, rsvp=method in ("REQUEST", "CANCEL")))
    if method == "REQUEST":
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("TRIGGER", -timedelta(minutes=event.alarm_minutes))
        alarm.add("DESCRIPTION", summary)
        vevent.add_component(alarm)
    return vevent


def _check_event(event: InviteEvent) -> None:
    if event.locale not in MESSAGES:
        raise ValueError(f"unsupported locale {event.locale!r}")
    if event.sequence < 0:
        raise ValueError("sequence must be >= 0")
    if event.alarm_minutes < 0:
        raise ValueError("alarm_minutes must be >= 0")
    if event.start.tzinfo is None or event.end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if event.end <= event.start:
        raise ValueError("end must be after start")
    if event.video_url:
        _check_url(event.video_url)
    if event.manage_url is not None:
        _check_url(event.manage_url)


def _zone(tzid: str) -> ZoneInfo:
    """The IANA zone; unknown or malformed keys (so any TZID injection) raise ValueError."""
    try:
        return ZoneInfo(tzid)
    except (KeyError, ValueError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {tzid!r}") from error


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(UTC)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
_PARAM_UNSAFE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]+")
_URI_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\x85\u2028\u2029\"<>\\]")


def _text(value: str) -> str:
    """A TEXT value: CRLF/CR become LF (escaped as ``\\n``), other control characters a space."""
    return (_CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n")))


def _param(value: str) -> str:
    """A parameter value: no control characters, no double quotes, single line."""
    return " ".join(_PARAM_UNSAFE.sub(" ", value).replace('"', "'").split())


def _check_url(url: str) -> None:
    if not re.match(r"https?://[^/]", url) or _URI_UNSAFE.search(url):
        raise ValueError("URL must be http(s) without whitespace, quotes or control characters")


def _address(person: Attendee, role: str | None = None, rsvp: bool = False) -> vCalAddress:
    """``mailto:`` address with a sanitized CN (plus ROLE, PARTSTAT and RSVP for attendees)."""
    from icalendar import vCalAddress

    if person.email.count("@") != 1 or ":" in person.email or _URI_UNSAFE.search(person.email):
        raise ValueError("e-mail must be one address without whitespace or control characters")
    address = vCalAddress(f"mailto:{person.email}")
    name = _param(person.name)
    if name:
        address.params["CN"] = name
    if role is not None:
        if role not in ROLES:
            raise ValueError(f"unsupported ROLE {role!r}")
        address.params["ROLE"] = role
    if rsvp:
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "TRUE"
    return address
