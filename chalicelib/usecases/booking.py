"""Book, read, cancel and move appointments.

The guard against double booking is the storage's conditional write on each
agent-day it holds: read the agent-days (consistently), decide in the core,
write with a condition that they are unchanged. If another writer won in
between, read again and decide again: the next free agent, or a 409.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..scheduling import booking as rules
from ..scheduling.availability import find_slots, rank_agents
from ..scheduling.booking import Booking
from ..scheduling.contact import parse_citizen, parse_notes
from ..scheduling.errors import Conflict, FieldError, InvalidInput, NotFound, Unprocessable
from ..scheduling.holds import AgentDay, busy_by_agent
from ..scheduling.holidays import closed_dates
from ..scheduling.model import Office, Service, Slot
from ..scheduling.outbox import CANCELLATION, CHANGE, CONFIRMATION, Plan
from . import limits
from .notices import plan_for
from .ports import BookingChanged, CitizenLimitReached, ContactLimitReached, HoldsChanged, KeyInUse
from .slots import find_service

log = logging.getLogger("scheduler.booking")
MAX_ATTEMPTS = 12
ALTERNATIVES = 3
ALTERNATIVES_SEARCH_DAYS = 31


@dataclass
class Deps:
    """The ports booking needs (the composition root fills them)."""

    offices: Any
    bookings: Any
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    new_token: Callable[[], str]
    video: Any
    public_url: str
    sender_email: str = "no-reply@example.org"
    deliver: Callable[[list], Any] | None = None
    limits: Any = None
    sms_countries: frozenset[str] | None = None  # the deployment's; None: each office's list alone


@dataclass(frozen=True)
class Created:
    booking: Booking
    office: Office
    token: str
    replayed: bool = False


def manage_url(deps: Deps, booking_id: str, token: str) -> str:
    return f"{deps.public_url}/manage/{booking_id}?token={token}"


def _send_now(deps: Deps, plan: Plan) -> None:
    """Committed: try to send at once. Whatever fails here, the sweep sends later."""
    if deps.deliver is None:
        return
    try:
        deps.deliver([m for m in plan.put if m.due <= deps.clock()])
    except Exception:
        log.warning("immediate delivery failed; the sweep will retry", exc_info=True)


def _plan(deps: Deps, kind: str, booking: Booking, office: Office, token: str, now: datetime,
          previous_agent: str | None = None) -> Plan:
    return plan_for(kind, booking, office, deps.video, manage_url(deps, booking.id, token), deps.sender_email, now,
                    previous_agent, deps.sms_countries)


# -- create ----------------------------------------------------------------
def create_booking(deps: Deps, office_id: str, body: dict[str, Any], idempotency_key: str | None,
                   client_ip: str | None = None) -> Created:
    office = deps.offices.get(office_id)
    service, start, channel, citizen, notes = _parse_request(office, body)
    now = deps.clock()
    request_hash = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    if idempotency_key is not None:
        replay = _replay(deps, office, idempotency_key, request_hash, now)
        if replay:
            return replay
    limits.booking_attempt(deps.limits, office, client_ip, now)
    booking_id, token = deps.new_id(), deps.new_token()
    room = deps.video.new_room() if channel == "video" else None
    hold, hold_days = rules.hold_for(office, service, start)
    pruned = False
    for _ in range(MAX_ATTEMPTS):
        days = deps.offices.ledger(office.id, hold_days[0] - timedelta(days=1), hold_days[-1] + timedelta(days=1),
                                   consistent=True)
        slot = _slot_at(office, service, start, now, days)
        if slot is None:
            raise _taken(deps, office, service, start, now)
        for agent_id in rank_agents(slot, _order(office, service), _load(days, hold_days[0])):
            booking = Booking(
                id=booking_id, office_id=office.id, service_id=service.id, agent_id=agent_id,
                status=rules.CONFIRMED, channel=channel, start=start, end=slot.end, citizen=citizen, notes=notes,
                token_hash=rules.hash_token(token), video_room=room, sequence=0, created_at=now, updated_at=now,
                hold_days=hold_days, hold=hold,
            )
            idem = None
            if idempotency_key is not None:
                idem = (idempotency_key, request_hash, {"booking_id": booking_id, "wrapped_token":
                                                        _wrap(token, idempotency_key)})
            plan = _plan(deps, CONFIRMATION, booking, office, token, now)
            booking = replace(booking, sms_used=plan.sms_used)
            try:
                deps.bookings.create(booking, _holding(days, office.id, agent_id, hold_days, booking_id, hold),
                                     office.policy.max_active_per_citizen, office.policy.retention_days, idem, now,
                                     plan, limits.contact_counters(office, citizen, now) if deps.limits else [])
                _send_now(deps, plan)
                return Created(booking, office, token)
            except HoldsChanged:
                break  # someone else wrote this agent's day: read again, decide again
            except ContactLimitReached:
                raise limits.contact_limit_error(now) from None
            except CitizenLimitReached:
                if pruned:
                    raise Conflict("too_many_bookings",
                                   f"You already hold {office.policy.max_active_per_citizen} upcoming appointments "
                                   "at this office. Cancel one to book another.") from None
                deps.bookings.prune_citizen(office.id, citizen, now)
                pruned = True
                break
            except KeyInUse:
                replay = _replay(deps, office, idempotency_key or "", request_hash, now)
                if replay:
                    return replay
                raise Conflict("in_progress", "The same request is being processed; retry shortly.") from None
    raise _taken(deps, office, service, start, now)


def _parse_request(office: Office, body: dict[str, Any]) -> tuple[Service, datetime, str, Any, str | None]:
    errors: list[FieldError] = []

    def collect(read: Callable[[], Any]) -> Any:
        try:
            return read()
        except InvalidInput as error:
            errors.extend(error.errors)
            return None

    service_id = body.get("service_id")
    if not isinstance(service_id, str) or not service_id:
        errors.append(FieldError("service_id", "is required"))
        service = None
    else:
        service = office.services.get(service_id)
        if service is None:
            errors.append(FieldError("service_id", f"unknown service; use one of {', '.join(office.services)}"))
    start = collect(lambda: rules.parse_start(body.get("start")))
    channel = body.get("channel", "video")
    if service is not None and channel not in service.channels:
        errors.append(FieldError("channel", f"must be one of {', '.join(service.channels)}"))
    citizen = collect(lambda: parse_citizen(body.get("citizen"), office.holidays.country, office.locales))
    notes = collect(lambda: parse_notes(body.get("notes")))
    if errors:
        raise InvalidInput(errors)
    return service, start, channel, citizen, notes


def _replay(deps: Deps, office: Office, key: str, request_hash: str, now: datetime) -> Created | None:
    replay = deps.bookings.replay(office.id, key, now)
    if replay is None:
        return None
    if replay.request_hash != request_hash:
        raise Unprocessable("This Idempotency-Key was used with a different request; use a new key.")
    booking = deps.bookings.get(replay.booking_id, consistent=True)
    if booking is None:
        return None
    return Created(booking, office, _unwrap(replay.response["wrapped_token"], key), replayed=True)


def _pad(key: str, length: int) -> bytes:
    pad = hashlib.sha256(f"manage-token|{key}".encode()).digest()
    return (pad * (length // len(pad) + 1))[:length]


def _wrap(token: str, key: str) -> str:
    """XOR with a pad derived from the client's key: the stored reply reveals no token without the key."""
    raw = token.encode("ascii")
    return bytes(a ^ b for a, b in zip(raw, _pad(key, len(raw)))).hex()


def _unwrap(wrapped: str, key: str) -> str:
    raw = bytes.fromhex(wrapped)
    return bytes(a ^ b for a, b in zip(raw, _pad(key, len(raw)))).decode("ascii")


# -- read, cancel, move ----------------------------------------------------
def get_booking(deps: Deps, booking_id: str, token: str | None) -> tuple[Booking, Office]:
    booking = deps.bookings.get(booking_id) if _plausible(booking_id) else None
    if not rules.token_matches(booking, token):
        raise NotFound("No booking with this id and token.")
    return booking, deps.offices.get(booking.office_id)


def cancel_booking(deps: Deps, booking_id: str, token: str | None) -> tuple[Booking, Office]:
    booking, office = get_booking(deps, booking_id, token)
    for _ in range(MAX_ATTEMPTS):
        now = deps.clock()
        service = find_service(office, booking.service_id)
        rules.ensure_changeable(booking, service, office, now)
        days = [d.without(booking.id) for d in deps.bookings.ledger_days(office.id, booking.hold_days)
                if booking.id in d.entries]
        after = rules.cancelled(booking, now)
        plan = _plan(deps, CANCELLATION, after, office, token or "", now)
        after = replace(after, sms_used=plan.sms_used)
        try:
            deps.bookings.change(booking, after, days, office.policy.retention_days, plan)
            _send_now(deps, plan)
            return after, office
        except (HoldsChanged, BookingChanged):
            booking = deps.bookings.get(booking_id, consistent=True)
    raise Conflict("busy", "The booking is being changed by another request; retry shortly.")


def reschedule_booking(deps: Deps, booking_id: str, token: str | None, body: dict[str, Any]) -> tuple[Booking, Office]:
    booking, office = get_booking(deps, booking_id, token)
    start = rules.parse_start(body.get("start"))
    service = find_service(office, booking.service_id)
    hold, hold_days = rules.hold_for(office, service, start)
    for _ in range(MAX_ATTEMPTS):
        now = deps.clock()
        rules.ensure_changeable(booking, service, office, now)
        around = deps.offices.ledger(office.id, hold_days[0] - timedelta(days=1), hold_days[-1] + timedelta(days=1),
                                     consistent=True)
        own = [d for d in deps.bookings.ledger_days(office.id, booking.hold_days) if booking.id in d.entries]
        slot = _slot_at(office, service, start, now, around, ignore=booking.id)
        if slot is None:
            raise _taken(deps, office, service, start, now, ignore=booking.id)
        ranked = rank_agents(slot, _order(office, service), _load(around, hold_days[0]))
        agent_id = booking.agent_id if booking.agent_id in slot.agent_ids else ranked[0]
        released = {(d.agent_id, d.day): d.without(booking.id) for d in own}
        merged = {(d.agent_id, d.day): d for d in around}
        merged.update(released)
        taken = _holding(list(merged.values()), office.id, agent_id, hold_days, booking.id, hold)
        days = {**released, **{(d.agent_id, d.day): d for d in taken}}
        after = rules.moved(booking, start, start + timedelta(minutes=service.duration_minutes), agent_id, hold,
                            hold_days, now)
        plan = _plan(deps, CHANGE, after, office, token or "", now, previous_agent=booking.agent_id)
        after = replace(after, sms_used=plan.sms_used)
        try:
            deps.bookings.change(booking, after, list(days.values()), office.policy.retention_days, plan)
            _send_now(deps, plan)
            return after, office
        except (HoldsChanged, BookingChanged):
            booking = deps.bookings.get(booking_id, consistent=True)
    raise Conflict("busy", "The booking is being changed by another request; retry shortly.")


# -- helpers ---------------------------------------------------------------
def _plausible(booking_id: str) -> bool:
    return 0 < len(booking_id) <= 64 and booking_id.isalnum()


def _order(office: Office, service: Service) -> tuple[str, ...]:
    return tuple(a.id for a in office.agents_for(service.id))


def _load(days: list[AgentDay], day: date) -> dict[str, int]:
    return {d.agent_id: d.booking_count for d in days if d.day == day}


def _slot_at(office: Office, service: Service, start: datetime, now: datetime, days: list[AgentDay],
             ignore: str | None = None) -> Slot | None:
    local_day = start.astimezone(ZoneInfo(office.timezone)).date()
    if ignore:
        days = [d.without(ignore) for d in days]
    found = find_slots(office, service, local_day, local_day, now, closed_dates(office.holidays, local_day, local_day),
                       busy_by_agent(days))
    return next((s for s in found if s.start == start), None)


def _holding(days: list[AgentDay], office_id: str, agent_id: str, hold_days: tuple[date, ...], hold_id: str,
             hold: tuple[int, int]) -> list[AgentDay]:
    """The agent's days as read (or new), with the hold added."""
    read = {(d.agent_id, d.day): d for d in days}
    return [read.get((agent_id, day), AgentDay(office_id, day, agent_id)).with_hold(hold_id, hold) for day in hold_days]


def _taken(deps: Deps, office: Office, service: Service, start: datetime, now: datetime,
           ignore: str | None = None) -> Conflict:
    """409 with the next free slots from the requested time on."""
    tz = ZoneInfo(office.timezone)
    first = max(start, now).astimezone(tz).date()
    last = first + timedelta(days=ALTERNATIVES_SEARCH_DAYS)
    days = deps.offices.ledger(office.id, first - timedelta(days=1), last + timedelta(days=1))
    if ignore:
        days = [d.without(ignore) for d in days]
    found = find_slots(office, service, first, last, now, closed_dates(office.holidays, first, last),
                       busy_by_agent(days))
    later = [s for s in found if s.start > start][:ALTERNATIVES]
    return Conflict("slot_taken", "This time is not available (taken, off the grid or outside the booking window).",
                    {"alternatives": later, "timezone": office.timezone})
