"""The outbox in DynamoDB: records written with the change, claimed with a lease, then sent.

A sweep reads only what is due (a Query on the sparse ``due`` index, never a
Scan). A claim is a conditional update, so of many sweeps one sends each
message; a crashed sender's lease expires and the message is sent later.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from ...scheduling.outbox import FAILED, LEASE, MAX_ATTEMPTS, PENDING, SENDING, SENT, Message, retry_at
from .models import OutboxRecord, iso

DUE, FAILED_PARTITION = "DUE", "FAILED"


@dataclass(frozen=True)
class Claimed:
    message: Message
    claim: str
    attempts: int


def to_record(message: Message, retention_until: datetime) -> OutboxRecord:
    return OutboxRecord(
        *OutboxRecord.key(message.booking_id, message.key),
        office_id=message.office_id, booking_id=message.booking_id, kind=message.kind, channel=message.channel,
        status=PENDING, attempts=0, due_pk=DUE, due_at=iso(message.due), recipient=message.recipient,
        recipient_name=message.recipient_name, facts=json.dumps(message.facts, ensure_ascii=False),
        invite=message.invite, method=message.method, expires_at=int(retention_until.timestamp()),
    )


def deletion(booking_id: str, key: str) -> OutboxRecord:
    return OutboxRecord(*OutboxRecord.key(booking_id, key))


def _message(record: OutboxRecord) -> Message:
    return Message(
        office_id=record.office_id, booking_id=record.booking_id, key=record.sk, kind=record.kind,
        channel=record.channel, due=datetime.fromisoformat(record.due_at or ""),
        recipient=record.recipient or "", recipient_name=record.recipient_name or "",
        facts=json.loads(record.facts or "{}"), invite=record.invite, method=record.method,
    )


class OutboxStore:
    def due(self, now: datetime, limit: int = 50) -> list[Message]:
        """Pending messages due by ``now`` and expired leases: one Query."""
        records = OutboxRecord.due.query(DUE, OutboxRecord.due_at <= iso(now), limit=limit)
        return [_message(r) for r in records]

    def claim(self, message: Message, now: datetime, claim: str) -> Claimed | None:
        record = OutboxRecord(*OutboxRecord.key(message.booking_id, message.key))
        stamp = int(now.timestamp())
        try:
            record.update(
                actions=[OutboxRecord.status.set(SENDING), OutboxRecord.claim.set(claim),
                         OutboxRecord.lease_until.set(stamp + int(LEASE.total_seconds())),
                         OutboxRecord.attempts.set(OutboxRecord.attempts + 1),
                         # while leased, the record waits in the due index until the lease ends
                         OutboxRecord.due_at.set(iso(now + LEASE))],
                condition=(OutboxRecord.due_pk == DUE) & (OutboxRecord.due_at <= iso(now)) & (
                    (OutboxRecord.status == PENDING)
                    | ((OutboxRecord.status == SENDING) & (OutboxRecord.lease_until < stamp))),
            )
        except UpdateError as error:
            if _condition_failed(error):
                return None
            raise
        return Claimed(_message(record), claim, int(record.attempts))

    def sent(self, claimed: Claimed, now: datetime) -> bool:
        """Done: out of the index, and the contents (personal data, links) erased."""
        return self._finish(claimed, [OutboxRecord.status.set(SENT), OutboxRecord.sent_at.set(iso(now)),
                                      OutboxRecord.due_pk.remove(), OutboxRecord.due_at.remove(),
                                      OutboxRecord.lease_until.remove(), OutboxRecord.claim.remove(),
                                      OutboxRecord.recipient.remove(), OutboxRecord.recipient_name.remove(),
                                      OutboxRecord.facts.remove(), OutboxRecord.invite.remove()])

    def failed(self, claimed: Claimed, now: datetime, error: str, final: bool = False) -> bool:
        """Retry later with backoff, or, after the last attempt (or a final refusal), park it where
        operators look."""
        if final or claimed.attempts >= MAX_ATTEMPTS:
            actions = [OutboxRecord.status.set(FAILED), OutboxRecord.due_pk.set(FAILED_PARTITION),
                       OutboxRecord.due_at.set(iso(now))]
        else:
            actions = [OutboxRecord.status.set(PENDING), OutboxRecord.due_at.set(iso(retry_at(now, claimed.attempts)))]
        return self._finish(claimed, [*actions, OutboxRecord.last_error.set(error[:200]),
                                      OutboxRecord.lease_until.remove(), OutboxRecord.claim.remove()])

    def failures(self, limit: int = 100) -> list[dict[str, Any]]:
        """Messages that ran out of attempts (no contents: what, for which booking, why)."""
        return [{"booking_id": r.booking_id, "office_id": r.office_id, "kind": r.kind, "channel": r.channel,
                 "attempts": int(r.attempts), "error": r.last_error, "at": r.due_at}
                for r in OutboxRecord.due.query(FAILED_PARTITION, limit=limit)]

    def for_booking(self, booking_id: str) -> list[OutboxRecord]:
        return list(OutboxRecord.query(f"OUTBOX#{booking_id}", consistent_read=True))

    def _finish(self, claimed: Claimed, actions: list) -> bool:
        record = OutboxRecord(*OutboxRecord.key(claimed.message.booking_id, claimed.message.key))
        try:
            record.update(actions=actions, condition=OutboxRecord.claim == claimed.claim)
            return True
        except UpdateError as error:
            if _condition_failed(error):
                return False  # rewritten meanwhile (a move) or reclaimed after our lease ended
            raise


def _condition_failed(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"

