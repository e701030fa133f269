"""Send what the outbox holds: right away after a change, and by the scheduled sweep."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..scheduling.outbox import EMAIL, REMINDER, Message

log = logging.getLogger("scheduler.delivery")
MESSAGE_FIELDS = ("kind", "locale", "office_name", "office_email", "office_phone", "service_name", "citizen_name",
                  "timezone", "channel", "video_url", "manage_url")


class EmailSender(Protocol):
    def send(self, sender: str, recipient: str, raw: bytes, message: Message) -> None: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str, message: Message) -> None: ...


@dataclass
class Delivery:
    outbox: Any
    email: EmailSender
    sms: SmsSender
    clock: Callable[[], datetime]
    new_claim: Callable[[], str]
    metric: Callable[..., None] = lambda *args, **kwargs: None
    sms_refusal: Callable[[Message], str | None] = lambda message: None  # why this SMS may not go


@dataclass(frozen=True)
class Report:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def sweep(delivery: Delivery, limit: int = 50) -> Report:
    """Everything due (and every expired lease): one Query, then one claim per message."""
    now = delivery.clock()
    due = delivery.outbox.due(now, limit)
    delivery.metric("SweepLagSeconds", max([(now - m.due).total_seconds() for m in due], default=0), "Seconds")
    return deliver(delivery, due)


def deliver(delivery: Delivery, messages: list[Message]) -> Report:
    sent = failed = skipped = 0
    for message in messages:
        now = delivery.clock()
        if message.due > now:
            continue
        claimed = delivery.outbox.claim(message, now, delivery.new_claim())
        if claimed is None:
            skipped += 1  # another sender has it, or it changed
            continue
        if message.kind == REMINDER and datetime.fromisoformat(message.facts["start"]) <= now:
            delivery.outbox.sent(claimed, now)  # too late to remind: the appointment has begun
            skipped += 1
            continue
        refusal = delivery.sms_refusal(message)
        if refusal:
            delivery.outbox.failed(claimed, now, refusal, final=True)  # e-mail still goes; this SMS does not
            skipped += 1
            continue
        try:
            _send(delivery, claimed.message)
        except Exception as error:  # noqa: BLE001 - any provider failure is retried later
            failed += 1
            log.warning("send failed", extra={"booking_id": message.booking_id, "message_key": message.key,
                                              "attempt": claimed.attempts, "error": type(error).__name__})
            delivery.outbox.failed(claimed, delivery.clock(), f"{type(error).__name__}: {error}")
            delivery.metric("MessagesFailed", 1, "Count", message.office_id)
        else:
            sent += 1
            delivery.outbox.sent(claimed, delivery.clock())
            delivery.metric("MessagesSent", 1, "Count", message.office_id)
    return Report(sent, failed, skipped)


def _send(delivery: Delivery, message: Message) -> None:
    from datetime import datetime as dt

    from ..messages.content import MessageFacts, build_mime, render_email, render_sms

    facts = None
    if message.facts.get("audience") != "agent":
        facts = MessageFacts(**{k: message.facts.get(k) for k in MESSAGE_FIELDS},
                             start=dt.fromisoformat(message.facts["start"]), end=dt.fromisoformat(message.facts["end"]))
    if message.channel == EMAIL:
        sender = message.facts["sender_email"]
        if message.facts.get("audience") == "agent":
            from ..messages.agent import render_agent_email

            rendered = render_agent_email(message.facts, message.method or "REQUEST")
        else:
            rendered = render_email(facts)
        raw = build_mime(rendered, sender, message.facts["office_name"], message.recipient,
                         message.recipient_name, (message.invite or "").encode("utf-8") or None, message.method,
                         f"{message.booking_id}.{message.key.replace('#', '.')}@citizen-scheduler")
        delivery.email.send(sender, message.recipient, raw, message)
    else:
        delivery.sms.send(message.recipient, render_sms(facts), message)
