"""Domain values to JSON: instants in UTC with ``Z``, local times with their offset."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..scheduling.model import Slot


def utc(instant: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, to the second. Not ``strftime("%Y")``: it drops the zeros of years
    before 1000 on glibc ("120-11-26T..."), which is not a date-time."""
    return instant.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).isoformat()


def slot_view(slot: Slot, zone: str) -> dict:
    return {"start": utc(slot.start), "end": utc(slot.end), "local_start": local(slot.start, zone)}


def booking_view(booking, office, video) -> dict:
    agent = office.agents.get(booking.agent_id)
    agent_name = agent.display_name if agent else booking.agent_id
    video_url = None
    if booking.video_room:
        video_url = video.links(booking.video_room, booking.start, booking.end, agent_name).citizen_url
    return {
        "id": booking.id, "office_id": booking.office_id, "service_id": booking.service_id,
        "status": booking.status, "channel": booking.channel,
        "start": utc(booking.start), "end": utc(booking.end), "local_start": local(booking.start, office.timezone),
        "video_url": video_url, "agent": {"id": booking.agent_id, "display_name": agent_name},
        "sequence": booking.sequence, "created_at": utc(booking.created_at), "updated_at": utc(booking.updated_at),
        "citizen": {"name": booking.citizen.name, "email": booking.citizen.email, "phone": booking.citizen.phone,
                    "locale": booking.citizen.locale},
        "notes": booking.notes,
    }
