"""List the free slots of a service."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..scheduling.availability import find_slots
from ..scheduling.errors import FieldError, InvalidInput, NotFound
from ..scheduling.holds import busy_by_agent
from ..scheduling.holidays import closed_dates
from ..scheduling.model import Office, Service, Slot
from .ports import Offices

MAX_RANGE_DAYS = 62
DEFAULT_RANGE_DAYS = 30


@dataclass(frozen=True)
class SlotListing:
    office: Office
    service: Service
    slots: list[Slot]


def find_service(office: Office, service_id: str) -> Service:
    try:
        return office.services[service_id]
    except KeyError:
        raise NotFound(f"Office {office.id!r} has no service {service_id!r}.") from None


def list_slots(
    offices: Offices, now: datetime, office_id: str, service_id: str, first: date | None, last: date | None,
    admit: Callable[[Office], None] | None = None,
) -> SlotListing:
    """Slots on local dates ``first..last`` (inclusive; default: the next 30 days). ``admit`` may refuse
    the caller (a rate limit) once the office is known."""
    office = offices.get(office_id)
    service = find_service(office, service_id)
    if admit is not None:
        admit(office)
    first = first or now.astimezone(ZoneInfo(office.timezone)).date()
    last = last or first + timedelta(days=DEFAULT_RANGE_DAYS)
    if last < first:
        raise InvalidInput(FieldError("to", "must not be before 'from'"))
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInput(FieldError("to", f"must be at most {MAX_RANGE_DAYS} days after 'from'"))
    return SlotListing(office, service, slots_between(offices, office, service, now, first, last))


def slots_between(
    offices: Offices, office: Office, service: Service, now: datetime, first: date, last: date,
    consistent: bool = False,
) -> list[Slot]:
    # A hold may straddle midnight: read one date either side.
    busy = busy_by_agent(offices.ledger(office.id, first - timedelta(days=1), last + timedelta(days=1), consistent))
    return find_slots(office, service, first, last, now, closed_dates(office.holidays, first, last), busy)
