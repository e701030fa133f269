"""Booking routes: create (public), and read, cancel, move, invite (with the manage token)."""
from __future__ import annotations

import logging

from chalice import Blueprint, Response

from .. import observability
from ..bootstrap import container
from ..scheduling.errors import FieldError, InvalidInput
from ..usecases import booking as usecase
from ..usecases.invites import invite_for
from . import http
from .views import booking_view

bp = Blueprint(__name__)
log = logging.getLogger("scheduler.bookings")
MAX_KEY_LENGTH = 128


def _token() -> str | None:
    """The manage token: ``Authorization: Bearer`` or ``?token=`` (links in messages)."""
    header = bp.current_request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return http.query(bp).get("token")


def _idempotency_key() -> str | None:
    key = bp.current_request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise InvalidInput(FieldError("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} printable characters"))
    return key


@http.route(bp, "/v1/offices/{office_id}/bookings", methods=["POST"])
def create_booking(office_id: str) -> Response:
    c = container()
    deps = c.booking_deps()
    created = usecase.create_booking(deps, office_id, http.json_body(bp), _idempotency_key(), http.client_ip(bp))
    observability.bind(booking_id=created.booking.id)
    if not created.replayed:
        observability.metric("BookingsCreated", 1, office_id=office_id)
        log.info("booking created", extra={"office_id": office_id, "service_id": created.booking.service_id,
                                           "agent_id": created.booking.agent_id})
    body = {"booking": booking_view(created.booking, created.office, c.video),
            "manage_token": created.token,
            "manage_url": usecase.manage_url(deps, created.booking.id, created.token)}
    return Response(body, status_code=201, headers={"Cache-Control": "no-store",
                                                    "Location": f"/v1/bookings/{created.booking.id}"})


@http.route(bp, "/v1/bookings/{booking_id}", methods=["GET"])
def get_booking(booking_id: str) -> Response:
    c = container()
    booking, office = usecase.get_booking(c.booking_deps(), booking_id, _token())
    return Response({"booking": booking_view(booking, office, c.video)}, headers={"Cache-Control": "no-store"})


@http.route(bp, "/v1/bookings/{booking_id}/cancel", methods=["POST"])
def cancel_booking(booking_id: str) -> Response:
    c = container()
    booking, office = usecase.cancel_booking(c.booking_deps(), booking_id, _token())
    return Response({"booking": booking_view(booking, office, c.video)}, headers={"Cache-Control": "no-store"})


@http.route(bp, "/v1/bookings/{booking_id}/reschedule", methods=["POST"])
def reschedule_booking(booking_id: str) -> Response:
    c = container()
    booking, office = usecase.reschedule_booking(c.booking_deps(), booking_id, _token(), http.json_body(bp))
    return Response({"booking": booking_view(booking, office, c.video)}, headers={"Cache-Control": "no-store"})


@http.route(bp, "/v1/bookings/{booking_id}/invite.ics", methods=["GET"])
def invite(booking_id: str) -> Response:
    c = container()
    deps = c.booking_deps()
    token = _token()
    booking, office = usecase.get_booking(deps, booking_id, token)
    body = invite_for(booking, office, c.video, usecase.manage_url(deps, booking.id, token or ""))
    return Response(body.decode("utf-8"), headers={
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": 'attachment; filename="invite.ics"',
        "Cache-Control": "no-store",
    })
