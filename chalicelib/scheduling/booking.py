"""Bookings and their rules: what a booking is, when it may change, secrets."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .availability import busy_span
from .contact import Citizen
from .errors import Conflict, FieldError, InvalidInput
from .holds import local_dates
from .model import Office, Service

CONFIRMED, CANCELLED, COMPLETED, NO_SHOW = "confirmed", "cancelled", "completed", "no_show"
STATUSES = (CONFIRMED, CANCELLED, COMPLETED, NO_SHOW)
# Outside these, nobody books an appointment, and date arithmetic near year 1 or 9999 overflows.
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Booking:
    id: str
    office_id: str
    service_id: str
    agent_id: str
    status: str
    channel: str
    start: datetime
    end: datetime
    citizen: Citizen
    notes: str | None
    token_hash: str
    video_room: str | None
    sequence: int
    created_at: datetime
    updated_at: datetime
    hold_days: tuple[date, ...]
    hold: tuple[int, int]  # epoch seconds the agent is held, buffers included
    sms_used: int = 0  # SMS planned so far (capped per booking)

    @property
    def active(self) -> bool:
        return self.status == CONFIRMED


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(booking: Booking | None, token: str | None) -> bool:
    """Constant-time; a missing booking and a wrong token are the same answer."""
    expected = booking.token_hash if booking else "0" * 64
    return hmac.compare_digest(expected, hash_token(token or "")) and booking is not None and bool(token)


def hold_for(office: Office, service: Service, start: datetime) -> tuple[tuple[int, int], tuple[date, ...]]:
    """The agent's held span (buffers included) and the local dates it touches."""
    span = busy_span(service, start)
    return (int(span[0].timestamp()), int(span[1].timestamp())), tuple(local_dates(span, ZoneInfo(office.timezone)))


def parse_start(raw: object, field: str = "start") -> datetime:
    """A UTC instant, ISO 8601 with ``Z`` or an offset."""
    if not isinstance(raw, str):
        raise InvalidInput(FieldError(field, "is required: an ISO 8601 instant such as 2027-03-30T07:00:00Z"))
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(FieldError(field, "must be an ISO 8601 instant such as 2027-03-30T07:00:00Z")) from None
    if value.tzinfo is None:
        raise InvalidInput(FieldError(field, "needs a zone: end it with Z (UTC)"))
    if not EARLIEST <= value < LATEST:
        raise InvalidInput(FieldError(field, "must be between the years 2000 and 2999"))
    return value


def ensure_changeable(booking: Booking, service: Service, office: Office, now: datetime) -> None:
    """Cancel and move are refused once the appointment started or inside the cut-off."""
    if booking.status != CONFIRMED:
        raise Conflict("not_active", f"The booking is {booking.status}; it can no longer be changed.")
    if now >= booking.start:
        raise Conflict("already_started", "The appointment has already started.")
    cutoff = service.change_cutoff_minutes
    if cutoff is None:
        cutoff = office.policy.change_cutoff_minutes
    if now > booking.start - timedelta(minutes=cutoff):
        raise Conflict("too_late", f"Changes close {cutoff} minutes before the appointment; "
                                   "please call or e-mail the office.")


def moved(booking: Booking, start: datetime, end: datetime, agent_id: str, hold: tuple[int, int],
          hold_days: tuple[date, ...], now: datetime) -> Booking:
    return replace(booking, start=start, end=end, agent_id=agent_id, hold=hold, hold_days=hold_days,
                   sequence=booking.sequence + 1, updated_at=now)


def cancelled(booking: Booking, now: datetime) -> Booking:
    return replace(booking, status=CANCELLED, sequence=booking.sequence + 1, updated_at=now)
