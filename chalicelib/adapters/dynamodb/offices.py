"""Office configuration documents and ledger reads."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from ...scheduling.config import parse_office
from ...scheduling.errors import NotFound
from ...scheduling.holds import AgentDay
from ...scheduling.holidays import with_public_dates
from ...scheduling.model import Office
from .ledger import from_record
from .models import LedgerRecord, OfficeListRecord, OfficeRecord

HOLIDAY_YEARS_AHEAD = 5


def _public_holidays(office: Office, first: int, last: int) -> str:
    rules = with_public_dates(office.holidays, first, last)
    return f"{first}-{last}:" + ",".join(sorted(d.isoformat() for d in rules.public))


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
            office = parse_office(json.loads(record.document), check_holidays=False)
            if record.public_holidays:
                years, _, days = record.public_holidays.partition(":")
                first, _, last = years.partition("-")
                rules = replace(office.holidays, public=frozenset(date.fromisoformat(d) for d in days.split(",") if d),
                                public_years=(int(first), int(last)))
                office = replace(office, holidays=rules)
            self._parsed[cache_key] = office
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
            public_holidays=_public_holidays(office, now.year - 1, now.year + HOLIDAY_YEARS_AHEAD),
            updated_at=now.isoformat(),
        ).save()
        OfficeListRecord(*OfficeListRecord.key(office.id)).save()
        return office

    def ids(self) -> list[str]:
        return [r.sk for r in OfficeListRecord.query("OFFICES")]

    def ledger(self, office_id: str, first: date, last: date, consistent: bool = False) -> list[AgentDay]:
        """Every agent's holds on local dates ``first..last``: one Query."""
        records = LedgerRecord.query(
            LedgerRecord.partition(office_id),
            LedgerRecord.sk.between(first.isoformat(), (last + timedelta(days=1)).isoformat()),
            consistent_read=consistent,
        )
        days = [from_record(office_id, r) for r in records]
        return [d for d in days if d.day <= last]
