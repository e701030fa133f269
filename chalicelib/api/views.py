"""Domain values to JSON: instants in UTC with ``Z``, local times with their offset."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..scheduling.model import Slot


def utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).isoformat()


def slot_view(slot: Slot, zone: str) -> dict:
    return {"start": utc(slot.start), "end": utc(slot.end), "local_start": local(slot.start, zone)}
