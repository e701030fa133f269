"""Staff data: agendas (GSI queries), absences, feed secrets, busy-calendar imports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ...scheduling.booking import Booking
from ...scheduling.holds import AgentDay
from .bookings import _from_record, _Transaction
from .ledger import from_record as ledger_from_record
from .ledger import to_record as ledger_to_record
from .ledger import unchanged_since_read
from .models import AbsenceRecord, BookingRecord, FeedRecord, LedgerRecord, SyncRecord, iso


@dataclass(frozen=True)
class Absence:
    id: str
    office_id: str
    agent_id: str
    start: int
    end: int
    hold_days: tuple[date, ...]
    created_by: str


@dataclass(frozen=True)
class SyncStatus:
    days: tuple[date, ...]
    last_success: str | None
    last_attempt: str | None
    last_error: str | None


class StaffStore:
    # -- agenda -------------------------------------------------------------
    def agenda(self, office_id: str, agent_id: str | None, start: datetime, end: datetime) -> list[Booking]:
        """Bookings starting in ``[start, end)``: one Query on the agent's or the office's index."""
        low, high = f"{iso(start)}#", f"{iso(end)}#"
        if agent_id:
            records = BookingRecord.by_agent.query(f"OFFICE#{office_id}#AGENT#{agent_id}",
                                                   BookingRecord.gsi1sk.between(low, high))
        else:
            records = BookingRecord.by_office.query(f"OFFICE#{office_id}", BookingRecord.gsi2sk.between(low, high))
        return [_from_record(r) for r in records]

    # -- absences -----------------------------------------------------------
    def absences(self, office_id: str) -> list[Absence]:
        return [_absence(office_id, r) for r in AbsenceRecord.query(AbsenceRecord.partition(office_id))]

    def absence(self, office_id: str, absence_id: str) -> Absence | None:
        try:
            return _absence(office_id, AbsenceRecord.get(AbsenceRecord.partition(office_id), absence_id,
                                                         consistent_read=True))
        except AbsenceRecord.DoesNotExist:
            return None

    def put_absence(self, absence: Absence, days: list[AgentDay], now: datetime, keep_days: int) -> None:
        tx = _Transaction()
        tx.save("absence", AbsenceRecord(
            AbsenceRecord.partition(absence.office_id), absence.id, agent_id=absence.agent_id, start=absence.start,
            end=absence.end, hold_days=" ".join(d.isoformat() for d in absence.hold_days),
            created_by=absence.created_by, created_at=iso(now),
            expires_at=absence.end + keep_days * 86400), AbsenceRecord.pk.does_not_exist())
        for day in days:
            tx.save("ledger", ledger_to_record(day), unchanged_since_read(day))
        tx.commit()

    def delete_absence(self, absence: Absence, days: list[AgentDay]) -> None:
        tx = _Transaction()
        tx.delete("absence", AbsenceRecord(AbsenceRecord.partition(absence.office_id), absence.id))
        for day in days:
            tx.save("ledger", ledger_to_record(day), unchanged_since_read(day))
        tx.commit()

    # -- feeds --------------------------------------------------------------
    def feed_hash(self, office_id: str, owner: str) -> str | None:
        try:
            return FeedRecord.get(*FeedRecord.key(office_id, owner)).token_hash
        except FeedRecord.DoesNotExist:
            return None

    def set_feed_hash(self, office_id: str, owner: str, token_hash: str, now: datetime) -> None:
        FeedRecord(*FeedRecord.key(office_id, owner), token_hash=token_hash, rotated_at=iso(now)).save()

    # -- busy calendars -----------------------------------------------------
    def sync_status(self, office_id: str) -> dict[str, SyncStatus]:
        return {r.sk: SyncStatus(tuple(date.fromisoformat(d) for d in (r.days or "").split()), r.last_success,
                                 r.last_attempt, r.last_error)
                for r in SyncRecord.query(f"OFFICE#{office_id}#SYNC")}

    def record_sync(self, office_id: str, agent_id: str, now: datetime, error: str | None,
                    days: tuple[date, ...] | None) -> None:
        record = SyncRecord(*SyncRecord.key(office_id, agent_id))
        actions = [SyncRecord.last_attempt.set(iso(now))]
        if error is None:
            actions += [SyncRecord.last_success.set(iso(now)), SyncRecord.last_error.remove()]
        else:
            actions.append(SyncRecord.last_error.set(error[:200]))
        if days is not None:
            actions.append(SyncRecord.days.set(" ".join(d.isoformat() for d in days)))
        record.update(actions=actions)

    def write_days(self, days: list[AgentDay]) -> None:
        """Ledger items changed by an import, each on its version condition."""
        tx = _Transaction()
        for day in days:
            tx.save("ledger", ledger_to_record(day), unchanged_since_read(day))
        tx.commit()

    def agent_days(self, office_id: str, agent_id: str, first: date, last: date) -> list[AgentDay]:
        records = LedgerRecord.query(LedgerRecord.partition(office_id),
                                     LedgerRecord.sk.between(first.isoformat(), (last + timedelta(days=1)).isoformat()),
                                     consistent_read=True)
        return [d for d in (ledger_from_record(office_id, r) for r in records) if d.agent_id == agent_id
                and d.day <= last]


def _absence(office_id: str, r: AbsenceRecord) -> Absence:
    return Absence(r.sk, office_id, r.agent_id, int(r.start), int(r.end),
                   tuple(date.fromisoformat(d) for d in r.hold_days.split()), r.created_by)
