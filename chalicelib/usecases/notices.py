"""The messages a booking change causes: facts for the templates, the invite, the plan."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..scheduling.booking import Booking
from ..scheduling.contact import phone_country
from ..scheduling.model import Office
from ..scheduling.outbox import Plan, plan_messages
from .invites import invite_for


def facts_for(booking: Booking, office: Office, video: Any, manage_url: str, sender_email: str) -> dict[str, Any]:
    locale = booking.citizen.locale
    service = office.services[booking.service_id]
    agent = office.agents.get(booking.agent_id)
    video_url = None
    if booking.video_room:
        video_url = video.links(booking.video_room, booking.start, booking.end,
                                agent.display_name if agent else "").citizen_url
    return {
        "locale": locale, "office_name": office.name(locale), "office_email": office.contact.email,
        "office_phone": office.contact.phone,
        "service_name": service.names.get(locale, service.names[office.default_locale]),
        "citizen_name": booking.citizen.name, "start": booking.start.isoformat(), "end": booking.end.isoformat(),
        "timezone": office.timezone, "channel": booking.channel, "video_url": video_url, "manage_url": manage_url,
        "sender_email": office.messaging.sender_email or sender_email,
    }


def plan_for(kind: str, booking: Booking, office: Office, video: Any, manage_url: str, sender_email: str,
             now: datetime) -> Plan:
    service = office.services[booking.service_id]
    try:
        country = phone_country(booking.citizen.phone)
    except ValueError:
        country = "ZZ"
    return plan_messages(
        kind=kind, office_id=office.id, booking_id=booking.id, sequence=booking.sequence, start=booking.start,
        timezone=office.timezone, email=booking.citizen.email, phone=booking.citizen.phone, phone_country=country,
        name=booking.citizen.name, facts=facts_for(booking, office, video, manage_url, sender_email),
        invite=invite_for(booking, office, video, manage_url).decode("utf-8"),
        reminders=office.reminders_for(service), policy=office.messaging, sms_used=booking.sms_used, now=now,
    )
