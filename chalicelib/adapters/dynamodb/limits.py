"""Abuse limits as fixed-window counters: one conditional update each, expired by TTL."""
from __future__ import annotations

import hashlib

from pynamodb.exceptions import UpdateError

from .models import LimitRecord


def subject(value: str) -> str:
    """Who is counted, pseudonymously: no IP, e-mail or phone in a key."""
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:40]


def increment(scope: str, who: str, window: str, limit: int):
    """The record and the update actions/condition that add one while under ``limit``."""
    record = LimitRecord(*LimitRecord.key(scope, who, window))
    condition = LimitRecord.count.does_not_exist() | (LimitRecord.count < limit)
    return record, condition


class LimitStore:
    def hit(self, scope: str, value: str, window: str, limit: int, expires_at: int) -> int | None:
        """Count one more; the new count, or ``None`` when the window is already full."""
        record, condition = increment(scope, subject(value), window, limit)
        try:
            record.update(actions=[LimitRecord.count.add(1), LimitRecord.expires_at.set(expires_at)],
                          condition=condition)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return int(record.count)
