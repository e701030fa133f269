"""Public routes: the office, its services and their free slots."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import container
from ..scheduling.errors import FieldError, InvalidInput
from ..scheduling.model import Office
from ..usecases import limits
from ..usecases.slots import list_slots
from . import http
from .views import slot_view

bp = Blueprint(__name__)


def _lang(office: Office) -> str:
    lang = http.query(bp).get("lang") or office.default_locale
    if lang not in office.locales:
        raise InvalidInput(FieldError("lang", f"must be one of {', '.join(office.locales)}"))
    return lang


@http.route(bp, "/v1/offices/{office_id}", methods=["GET"])
def get_office(office_id: str) -> dict:
    office = container().offices.get(office_id)
    lang = _lang(office)
    return {"id": office.id, "name": office.name(lang), "names": dict(office.names),
            "timezone": office.timezone, "locales": list(office.locales)}


@http.route(bp, "/v1/offices/{office_id}/services", methods=["GET"])
def list_services(office_id: str) -> dict:
    office = container().offices.get(office_id)
    lang = _lang(office)
    return {"services": [
        {"id": s.id, "name": s.names.get(lang, s.names[office.default_locale]),
         "duration_minutes": s.duration_minutes, "channels": list(s.channels)}
        for s in office.services.values()
    ]}


@http.route(bp, "/v1/offices/{office_id}/services/{service_id}/slots", methods=["GET"])
def get_slots(office_id: str, service_id: str) -> dict:
    first, last = http.dates(http.query(bp), "from", "to")
    c = container()
    listing = list_slots(c.offices, c.now(), office_id, service_id, first, last,
                         lambda office: limits.slot_listing(c.limits, office, http.client_ip(bp), c.now()))
    return {"timezone": listing.office.timezone,
            "slots": [slot_view(s, listing.office.timezone) for s in listing.slots]}
