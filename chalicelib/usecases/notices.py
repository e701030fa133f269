"""The messages a booking change causes: facts for the templates, the invite, the plan."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from ..scheduling.booking import Booking
from ..scheduling.contact import phone_country
from ..scheduling.invites import build_invite
from ..scheduling.model import Office
from ..scheduling.outbox import Message, Plan, plan_messages
from .invites import agent_event, invite_for


def facts_for(booking: Booking, office: Office, video: Any, manage_url: str | None,
              sender_email: str) -> dict[str, Any]:
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
        "timezone": office.timezone, "channel": booking.channel, "video_url": video_url, "manage_url": manage_url or "",
        "sender_email": office.messaging.sender_email or sender_email,
    }


def plan_for(kind: str, booking: Booking, office: Office, video: Any, manage_url: str | None, sender_email: str,
             now: datetime, previous_agent: str | None = None, sms_countries: frozenset[str] | None = None) -> Plan:
    """The citizen's messages, plus invites to the agents: REQUEST to the one holding the booking,
    CANCEL to one who no longer does (a move to another agent, or a cancellation).

    ``sms_countries`` is the deployment's list: it narrows the office's, never widens it."""
    policy = office.messaging
    if sms_countries is not None:
        policy = replace(policy, sms_countries=policy.sms_countries & sms_countries)
    service = office.services[booking.service_id]
    try:
        country = phone_country(booking.citizen.phone)
    except ValueError:
        country = "ZZ"
    plan = plan_messages(
        kind=kind, office_id=office.id, booking_id=booking.id, sequence=booking.sequence, start=booking.start,
        timezone=office.timezone, email=booking.citizen.email, phone=booking.citizen.phone, phone_country=country,
        name=booking.citizen.name, facts=facts_for(booking, office, video, manage_url, sender_email),
        invite=invite_for(booking, office, video, manage_url).decode("utf-8"),
        reminders=office.reminders_for(service), policy=policy, sms_used=booking.sms_used, now=now,
    )
    agents = [(booking.agent_id, not booking.active)]
    if previous_agent and previous_agent != booking.agent_id:
        agents.append((previous_agent, True))
    for agent_id, withdrawn in agents:
        agent = office.agents.get(agent_id)
        if agent is None or not agent.email:
            continue
        event = agent_event(booking, office, video, agent_id, withdrawn)
        method = "CANCEL" if withdrawn else "REQUEST"
        facts = {**facts_for(booking, office, video, "", sender_email), "audience": "agent", "kind": kind,
                 "locale": office.default_locale, "video_url": event.video_url,
                 "service_name": event.service_name}
        plan.put.append(Message(office.id, booking.id, f"agent#{agent_id}#{booking.sequence}", kind, "email", now,
                                agent.email, agent.display_name, facts,
                                build_invite(event, method, booking.updated_at).decode("utf-8"), method))
    return plan
