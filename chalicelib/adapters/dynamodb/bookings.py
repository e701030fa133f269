"""Bookings in DynamoDB: every change is one TransactWriteItems with the ledger items it holds."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from ...scheduling.booking import Booking
from ...scheduling.contact import Citizen
from ...scheduling.holds import AgentDay
from ...scheduling.outbox import Plan
from ...usecases.ports import BookingChanged, CitizenLimitReached, ContactLimitReached, HoldsChanged, KeyInUse
from . import outbox
from .ledger import to_record, unchanged_since_read
from .limits import increment, subject
from .models import (
    BookingRecord,
    CitizenRecord,
    IdempotencyRecord,
    LedgerRecord,
    LimitRecord,
    iso,
    shared_connection,
)


@dataclass(frozen=True)
class Replay:
    request_hash: str
    booking_id: str
    response: dict[str, Any]


def citizen_digests(office_id: str, citizen: Citizen) -> list[str]:
    """Pseudonymous keys for the per-citizen limit: no e-mail or phone in a key."""
    return [hashlib.sha256(f"{office_id}|{kind}|{value.lower()}".encode()).hexdigest()[:40]
            for kind, value in (("email", citizen.email), ("phone", citizen.phone))]


class _Transaction:
    """PynamoDB's TransactWrite sends checks, deletes, puts, updates in that order;
    labels follow the same grouping so a cancellation reason names its item."""

    def __init__(self) -> None:
        self.tx = TransactWrite(connection=shared_connection())
        self.labels: dict[str, list[str]] = {"delete": [], "put": [], "update": []}

    def delete(self, label: str, model: Any) -> None:
        self.tx.delete(model, add_version_condition=False)
        self.labels["delete"].append(label)

    def outbox(self, plan: Plan, retention_until: datetime) -> None:
        for message in plan.put:
            self.save("outbox", outbox.to_record(message, retention_until))
        for key in plan.delete:
            self.delete("outbox", outbox.deletion(plan.booking_id, key))

    def save(self, label: str, model: Any, condition: Any = None) -> None:
        self.tx.save(model, condition=condition)
        self.labels["put"].append(label)

    def update(self, label: str, model: Any, actions: list, condition: Any = None) -> None:
        self.tx.update(model, actions=actions, condition=condition, add_version_condition=False)
        self.labels["update"].append(label)

    def commit(self) -> None:
        try:
            self.tx._commit()
        except TransactWriteError as error:
            order = self.labels["delete"] + self.labels["put"] + self.labels["update"]
            reasons = error.cancellation_reasons or []
            failed = {order[i] for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"}
            if "citizen" in failed:
                raise CitizenLimitReached from None
            if "contact-limit" in failed:
                raise ContactLimitReached from None
            if "booking" in failed:
                raise BookingChanged from None
            if "idempotency" in failed:
                raise KeyInUse from None
            raise HoldsChanged from None  # ledger conditions, or a conflicting transaction


class BookingStore:
    def get(self, booking_id: str, consistent: bool = False) -> Booking | None:
        try:
            return _from_record(BookingRecord.get(*BookingRecord.key(booking_id), consistent_read=consistent))
        except BookingRecord.DoesNotExist:
            return None

    def replay(self, office_id: str, key: str, now: datetime) -> Replay | None:
        try:
            record = IdempotencyRecord.get(*IdempotencyRecord.key(office_id, _key_digest(key)), consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            return None
        if record.expires_at <= now.timestamp():
            return None
        return Replay(record.request_hash, record.booking_id, json.loads(record.response))

    def ledger_days(self, office_id: str, days: tuple[date, ...] | list[date]) -> list[AgentDay]:
        from .ledger import from_record

        first, last = min(days), max(days)
        records = LedgerRecord.query(
            LedgerRecord.partition(office_id),
            LedgerRecord.sk.between(first.isoformat(), (last + timedelta(days=1)).isoformat()),
            consistent_read=True,
        )
        return [d for d in (from_record(office_id, r) for r in records) if d.day in days]

    def create(self, booking: Booking, days: list[AgentDay], limit: int, retention_days: int,
               idempotency: tuple[str, str, dict[str, Any]] | None, now: datetime, plan: Plan,
               counters: list[tuple[str, str, str, int, int]] = ()) -> None:
        """One transaction: the booking, its ledger items, the citizen's counters, the key, the messages,
        and the daily per-contact limits (so a refused booking leaves no count behind)."""
        tx = _Transaction()
        for scope, value, window, most, expires in counters:
            record, condition = increment(scope, subject(value), window, most)
            tx.update("contact-limit", record, [LimitRecord.count.add(1), LimitRecord.expires_at.set(expires)],
                      condition)
        tx.outbox(plan, booking.end + timedelta(days=retention_days))
        tx.save("booking", _to_record(booking, retention_days), BookingRecord.pk.does_not_exist())
        for day in days:
            tx.save("ledger", to_record(day), unchanged_since_read(day))
        expires = int((booking.end + timedelta(days=retention_days)).timestamp())
        for digest in citizen_digests(booking.office_id, booking.citizen):
            record = CitizenRecord(*CitizenRecord.key(booking.office_id, digest))
            tx.update("citizen", record, [CitizenRecord.active.add({booking.id}), CitizenRecord.expires_at.set(expires)],
                      CitizenRecord.active.does_not_exist() | (size(CitizenRecord.active) < limit))
        if idempotency is not None:
            key, request_hash, response = idempotency
            record = IdempotencyRecord(*IdempotencyRecord.key(booking.office_id, _key_digest(key)),
                                       request_hash=request_hash, booking_id=booking.id,
                                       response=json.dumps(response), expires_at=int(now.timestamp()) + 86400)
            tx.save("idempotency", record,
                    IdempotencyRecord.pk.does_not_exist() | (IdempotencyRecord.expires_at <= int(now.timestamp())))
        tx.commit()

    def prune_citizen(self, office_id: str, citizen: Citizen, now: datetime) -> None:
        """Forget bookings that already started, so they no longer count against the limit."""
        for digest in citizen_digests(office_id, citizen):
            try:
                record = CitizenRecord.get(*CitizenRecord.key(office_id, digest), consistent_read=True)
            except CitizenRecord.DoesNotExist:
                continue
            held = [(bid, self.get(bid, consistent=True)) for bid in record.active or ()]
            done = {bid for bid, b in held if b is None or not b.active or b.start <= now}
            if done:
                record.update(actions=[CitizenRecord.active.delete(done)])

    def change(self, before: Booking, after: Booking, days: list[AgentDay], retention_days: int,
               plan: Plan) -> None:
        """One transaction: the booking (if nobody changed it since read), the ledger items, the messages."""
        tx = _Transaction()
        tx.outbox(plan, after.end + timedelta(days=retention_days))
        tx.save("booking", _to_record(after, retention_days), BookingRecord.sequence == before.sequence)
        for day in days:
            tx.save("ledger", to_record(day), unchanged_since_read(day))
        if not after.active:
            for digest in citizen_digests(after.office_id, after.citizen):
                record = CitizenRecord(*CitizenRecord.key(after.office_id, digest))
                tx.update("citizen-release", record, [CitizenRecord.active.delete({after.id})])
        tx.commit()


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _to_record(b: Booking, retention_days: int) -> BookingRecord:
    start = iso(b.start)
    return BookingRecord(
        *BookingRecord.key(b.id),
        office_id=b.office_id, service_id=b.service_id, agent_id=b.agent_id, status=b.status, channel=b.channel,
        start=start, end=iso(b.end), citizen_name=b.citizen.name, citizen_email=b.citizen.email,
        citizen_phone=b.citizen.phone, locale=b.citizen.locale, notes=b.notes, token_hash=b.token_hash,
        video_room=b.video_room, sequence=b.sequence, created_at=iso(b.created_at), updated_at=iso(b.updated_at),
        hold=f"{b.hold[0]}-{b.hold[1]}", hold_days=" ".join(d.isoformat() for d in b.hold_days),
        sms_used=b.sms_used,
        expires_at=int((b.end + timedelta(days=retention_days)).timestamp()),
        gsi1pk=f"OFFICE#{b.office_id}#AGENT#{b.agent_id}", gsi1sk=f"{start}#{b.id}",
        gsi2pk=f"OFFICE#{b.office_id}", gsi2sk=f"{start}#{b.id}",
    )


def _from_record(r: BookingRecord) -> Booking:
    start, _, end = r.hold.partition("-")
    return Booking(
        id=r.pk.split("#", 1)[1], office_id=r.office_id, service_id=r.service_id, agent_id=r.agent_id,
        status=r.status, channel=r.channel, start=_instant(r.start), end=_instant(r.end),
        citizen=Citizen(r.citizen_name, r.citizen_email, r.citizen_phone, r.locale), notes=r.notes,
        token_hash=r.token_hash, video_room=r.video_room, sequence=int(r.sequence),
        created_at=_instant(r.created_at), updated_at=_instant(r.updated_at),
        hold_days=tuple(date.fromisoformat(d) for d in r.hold_days.split()), hold=(int(start), int(end)),
        sms_used=int(r.sms_used or 0),
    )
