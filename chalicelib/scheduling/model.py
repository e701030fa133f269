"""The office's words as frozen values: Office, Service, Agent, Slot, Booking."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHANNELS = ("video", "phone", "in_person")
LOCALES = ("ca", "es", "en")

TimeRange = tuple[int, int]
"""A wall-clock range ``[start, end)`` on one local date, in minutes after midnight (end <= 1440)."""


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours per weekday (0 = Monday), several ranges per day allowed.

    ``exceptions`` replace a whole date's ranges (an empty tuple closes it).
    """

    days: Mapping[int, tuple[TimeRange, ...]]
    exceptions: Mapping[date, tuple[TimeRange, ...]] = field(default_factory=dict)

    def on(self, day: date) -> tuple[TimeRange, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.days.get(day.weekday(), ())


@dataclass(frozen=True)
class Absence:
    """An agent's absence, as naive local wall-clock instants in the office zone."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Reminder:
    """Send on ``channels`` this long before the appointment."""

    before_minutes: int
    channels: tuple[str, ...]


DEFAULT_REMINDERS = (Reminder(24 * 60, ("email", "sms")), Reminder(120, ("sms",)))


@dataclass(frozen=True)
class MessagingPolicy:
    """Reminders, quiet hours (wall-clock minutes, wrapping midnight) and SMS limits."""

    reminders: tuple[Reminder, ...] = DEFAULT_REMINDERS
    quiet_start: int = 21 * 60
    quiet_end: int = 9 * 60
    sms_countries: frozenset[str] = frozenset({"ES"})
    sms_per_booking: int = 6
    sender_email: str | None = None


@dataclass(frozen=True)
class Service:
    id: str
    names: Mapping[str, str]
    duration_minutes: int
    step_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 0
    horizon_days: int = 120
    channels: tuple[str, ...] = ("video",)
    change_cutoff_minutes: int | None = None
    reminders: tuple[Reminder, ...] | None = None  # None: the office's


@dataclass(frozen=True)
class Agent:
    id: str
    display_name: str
    email: str
    services: frozenset[str]
    hours: WeeklyHours | None = None
    absences: tuple[Absence, ...] = ()
    busy_calendar_url: str | None = None


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str


@dataclass(frozen=True)
class HolidayRules:
    """Public holidays from the ``holidays`` package plus dates listed locally.

    ``public`` caches the package's dates for ``public_years`` (inclusive), so
    requests need not import the package (60 ms of cold start).
    """

    country: str
    subdivision: str | None = None
    local: frozenset[date] = frozenset()
    public: frozenset[date] = frozenset()
    public_years: tuple[int, int] | None = None


@dataclass(frozen=True)
class BookingPolicy:
    max_active_per_citizen: int = 2
    change_cutoff_minutes: int = 60
    retention_days: int = 90


@dataclass(frozen=True)
class AbuseLimits:
    """Counters against slot hoarding, bots and SMS pumping (WAF and API Gateway throttling come first)."""

    bookings_per_ip_per_hour: int = 10
    bookings_per_contact_per_day: int = 5  # per e-mail and per phone, across offices
    sms_per_day: int = 500  # the office's daily SMS cap (alert at 80 %)
    slot_listings_per_ip_per_minute: int = 120


@dataclass(frozen=True)
class Office:
    id: str
    names: Mapping[str, str]
    timezone: str
    locales: tuple[str, ...]
    contact: Contact
    hours: WeeklyHours
    holidays: HolidayRules
    services: Mapping[str, Service]
    agents: Mapping[str, Agent]
    policy: BookingPolicy = BookingPolicy()
    messaging: MessagingPolicy = MessagingPolicy()
    limits: AbuseLimits = AbuseLimits()
    branding: Mapping[str, str] = field(default_factory=dict)
    privacy_notice: Mapping[str, str] = field(default_factory=dict)

    @property
    def default_locale(self) -> str:
        return self.locales[0]

    def name(self, locale: str | None = None) -> str:
        return self.names.get(locale or self.default_locale) or self.names[self.default_locale]

    def reminders_for(self, service: Service) -> tuple[Reminder, ...]:
        return self.messaging.reminders if service.reminders is None else service.reminders

    def agents_for(self, service_id: str) -> tuple[Agent, ...]:
        """Qualified agents in configuration order (the order ties rotate over)."""
        return tuple(a for a in self.agents.values() if service_id in a.services)


@dataclass(frozen=True)
class Slot:
    """A bookable start: ``[start, end)`` in UTC and the agents free for it."""

    start: datetime
    end: datetime
    agent_ids: tuple[str, ...]
