"""What the use cases need from the outside world."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from ..scheduling.holds import AgentDay
from ..scheduling.model import Office

Clock = Callable[[], datetime]


class Offices(Protocol):
    def get(self, office_id: str) -> Office: ...

    def put(self, document: dict[str, Any], now: datetime) -> Office: ...

    def ledger(self, office_id: str, first: date, last: date, consistent: bool = False) -> list[AgentDay]: ...


class HoldsChanged(Exception):
    """An agent-day changed since it was read: read again and decide again."""


class CitizenLimitReached(Exception):
    """The citizen's e-mail or phone already holds the maximum of active bookings."""


class BookingChanged(Exception):
    """The booking changed since it was read (another cancel or move won)."""


class KeyInUse(Exception):
    """Another request holds this idempotency key."""


class ContactLimitReached(Exception):
    """The e-mail or phone booked too often today (across offices)."""
