"""The calendar invite of a booking, as the citizen's calendar should see it now."""
from __future__ import annotations

from ..scheduling.booking import Booking
from ..scheduling.invites import Attendee, InviteEvent, build_invite
from ..scheduling.model import Office

UID_DOMAIN = "citizen-scheduler"


def invite_event(booking: Booking, office: Office, video, manage_url: str | None) -> InviteEvent:
    locale = booking.citizen.locale
    service = office.services[booking.service_id]
    agent = office.agents.get(booking.agent_id)
    video_url = ""
    if booking.video_room:
        video_url = video.links(booking.video_room, booking.start, booking.end,
                                agent.display_name if agent else "").citizen_url
    return InviteEvent(
        uid=f"{booking.id}@{UID_DOMAIN}", sequence=booking.sequence, cancelled=not booking.active,
        start=booking.start, end=booking.end, timezone=office.timezone, locale=locale,
        service_name=service.names.get(locale, service.names[office.default_locale]),
        office_name=office.name(locale), video_url=video_url, manage_url=manage_url,
        organizer=Attendee(office.name(locale), office.contact.email),
        attendees=(Attendee(booking.citizen.name, booking.citizen.email),),
    )


def invite_for(booking: Booking, office: Office, video, manage_url: str | None) -> bytes:
    """METHOD:REQUEST while active, METHOD:CANCEL once cancelled; DTSTAMP is the last change."""
    method = "REQUEST" if booking.active else "CANCEL"
    return build_invite(invite_event(booking, office, video, manage_url), method, booking.updated_at)


def agent_event(booking: Booking, office: Office, video, agent_id: str, cancelled: bool) -> InviteEvent:
    """The agent's copy: same UID, the moderator link, the citizen's name, no manage link."""
    locale = office.default_locale
    service = office.services[booking.service_id]
    agent = office.agents[agent_id]
    video_url = ""
    if booking.video_room:
        video_url = video.links(booking.video_room, booking.start, booking.end, agent.display_name).agent_url
    return InviteEvent(
        uid=f"{booking.id}@{UID_DOMAIN}", sequence=booking.sequence, cancelled=cancelled,
        start=booking.start, end=booking.end, timezone=office.timezone, locale=locale,
        service_name=f"{service.names.get(locale, next(iter(service.names.values())))} · {booking.citizen.name}",
        office_name=office.name(locale), video_url=video_url, manage_url=None,
        organizer=Attendee(office.name(locale), office.contact.email),
        attendees=(Attendee(agent.display_name, agent.email),),
    )
