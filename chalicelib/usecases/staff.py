"""What agents and supervisors do: agenda, outcomes, absences, reassignment, calendar feeds."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..scheduling import booking as rules
from ..scheduling.availability import find_slots, rank_agents
from ..scheduling.booking import COMPLETED, CONFIRMED, NO_SHOW, Booking
from ..scheduling.errors import Conflict, FieldError, InvalidInput, NotFound
from ..scheduling.holds import ABSENCE_PREFIX, busy_by_agent, local_dates
from ..scheduling.holidays import closed_dates
from ..scheduling.model import Office
from ..scheduling.outbox import CHANGE
from ..scheduling.staff import Principal, ensure_agent, ensure_office, ensure_supervisor
from .booking import MAX_ATTEMPTS, Deps, _holding, _send_now
from .notices import plan_for
from .ports import BookingChanged, HoldsChanged

MAX_AGENDA_DAYS = 62
ABSENCE_KEEP_DAYS = 400
OFFICE_FEED = "*office"


@dataclass
class StaffDeps:
    booking: Deps
    staff: Any  # StaffStore
    outbox: Any = None  # to show messages that could not be sent


@dataclass(frozen=True)
class Agenda:
    office: Office
    bookings: list[Booking]
    needs_reassignment: set[str]
    warnings: list[dict[str, Any]]
    agents: list[str]  # whom the caller may see: every agent of the office for a supervisor, else themselves


def _office(deps: StaffDeps, principal: Principal) -> Office:
    return deps.booking.offices.get(principal.office_id)


def _booking(deps: StaffDeps, principal: Principal, booking_id: str) -> tuple[Booking, Office]:
    booking = deps.booking.bookings.get(booking_id, consistent=True) if booking_id.isalnum() else None
    if booking is None:
        raise NotFound("No such booking.")
    office = deps.booking.offices.get(booking.office_id)
    ensure_office(principal, booking.office_id)
    if not principal.supervisor:
        ensure_agent(principal, office, booking.agent_id)
    return booking, office


# -- agenda ------------------------------------------------------------------
def agenda(deps: StaffDeps, principal: Principal, first: date | None, last: date | None,
           agent_id: str | None) -> Agenda:
    office = _office(deps, principal)
    tz = ZoneInfo(office.timezone)
    today = deps.booking.clock().astimezone(tz).date()
    first = first or today
    last = last or first + timedelta(days=6)
    if last < first:
        raise InvalidInput(FieldError("to", "must not be before 'from'"))
    if (last - first).days > MAX_AGENDA_DAYS:
        raise InvalidInput(FieldError("to", f"must be at most {MAX_AGENDA_DAYS} days after 'from'"))
    if not principal.supervisor:
        if agent_id not in (None, principal.agent_id):
            ensure_agent(principal, office, agent_id)
        agent_id = principal.agent_id
    elif agent_id is not None and agent_id not in office.agents:
        raise InvalidInput(FieldError("agent_id", "no such agent in your office"))
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    bookings = deps.staff.agenda(office.id, agent_id, start, end)
    absences = [a for a in deps.staff.absences(office.id) if agent_id in (None, a.agent_id)]
    clashing = {b.id for b in bookings if b.active and any(
        a.agent_id == b.agent_id and a.start < b.hold[1] and b.hold[0] < a.end for a in absences)}
    warnings = [{"kind": "calendar_sync_failed", "agent_id": aid, "error": s.last_error, "since": s.last_attempt}
                for aid, s in deps.staff.sync_status(office.id).items()
                if s.last_error and agent_id in (None, aid)]
    if deps.outbox is not None:
        shown = {b.id for b in bookings}
        warnings += [{"kind": "message_failed", "booking_id": f["booking_id"], "channel": f["channel"],
                      "message": f["kind"], "error": f["error"], "since": f["at"]}
                     for f in deps.outbox.failures() if f["office_id"] == office.id
                     and (principal.supervisor and agent_id is None or f["booking_id"] in shown)]
    agents = list(office.agents) if principal.supervisor else [principal.agent_id]
    return Agenda(office, bookings, clashing, warnings, [a for a in agents if a in office.agents])


def set_outcome(deps: StaffDeps, principal: Principal, booking_id: str, status: object) -> tuple[Booking, Office]:
    if status not in (COMPLETED, NO_SHOW):
        raise InvalidInput(FieldError("status", f"must be {COMPLETED} or {NO_SHOW}"))
    booking, office = _booking(deps, principal, booking_id)
    now = deps.booking.clock()
    if booking.status != CONFIRMED:
        raise Conflict("not_active", f"The booking is {booking.status}.")
    if now < booking.start:
        raise Conflict("not_started", "An outcome can be recorded once the appointment has begun.")
    after = replace(booking, status=str(status), updated_at=now)
    try:
        deps.booking.bookings.change(booking, after, [], office.policy.retention_days,
                                     _empty_plan(booking.id))
    except (BookingChanged, HoldsChanged):
        raise Conflict("busy", "The booking changed meanwhile; reload and retry.") from None
    return after, office


def _empty_plan(booking_id: str):
    from ..scheduling.outbox import Plan

    return Plan(booking_id)


# -- absences ----------------------------------------------------------------
def add_absence(deps: StaffDeps, principal: Principal, body: dict[str, Any]):
    office = _office(deps, principal)
    agent_id = body.get("agent_id")
    if agent_id is None or agent_id == "":
        agent_id = principal.agent_id
    if not isinstance(agent_id, str):
        raise InvalidInput(FieldError("agent_id", "must be an agent id"))
    ensure_agent(principal, office, agent_id)
    errors, span = [], []
    for name in ("start", "end"):
        try:
            span.append(rules.parse_start(body.get(name), name))
        except InvalidInput as error:
            errors.extend(error.errors)
    if errors:
        raise InvalidInput(errors)
    start, end = span
    if end <= start:
        raise InvalidInput(FieldError("end", "must be after 'start'"))
    if end - start > timedelta(days=90):
        raise InvalidInput(FieldError("end", "an absence may last at most 90 days; declare longer ones in parts"))
    from ..adapters.dynamodb.staff import Absence

    hold = (int(start.timestamp()), int(end.timestamp()))
    days = tuple(local_dates((start, end), ZoneInfo(office.timezone)))
    absence = Absence(deps.booking.new_id(), office.id, agent_id, hold[0], hold[1], days, principal.agent_id)
    for _ in range(MAX_ATTEMPTS):
        read = deps.staff.agent_days(office.id, agent_id, days[0], days[-1])
        held = _holding(read, office.id, agent_id, days, ABSENCE_PREFIX + absence.id, hold)
        try:
            deps.staff.put_absence(absence, held, deps.booking.clock(), ABSENCE_KEEP_DAYS)
            break
        except HoldsChanged:
            continue
    else:
        raise Conflict("busy", "The agent's calendar is changing; retry shortly.")
    affected = [b for b in deps.staff.agenda(office.id, agent_id, start - timedelta(hours=12), end)
                if b.active and b.hold[0] < hold[1] and hold[0] < b.hold[1]]
    return absence, affected, office


def remove_absence(deps: StaffDeps, principal: Principal, absence_id: str) -> None:
    office = _office(deps, principal)
    absence = deps.staff.absence(office.id, absence_id) if absence_id.isalnum() else None
    if absence is None:
        raise NotFound("No such absence.")
    ensure_agent(principal, office, absence.agent_id)
    for _ in range(MAX_ATTEMPTS):
        read = deps.staff.agent_days(office.id, absence.agent_id, absence.hold_days[0], absence.hold_days[-1])
        days = [d.without(ABSENCE_PREFIX + absence.id) for d in read if ABSENCE_PREFIX + absence.id in d.entries]
        try:
            deps.staff.delete_absence(absence, days)
            return
        except HoldsChanged:
            continue
    raise Conflict("busy", "The agent's calendar is changing; retry shortly.")


def list_absences(deps: StaffDeps, principal: Principal, agent_id: str | None):
    office = _office(deps, principal)
    if agent_id is not None or not principal.supervisor:
        ensure_agent(principal, office, agent_id or principal.agent_id)
        agent_id = agent_id or principal.agent_id
    return [a for a in deps.staff.absences(office.id) if agent_id in (None, a.agent_id)], office


# -- reassignment ------------------------------------------------------------
def reassign(deps: StaffDeps, principal: Principal, booking_id: str, body: dict[str, Any]) -> tuple[Booking, Office]:
    """Move a booking to another free agent at the same time (supervisors)."""
    ensure_supervisor(principal)
    booking, office = _booking(deps, principal, booking_id)
    wanted = body.get("agent_id")
    if wanted is not None and (not isinstance(wanted, str) or wanted not in office.agents):
        raise InvalidInput(FieldError("agent_id", "no such agent in your office"))
    service = office.services[booking.service_id]
    for _ in range(MAX_ATTEMPTS):
        now = deps.booking.clock()
        if not booking.active:
            raise Conflict("not_active", f"The booking is {booking.status}.")
        if now >= booking.start:
            raise Conflict("already_started", "The appointment has already started.")
        days = deps.booking.offices.ledger(office.id, booking.hold_days[0] - timedelta(days=1),
                                           booking.hold_days[-1] + timedelta(days=1), consistent=True)
        local_day = booking.start.astimezone(ZoneInfo(office.timezone)).date()
        free = find_slots(office, service, local_day, local_day, min(now, booking.start),
                          closed_dates(office.holidays, local_day, local_day), busy_by_agent(days))
        slot = next((s for s in free if s.start == booking.start), None)
        candidates = [a for a in (slot.agent_ids if slot else ()) if a != booking.agent_id]
        if wanted is not None:
            candidates = [a for a in candidates if a == wanted]
        if not candidates:
            raise Conflict("no_agent_free", "No other qualified agent is free at that time.")
        order = tuple(a.id for a in office.agents_for(service.id))
        load = {d.agent_id: d.booking_count for d in days if d.day == booking.hold_days[0]}
        agent_id = rank_agents(replace(slot, agent_ids=tuple(candidates)), order, load)[0]
        released = {(d.agent_id, d.day): d.without(booking.id) for d in days
                    if d.agent_id == booking.agent_id and booking.id in d.entries}
        taken = _holding(days, office.id, agent_id, booking.hold_days, booking.id, booking.hold)
        after = replace(booking, agent_id=agent_id, sequence=booking.sequence + 1, updated_at=now)
        plan = plan_for(CHANGE, after, office, deps.booking.video, None, deps.booking.sender_email, now,
                        previous_agent=booking.agent_id, sms_countries=deps.booking.sms_countries)
        # same time, same room: the reminders stand; staff do not hold the citizen's manage link
        plan = replace(plan, put=[m for m in plan.put if m.kind != "reminder"], delete=[])
        after = replace(after, sms_used=plan.sms_used)
        try:
            deps.booking.bookings.change(booking, after, [*released.values(), *taken], office.policy.retention_days,
                                         plan)
            _send_now(deps.booking, plan)
            return after, office
        except (HoldsChanged, BookingChanged):
            booking = deps.booking.bookings.get(booking_id, consistent=True)
    raise Conflict("busy", "The booking is being changed by another request; retry shortly.")


# -- calendar feeds ------------------------------------------------------------
def rotate_feed(deps: StaffDeps, principal: Principal, agent_id: str | None, office_wide: bool) -> tuple[str, str]:
    """A new secret feed token; the old one stops working at once. Returns (owner, token)."""
    office = _office(deps, principal)
    if office_wide:
        ensure_supervisor(principal)
        owner = OFFICE_FEED
    else:
        owner = agent_id or principal.agent_id
        ensure_agent(principal, office, owner)
    token = secrets.token_urlsafe(24)
    deps.staff.set_feed_hash(office.id, owner, rules.hash_token(token), deps.booking.clock())
    return owner, token


def feed_allowed(deps: StaffDeps, office_id: str, owner: str, token: str | None) -> bool:
    stored = deps.staff.feed_hash(office_id, owner) if token else None
    return bool(stored) and hmac.compare_digest(stored or "", rules.hash_token(token or ""))


def feed_bookings(deps: StaffDeps, office: Office, agent_id: str | None, now: datetime) -> list[Booking]:
    """Upcoming bookings and the last 30 days; cancelled ones only for 7 days after cancelling."""
    horizon = max((s.horizon_days for s in office.services.values()), default=120)
    found = deps.staff.agenda(office.id, agent_id, now - timedelta(days=30), now + timedelta(days=horizon + 1))
    return [b for b in found if b.status != rules.CANCELLED or b.updated_at >= now - timedelta(days=7)]


def feed_etag(bookings: list[Booking]) -> str:
    digest = hashlib.sha256("|".join(f"{b.id}:{b.sequence}:{b.status}" for b in bookings).encode()).hexdigest()
    return f'"{digest[:32]}"'
