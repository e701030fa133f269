"""An office's configuration: a plain document (parsed YAML or stored JSON) to an ``Office``.

Every problem is collected with its path inside the document, so an operator
sees all of them at once: ``services[1].duration_minutes: must be a whole
number between 5 and 480``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import (
    CHANNELS,
    DEFAULT_REMINDERS,
    LOCALES,
    WEEKDAYS,
    Absence,
    AbuseLimits,
    Agent,
    BookingPolicy,
    Contact,
    HolidayRules,
    MessagingPolicy,
    Office,
    Reminder,
    Service,
    TimeRange,
    WeeklyHours,
)

T = TypeVar("T")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.reason}"


class InvalidOfficeConfig(Exception):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def parse_office(doc: Any, check_holidays: bool = True) -> Office:
    """Validate and build; raises ``InvalidOfficeConfig`` listing every problem.

    Stored documents were checked when loaded: reading them back skips the
    holiday-region check, which imports the whole ``holidays`` package.
    """
    reader = _Reader(check_holidays)
    office = reader.office(doc)
    if reader.problems or office is None:
        raise InvalidOfficeConfig(reader.problems)
    return office


class _Reader:
    def __init__(self, check_holidays: bool = True) -> None:
        self.problems: list[ConfigProblem] = []
        self.check_holidays = check_holidays

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(ConfigProblem(path, reason))

    # -- generic fields -------------------------------------------------
    def get(self, doc: Mapping, key: str, path: str, kind: type | tuple, required: bool = True, default: Any = None):
        sub = f"{path}.{key}" if path else key
        if key not in doc or doc[key] is None:
            if required:
                self.fail(sub, "is required")
            return default
        value = doc[key]
        if isinstance(value, bool) and kind is int or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(sub, f"must be of type {names}, not {type(value).__name__}")
            return default
        return value

    def integer(self, doc: Mapping, key: str, path: str, low: int, high: int, default: int | None = None) -> int:
        value = self.get(doc, key, path, int, required=default is None, default=default)
        if value is not None and not low <= value <= high:
            self.fail(f"{path}.{key}", f"must be a whole number between {low} and {high}")
            return default if default is not None else low
        return value if value is not None else low

    def identifier(self, doc: Mapping, key: str, path: str) -> str:
        value = self.get(doc, key, path, str) or ""
        if value and not _ID.match(value):
            self.fail(f"{path}.{key}" if path else key, "must be lowercase letters, digits and dashes (max 63)")
        return value

    def texts(self, doc: Mapping, key: str, path: str, locales: tuple[str, ...], required: bool = True) -> dict:
        value = self.get(doc, key, path, dict, required=required, default={}) or {}
        sub = f"{path}.{key}" if path else key
        for locale in locales:
            if required and not isinstance(value.get(locale), str):
                self.fail(f"{sub}.{locale}", "is required: a text for every office locale")
        for locale, text in value.items():
            if locale not in LOCALES:
                self.fail(f"{sub}.{locale}", f"unknown locale; use one of {', '.join(LOCALES)}")
            elif not isinstance(text, str) or not text.strip():
                self.fail(f"{sub}.{locale}", "must be a non-empty text")
        return {k: v.strip() for k, v in value.items() if isinstance(v, str)}

    def each(self, items: list, path: str, read: Callable[[Any, str], T | None]) -> list[T]:
        out = []
        for i, item in enumerate(items):
            sub = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.fail(sub, "must be a mapping")
                continue
            value = read(item, sub)
            if value is not None:
                out.append(value)
        return out

    # -- time -----------------------------------------------------------
    def ranges(self, value: Any, path: str) -> tuple[TimeRange, ...]:
        if not isinstance(value, list):
            self.fail(path, 'must be a list of "HH:MM-HH:MM" ranges')
            return ()
        out: list[TimeRange] = []
        for i, text in enumerate(value):
            match = _RANGE.match(text) if isinstance(text, str) else None
            start = int(match[1]) * 60 + int(match[2]) if match else -1
            end = int(match[3]) * 60 + int(match[4]) if match else -1
            if not match or int(match[2]) > 59 or int(match[4]) > 59 or not 0 <= start < end <= 1440:
                self.fail(f"{path}[{i}]", 'must be "HH:MM-HH:MM" with start before end (24:00 allowed as end)')
                continue
            if any(start < e and s < end for s, e in out):
                self.fail(f"{path}[{i}]", "overlaps another range of the same day")
                continue
            out.append((start, end))
        return tuple(sorted(out))

    def weekly(self, doc: Any, path: str) -> WeeklyHours:
        if not isinstance(doc, dict):
            self.fail(path, "must map weekdays (mon..sun) to lists of ranges")
            return WeeklyHours({})
        days: dict[int, tuple[TimeRange, ...]] = {}
        for key, value in doc.items():
            if key not in WEEKDAYS:
                self.fail(f"{path}.{key}", f"unknown weekday; use {', '.join(WEEKDAYS)}")
                continue
            days[WEEKDAYS.index(key)] = self.ranges(value or [], f"{path}.{key}")
        return WeeklyHours(days)

    def exceptions(self, doc: Any, path: str) -> dict[date, tuple[TimeRange, ...]]:
        out: dict[date, tuple[TimeRange, ...]] = {}
        for key, value in (doc or {}).items() if isinstance(doc, dict) else ():
            day = self.day(key, f"{path}.{key}")
            if day is not None:
                out[day] = self.ranges(value or [], f"{path}.{key}")
        if doc is not None and not isinstance(doc, dict):
            self.fail(path, "must map dates (YYYY-MM-DD) to lists of ranges ([] closes the day)")
        return out

    def day(self, value: Any, path: str) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(path, "must be a date YYYY-MM-DD")
            return None

    def wall_time(self, value: Any, path: str) -> datetime | None:
        try:
            parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is not None:
            self.fail(path, "must be a local date and time YYYY-MM-DDTHH:MM (office zone, no offset)")
            return None
        return parsed

    # -- sections -------------------------------------------------------
    def office(self, doc: Any) -> Office | None:
        if not isinstance(doc, dict):
            self.fail("", "the file must hold a mapping (an office)")
            return None
        office_id = self.identifier(doc, "id", "")
        locales = tuple(self.get(doc, "locales", "", list, default=[]) or ())
        for i, locale in enumerate(locales):
            if locale not in LOCALES:
                self.fail(f"locales[{i}]", f"unknown locale {locale!r}; use {', '.join(LOCALES)}")
        if not locales:
            self.fail("locales", "needs at least one of " + ", ".join(LOCALES))
        locales = tuple(loc for loc in locales if loc in LOCALES) or ("en",)
        zone = self.get(doc, "timezone", "", str, default="UTC")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("timezone", f"unknown IANA time zone {zone!r}")
            zone = "UTC"
        contact_doc = self.get(doc, "contact", "", dict, default={}) or {}
        contact = Contact(
            self.get(contact_doc, "email", "contact", str, default=""),
            self.get(contact_doc, "phone", "contact", str, default=""),
        )
        hours = self.weekly(doc.get("opening_hours"), "opening_hours")
        hours = WeeklyHours(hours.days, self.exceptions(doc.get("date_exceptions"), "date_exceptions"))
        services = self.each(self.get(doc, "services", "", list, default=[]) or [], "services",
                             lambda d, p: self.service(d, p, locales))
        service_ids = {s.id for s in services}
        agents = self.each(self.get(doc, "agents", "", list, default=[]) or [], "agents",
                           lambda d, p: self.agent(d, p, service_ids))
        self.unique([s.id for s in services], "services")
        self.unique([a.id for a in agents], "agents")
        for service in services:
            if not any(service.id in a.services for a in agents):
                self.fail(f"services.{service.id}", "no agent handles this service")
        return Office(
            id=office_id,
            names=self.texts(doc, "name", "", locales),
            timezone=zone,
            locales=locales,
            contact=contact,
            hours=hours,
            holidays=self.holidays(doc.get("holidays"), "holidays"),
            services={s.id: s for s in services},
            agents={a.id: a for a in agents},
            policy=self.policy(doc.get("booking") or {}, "booking"),
            messaging=self.messaging(doc.get("messages") or {}, "messages"),
            limits=self.limits(doc.get("limits") or {}, "limits"),
            branding=self.branding(doc.get("branding") or {}, "branding"),
            privacy_notice=self.texts(doc, "privacy_notice", "", locales, required=False),
        )

    def unique(self, ids: list[str], path: str) -> None:
        for seen in {i for i in ids if ids.count(i) > 1}:
            self.fail(path, f"id {seen!r} is used more than once")

    def service(self, doc: Mapping, path: str, locales: tuple[str, ...]) -> Service:
        channels = tuple(self.get(doc, "channels", path, list, required=False, default=["video"]) or ())
        for i, channel in enumerate(channels):
            if channel not in CHANNELS:
                self.fail(f"{path}.channels[{i}]", f"unknown channel; use {', '.join(CHANNELS)}")
        duration = self.integer(doc, "duration_minutes", path, 5, 480)
        cutoff = doc.get("change_cutoff_minutes")
        return Service(
            id=self.identifier(doc, "id", path),
            names=self.texts(doc, "name", path, locales),
            duration_minutes=duration,
            step_minutes=self.integer(doc, "step_minutes", path, 5, 480, default=duration),
            buffer_before_minutes=self.integer(doc, "buffer_before_minutes", path, 0, 120, default=0),
            buffer_after_minutes=self.integer(doc, "buffer_after_minutes", path, 0, 120, default=0),
            min_notice_minutes=self.integer(doc, "min_notice_minutes", path, 0, 60 * 24 * 30, default=0),
            horizon_days=self.integer(doc, "horizon_days", path, 1, 730, default=120),
            channels=channels,
            change_cutoff_minutes=None if cutoff is None else self.integer(doc, "change_cutoff_minutes",
                                                                           path, 0, 60 * 24 * 7),
            reminders=None if "reminders" not in doc else self.reminders(doc["reminders"], f"{path}.reminders"),
        )

    def agent(self, doc: Mapping, path: str, service_ids: set[str]) -> Agent:
        services = self.get(doc, "services", path, list, default=[]) or []
        for i, sid in enumerate(services):
            if sid not in service_ids:
                self.fail(f"{path}.services[{i}]", f"unknown service {sid!r}")
        hours = None
        if doc.get("hours") is not None or doc.get("exceptions") is not None:
            weekly = self.weekly(doc["hours"], f"{path}.hours") if doc.get("hours") is not None else None
            hours = WeeklyHours(weekly.days if weekly else {d: ((0, 1440),) for d in range(7)},
                                self.exceptions(doc.get("exceptions"), f"{path}.exceptions"))
        absences = []
        for i, item in enumerate(self.get(doc, "absences", path, list, required=False, default=[]) or []):
            sub = f"{path}.absences[{i}]"
            start = self.wall_time(item.get("start") if isinstance(item, dict) else None, f"{sub}.start")
            end = self.wall_time(item.get("end") if isinstance(item, dict) else None, f"{sub}.end")
            if start and end and start >= end:
                self.fail(sub, "start must be before end")
            elif start and end:
                absences.append(Absence(start, end))
        url = self.get(doc, "busy_calendar_url", path, str, required=False)
        if url and not url.startswith(("http://", "https://")):
            self.fail(f"{path}.busy_calendar_url", "must be an http or https URL")
        return Agent(
            id=self.identifier(doc, "id", path),
            display_name=(self.get(doc, "display_name", path, str, default="") or "").strip(),
            email=self.get(doc, "email", path, str, default=""),
            services=frozenset(services),
            hours=hours,
            absences=tuple(absences),
            busy_calendar_url=url,
        )

    def holidays(self, doc: Any, path: str) -> HolidayRules:
        if not isinstance(doc, dict):
            self.fail(path, "must give at least a country (ISO code), e.g. {country: ES, subdivision: CT}")
            return HolidayRules("ES")
        country = self.get(doc, "country", path, str, default="ES")
        subdivision = self.get(doc, "subdivision", path, str, required=False)
        supported: dict = {}
        if self.check_holidays:
            import holidays as package  # validation only: the operator's CLI and the first load

            supported = package.list_supported_countries()
        if supported and country not in supported:
            self.fail(f"{path}.country", f"country {country!r} is not known to the holidays package")
        elif supported and subdivision is not None and subdivision not in supported[country]:
            self.fail(f"{path}.subdivision", f"{country} has no subdivision {subdivision!r}; "
                      f"use one of {', '.join(supported[country])}")
        local = [self.day(v.get("date") if isinstance(v, dict) else v, f"{path}.local[{i}]")
                 for i, v in enumerate(self.get(doc, "local", path, list, required=False, default=[]) or [])]
        return HolidayRules(country, subdivision, frozenset(d for d in local if d))

    def policy(self, doc: Any, path: str) -> BookingPolicy:
        if not isinstance(doc, dict):
            self.fail(path, "must be a mapping")
            return BookingPolicy()
        return BookingPolicy(
            max_active_per_citizen=self.integer(doc, "max_active_per_citizen", path, 1, 50, default=2),
            change_cutoff_minutes=self.integer(doc, "change_cutoff_minutes", path, 0, 60 * 24 * 7, default=60),
            retention_days=self.integer(doc, "retention_days", path, 1, 3650, default=90),
        )

    def limits(self, doc: Any, path: str) -> AbuseLimits:
        if not isinstance(doc, dict):
            self.fail(path, "must be a mapping")
            return AbuseLimits()
        return AbuseLimits(
            bookings_per_ip_per_hour=self.integer(doc, "bookings_per_ip_per_hour", path, 1, 10_000, default=10),
            bookings_per_contact_per_day=self.integer(doc, "bookings_per_contact_per_day", path, 1, 100, default=5),
            sms_per_day=self.integer(doc, "sms_per_day", path, 0, 1_000_000, default=500),
            slot_listings_per_ip_per_minute=self.integer(doc, "slot_listings_per_ip_per_minute", path, 1, 100_000,
                                                         default=120),
        )

    def reminders(self, value: Any, path: str) -> tuple[Reminder, ...]:
        if not isinstance(value, list):
            self.fail(path, "must be a list of {before_minutes, channels}")
            return ()
        out = []
        for i, item in enumerate(value):
            sub = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.fail(sub, "must be a mapping")
                continue
            before = self.integer(item, "before_minutes", sub, 10, 60 * 24 * 14)
            channels = tuple(self.get(item, "channels", sub, list, default=[]) or ())
            for j, channel in enumerate(channels):
                if channel not in ("email", "sms"):
                    self.fail(f"{sub}.channels[{j}]", "must be email or sms")
            out.append(Reminder(before, tuple(c for c in channels if c in ("email", "sms"))))
        return tuple(out)

    def messaging(self, doc: Any, path: str) -> MessagingPolicy:
        if not isinstance(doc, dict):
            self.fail(path, "must be a mapping")
            return MessagingPolicy()
        quiet = self.ranges_wrapping(doc.get("quiet_hours", "21:00-09:00"), f"{path}.quiet_hours")
        countries = self.get(doc, "sms_allowed_countries", path, list, required=False, default=["ES"]) or []
        for i, code in enumerate(countries):
            if not (isinstance(code, str) and len(code) == 2 and code.isupper()):
                self.fail(f"{path}.sms_allowed_countries[{i}]", "must be an ISO country code like ES")
        reminders = DEFAULT_REMINDERS if "reminders" not in doc else self.reminders(doc["reminders"],
                                                                                    f"{path}.reminders")
        return MessagingPolicy(
            reminders=reminders, quiet_start=quiet[0], quiet_end=quiet[1],
            sms_countries=frozenset(c for c in countries if isinstance(c, str)),
            sms_per_booking=self.integer(doc, "sms_per_booking", path, 0, 20, default=6),
            sender_email=self.get(doc, "sender_email", path, str, required=False),
        )

    def ranges_wrapping(self, value: Any, path: str) -> tuple[int, int]:
        match = _RANGE.match(value) if isinstance(value, str) else None
        if not match or int(match[1]) > 23 or int(match[3]) > 23 or int(match[2]) > 59 or int(match[4]) > 59:
            self.fail(path, 'must be "HH:MM-HH:MM" (it may wrap midnight, e.g. 21:00-09:00)')
            return 21 * 60, 9 * 60
        return int(match[1]) * 60 + int(match[2]), int(match[3]) * 60 + int(match[4])

    def branding(self, doc: Any, path: str) -> dict[str, str]:
        if not isinstance(doc, dict):
            self.fail(path, "must be a mapping")
            return {}
        color = doc.get("color")
        if color is not None and not (isinstance(color, str) and _COLOR.match(color)):
            self.fail(f"{path}.color", "must be a colour like #00589b")
        logo = doc.get("logo_url")
        if logo is not None and not (isinstance(logo, str) and logo.startswith(("https://", "/"))):
            self.fail(f"{path}.logo_url", "must be an https URL or a path served by the app")
        return {k: v for k, v in doc.items() if isinstance(v, str)}
