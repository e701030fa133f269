"""Staff routes (bearer JWT) and the secret calendar feeds.

The token is checked here, in the function, not by an API Gateway authorizer:
so every refusal is problem+json, and 401 (who are you?) stays apart from
403 (not yours), which needs the booking or agent at hand to decide.
"""
from __future__ import annotations

import re
from email.utils import format_datetime, parsedate_to_datetime

from chalice import Blueprint, Response

from ..bootstrap import container
from ..scheduling.errors import FieldError, InvalidInput, NotFound
from ..scheduling.invites import build_feed
from ..scheduling.staff import Principal
from ..usecases import staff as usecase
from ..usecases.invites import agent_event
from . import http
from .views import booking_view, utc

bp = Blueprint(__name__)
_OFFICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")  # office and agent ids, as the office file allows them
NO_STORE = {"Cache-Control": "no-store"}


def _principal() -> Principal:
    c = container()
    return c.staff_auth.verify(bp.current_request.headers.get("authorization"), c.now())


def _staff_view(booking, office, video, needs_reassignment: bool = False) -> dict:
    view = booking_view(booking, office, video)
    service = office.services[booking.service_id]
    agent = office.agents.get(booking.agent_id)
    view["service_name"] = service.names.get(office.default_locale, booking.service_id)
    view["agent_video_url"] = (video.links(booking.video_room, booking.start, booking.end,
                                           agent.display_name if agent else "").agent_url
                               if booking.video_room else None)
    view["needs_reassignment"] = needs_reassignment
    return view


@http.route(bp, "/v1/staff/agenda", methods=["GET"])
def agenda() -> Response:
    principal = _principal()
    params = http.query(bp)
    first, last = http.dates(params, "from", "to")
    c = container()
    found = usecase.agenda(c.staff_deps(), principal, first, last, params.get("agent_id") or None)
    return Response({
        "office_id": found.office.id, "timezone": found.office.timezone,
        "agents": [{"id": a, "display_name": found.office.agents[a].display_name} for a in found.agents],
        "bookings": [_staff_view(b, found.office, c.video, b.id in found.needs_reassignment) for b in found.bookings],
        "warnings": found.warnings,
    }, headers=NO_STORE)


@http.route(bp, "/v1/staff/bookings/{booking_id}/status", methods=["POST"])
def set_status(booking_id: str) -> Response:
    principal = _principal()
    c = container()
    booking, office = usecase.set_outcome(c.staff_deps(), principal, booking_id, http.json_body(bp).get("status"))
    return Response({"booking": _staff_view(booking, office, c.video)}, headers=NO_STORE)


@http.route(bp, "/v1/staff/bookings/{booking_id}/reassign", methods=["POST"])
def reassign(booking_id: str) -> Response:
    principal = _principal()
    c = container()
    raw = bp.current_request.raw_body
    body = http.json_body(bp) if raw else {}
    booking, office = usecase.reassign(c.staff_deps(), principal, booking_id, body)
    return Response({"booking": _staff_view(booking, office, c.video)}, headers=NO_STORE)


def _absence_view(absence) -> dict:
    from datetime import UTC, datetime

    return {"id": absence.id, "agent_id": absence.agent_id,
            "start": utc(datetime.fromtimestamp(absence.start, UTC)),
            "end": utc(datetime.fromtimestamp(absence.end, UTC))}


@http.route(bp, "/v1/staff/absences", methods=["POST"])
def add_absence() -> Response:
    principal = _principal()
    c = container()
    absence, affected, office = usecase.add_absence(c.staff_deps(), principal, http.json_body(bp))
    return Response({"absence": _absence_view(absence),
                     "bookings_to_reassign": [_staff_view(b, office, c.video, True) for b in affected]},
                    status_code=201, headers=NO_STORE)


@http.route(bp, "/v1/staff/absences", methods=["GET"])
def list_absences() -> Response:
    principal = _principal()
    absences, _ = usecase.list_absences(container().staff_deps(), principal, http.query(bp).get("agent_id") or None)
    return Response({"absences": [_absence_view(a) for a in absences]}, headers=NO_STORE)


@http.route(bp, "/v1/staff/absences/{absence_id}", methods=["DELETE"])
def remove_absence(absence_id: str) -> Response:
    principal = _principal()
    usecase.remove_absence(container().staff_deps(), principal, absence_id)
    return Response(body="", status_code=204, headers=NO_STORE)


@http.route(bp, "/v1/staff/calendar-token", methods=["POST"])
def rotate_feed_token() -> Response:
    """A new secret feed URL (agent: their own; supervisor: any agent's, or ``{"office": true}``)."""
    principal = _principal()
    c = container()
    raw = bp.current_request.raw_body
    body = http.json_body(bp) if raw else {}
    office_wide = body.get("office", False)
    if not isinstance(office_wide, bool):
        raise InvalidInput(FieldError("office", "must be true or false"))
    agent_id = body.get("agent_id")
    if agent_id is not None and not (isinstance(agent_id, str) and (agent_id == "" or _OFFICE_ID.match(agent_id))):
        raise InvalidInput(FieldError("agent_id", "must be an agent id"))
    owner, token = usecase.rotate_feed(c.staff_deps(), principal, agent_id, office_wide)
    secret = f"{principal.office_id}.{token}"
    path = (f"/v1/offices/{principal.office_id}/calendar.ics" if office_wide
            else f"/v1/agents/{owner}/calendar.ics")
    url = f"{c.settings.public_url}{path}?token={secret}"
    return Response({"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]},
                    status_code=201, headers=NO_STORE)


@http.route(bp, "/v1/agents/{agent_id}/calendar.ics", methods=["GET"])
def agent_feed(agent_id: str) -> Response:
    office_id, _, token = (http.query(bp).get("token") or "").partition(".")
    return _feed(office_id, agent_id, token)


@http.route(bp, "/v1/offices/{office_id}/calendar.ics", methods=["GET"])
def office_feed(office_id: str) -> Response:
    owner_office, _, token = (http.query(bp).get("token") or "").partition(".")
    if owner_office != office_id:
        raise NotFound("No such calendar.")
    return _feed(office_id, None, token)


def _feed(office_id: str, agent_id: str | None, token: str) -> Response:
    """METHOD:PUBLISH, webcal-compatible, with ETag/Last-Modified and 304 for unchanged calendars."""
    c = container()
    deps = c.staff_deps()
    owner = agent_id or usecase.OFFICE_FEED
    if not _OFFICE_ID.match(office_id) or not _OFFICE_ID.match(owner.lstrip("*")) or \
            not usecase.feed_allowed(deps, office_id, owner, token):
        raise NotFound("No such calendar.")  # the same answer for a wrong token and an unknown agent
    office = c.offices.get(office_id)
    now = c.now()
    bookings = usecase.feed_bookings(deps, office, agent_id, now)
    etag = usecase.feed_etag(bookings)
    modified = max((b.updated_at for b in bookings), default=None)
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.replace(microsecond=0), usegmt=True)
    request = bp.current_request.headers
    if request.get("if-none-match") == etag or (
            "if-none-match" not in request and modified is not None and _not_modified(request, modified)):
        return Response(body="", status_code=304, headers=headers)
    name = office.name(office.default_locale)
    if agent_id:
        name = f"{name} — {office.agents[agent_id].display_name}" if agent_id in office.agents else name
    events = [agent_event(b, office, c.video, b.agent_id, not b.active) for b in bookings if b.agent_id in office.agents]
    body = build_feed(events, name, modified or now).decode("utf-8")
    return Response(body, headers={**headers, "Content-Type": "text/calendar; charset=utf-8"})


def _not_modified(request, modified) -> bool:
    try:
        since = parsedate_to_datetime(request.get("if-modified-since", ""))
    except (TypeError, ValueError):
        return False
    return since is not None and modified.replace(microsecond=0) <= since
