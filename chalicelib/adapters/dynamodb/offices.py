"""Office configuration documents and ledger reads."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from ...scheduling.config import parse_office
from ...scheduling.errors import NotFound
from ...scheduling.holds import AgentDay
from ...scheduling.model import Office
from .ledger import from_record
from .models import LedgerRecord, OfficeRecord


class OfficeStore:
    """Reads parse the stored document once per version (a cache safe to lose)."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, int], Office] = {}

    def get(self, office_id: str) -> Office:
        try:
            record = OfficeRecord.get(*OfficeRecord.key(office_id))
        except OfficeRecord.DoesNotExist:
            raise NotFound(f"No office {office_id!r}.") from None
        cache_key = (office_id, int(record.version))
        if cache_key not in self._parsed:
            self._parsed[cache_key] = parse_office(json.loads(record.document))
        return self._parsed[cache_key]

    def put(self, document: dict[str, Any], now: datetime) -> Office:
        """Validate and store; the version moves on so every reader re-parses."""
        office = parse_office(document)
        pk, sk = OfficeRecord.key(office.id)
        try:
            version = int(OfficeRecord.get(pk, sk, consistent_read=True).version) + 1
        except OfficeRecord.DoesNotExist:
            version = 1
        OfficeRecord(
            pk,
            sk,
            document=json.dumps(document, default=str, ensure_ascii=False, sort_keys=True),
            version=version,
            updated_at=now.isoformat(),
        ).save()
        return office

    def ledger(self, office_id: str, first: date, last: date, consistent: bool = False) -> list[AgentDay]:
        """Every agent's holds on local dates ``first..last``: one Query."""
        records = LedgerRecord.query(
            LedgerRecord.partition(office_id),
            LedgerRecord.sk.between(first.isoformat(), (last + timedelta(days=1)).isoformat()),
            consistent_read=consistent,
        )
        days = [from_record(office_id, r) for r in records]
        return [d for d in days if d.day <= last]
