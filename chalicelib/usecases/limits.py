"""Abuse limits: who may book, list and text how often (fixed windows, counted in DynamoDB)."""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..scheduling.contact import Citizen
from ..scheduling.errors import NotFound, TooManyRequests
from ..scheduling.model import Office
from ..scheduling.outbox import SMS, Message

HOUR, MINUTE, DAY = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
log = logging.getLogger("scheduler.limits")


def _window(now: datetime, size: timedelta) -> tuple[str, datetime]:
    start = datetime.fromtimestamp(now.timestamp() // size.total_seconds() * size.total_seconds(), now.tzinfo)
    return start.strftime("%Y-%m-%dT%H:%M"), start + size


def _hit(store: Any, scope: str, who: str, now: datetime, size: timedelta, limit: int, what: str) -> None:
    window, ends = _window(now, size)
    if store.hit(scope, who, window, limit, int((ends + DAY).timestamp())) is None:
        raise TooManyRequests(f"Too many {what} from your connection; try again later.",
                              math.ceil((ends - now).total_seconds()))


def booking_attempt(store: Any, office: Office, ip: str | None, now: datetime) -> None:
    if store is not None and ip:
        _hit(store, "booking-ip", f"{office.id}|{ip}", now, HOUR, office.limits.bookings_per_ip_per_hour,
             "bookings")


def slot_listing(store: Any, office: Office, ip: str | None, now: datetime) -> None:
    if store is not None and ip:
        _hit(store, "slots-ip", f"{office.id}|{ip}", now, MINUTE, office.limits.slot_listings_per_ip_per_minute,
             "requests")


def contact_counters(office: Office, citizen: Citizen, now: datetime) -> list[tuple[str, str, str, int, int]]:
    """Per e-mail and per phone, across offices: written inside the booking's transaction."""
    window, ends = _window(now, DAY)
    expires = int((ends + DAY).timestamp())
    limit = office.limits.bookings_per_contact_per_day
    return [("booking-contact", value, window, limit, expires) for value in (citizen.email, citizen.phone)]


def contact_limit_error(now: datetime) -> TooManyRequests:
    _, ends = _window(now, DAY)
    return TooManyRequests("Too many bookings for this e-mail address or phone number today.",
                           math.ceil((ends - now).total_seconds()))


def sms_gate(store: Any, offices: Any, clock: Callable[[], datetime],
             metric: Callable[..., None]) -> Callable[[Message], str | None]:
    """Before each SMS: count it against the office's daily cap. Alert at 80 %, stop at 100 %.

    A gate lives for one sweep or request: it reads each office once. No SMS goes out on behalf of
    an office that no longer exists (and its messages cannot stop the sweep)."""
    seen: dict[str, Office | None] = {}

    def office_of(office_id: str) -> Office | None:
        if office_id not in seen:
            try:
                seen[office_id] = offices.get(office_id)
            except NotFound:
                seen[office_id] = None
        return seen[office_id]

    def refusal(message: Message) -> str | None:
        if message.channel != SMS or store is None:
            return None
        office = office_of(message.office_id)
        if office is None:
            log.warning("SMS of an unknown office not sent", extra={"office_id": message.office_id,
                                                                    "booking_id": message.booking_id})
            return "UnknownOffice: the office no longer exists"
        cap = office.limits.sms_per_day
        now = clock()
        day = now.astimezone(ZoneInfo(office.timezone)).date().isoformat()
        count = store.hit("sms-day", office.id, day, cap, int((now + 2 * DAY).timestamp())) if cap else None
        if count is None:
            metric("SmsCapReached", 1, "Count", office.id)
            return "DailySmsCap: the office's SMS cap for today is reached"
        if count >= 0.8 * cap > count - 1:
            metric("SmsCapWarning", count, "Count", office.id)
        return None

    return refusal
