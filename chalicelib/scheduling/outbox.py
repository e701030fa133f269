"""What to send, and when: messages planned with the change that causes them.

Every message is a record written in the same transaction as the booking
change (the outbox). This module decides which records: the immediate
e-mail and SMS of a confirmation, change or cancellation, and the reminders,
moved out of quiet hours (always earlier, never later). Reminders have fixed
keys per booking, so a move overwrites them and a cancel deletes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .model import MessagingPolicy, Reminder

EMAIL, SMS = "email", "sms"
CONFIRMATION, CHANGE, CANCELLATION, REMINDER = "confirmation", "change", "cancellation", "reminder"
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=2)
QUIET_MARGIN = timedelta(minutes=15)


@dataclass(frozen=True)
class Message:
    office_id: str
    booking_id: str
    key: str  # unique within the booking: "confirmation#email#0", "reminder#1#sms"
    kind: str
    channel: str
    due: datetime
    recipient: str  # e-mail address or E.164 number
    recipient_name: str
    facts: dict[str, Any]  # what the templates need, as of the change
    invite: str | None = None  # the .ics for e-mails
    method: str | None = None  # REQUEST or CANCEL


@dataclass(frozen=True)
class Plan:
    """Records to write (put) and reminder keys to delete, with the SMS budget used."""

    booking_id: str
    put: list[Message] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    sms_used: int = 0


def quiet(minute: int, policy: MessagingPolicy) -> bool:
    start, end = policy.quiet_start, policy.quiet_end
    return start <= minute or minute < end if start > end else start <= minute < end


def reminder_due(start: datetime, before: timedelta, tz: ZoneInfo, policy: MessagingPolicy) -> datetime:
    """``start - before``, or, if that falls in quiet hours, shortly before they began."""
    due = start - before
    local = due.astimezone(tz)
    if not quiet(local.hour * 60 + local.minute, policy):
        return due
    evening = local.date() if local.hour * 60 + local.minute >= policy.quiet_start else local.date() - timedelta(days=1)
    quiet_begins = datetime(evening.year, evening.month, evening.day, policy.quiet_start // 60,
                            policy.quiet_start % 60, tzinfo=tz)
    return (quiet_begins - QUIET_MARGIN).astimezone(due.tzinfo)


def reminder_keys(reminders: tuple[Reminder, ...]) -> list[str]:
    return [f"{REMINDER}#{i}#{channel}" for i, rule in enumerate(reminders) for channel in rule.channels]


def plan_messages(
    *, kind: str, office_id: str, booking_id: str, sequence: int, start: datetime, timezone: str,
    email: str, phone: str, phone_country: str, name: str, facts: dict[str, Any], invite: str,
    reminders: tuple[Reminder, ...], policy: MessagingPolicy, sms_used: int, now: datetime,
) -> Plan:
    """The records a confirmation, change or cancellation writes."""
    sms_ok = phone_country in policy.sms_countries
    budget = policy.sms_per_booking - sms_used
    put: list[Message] = []

    def add(key: str, message_kind: str, channel: str, due: datetime) -> None:
        nonlocal budget
        if channel == SMS:
            if not sms_ok or budget <= 0:
                return
            budget -= 1
        recipient = email if channel == EMAIL else phone
        with_invite = channel == EMAIL and message_kind != REMINDER  # the calendar already has it
        method = ("CANCEL" if kind == CANCELLATION else "REQUEST") if with_invite else None
        put.append(Message(office_id, booking_id, key, message_kind, channel, due, recipient, name,
                           {**facts, "kind": message_kind}, invite if with_invite else None, method))

    add(f"{kind}#{EMAIL}#{sequence}", kind, EMAIL, now)
    add(f"{kind}#{SMS}#{sequence}", kind, SMS, now)
    if kind == CANCELLATION:
        return Plan(booking_id, put, reminder_keys(reminders), policy.sms_per_booking - budget)
    tz = ZoneInfo(timezone)
    delete = []
    for i, rule in enumerate(reminders):
        due = reminder_due(start, timedelta(minutes=rule.before_minutes), tz, policy)
        for channel in rule.channels:
            key = f"{REMINDER}#{i}#{channel}"
            if due <= now:
                delete.append(key)  # too late for this one (a late booking, or a move closer in)
            else:
                add(key, REMINDER, channel, due)
    return Plan(booking_id, put, delete, policy.sms_per_booking - budget)


def retry_at(now: datetime, attempts: int) -> datetime:
    """Exponential backoff: 1, 2, 4, 8, 16 minutes."""
    return now + timedelta(minutes=2 ** max(attempts - 1, 0))
