"""DynamoDB requests and read capacity for a 30-day slot listing of the demo office.

The month holds 1,000 bookings; other months hold 0, 10 or 10,000 more. The
holds are written straight into the ledger items a booking writes (same
format), spread over agents and working days without overlaps. Counted at
the emulator: every DynamoDB request the listing makes, and RCU computed
from the bytes each read returned, by DynamoDB's billing rules.
"""
from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import yaml

from bench.report import emit, summarize
from devstack.emulator import FAKE_CREDENTIALS, Emulator

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 2, 15, 8, tzinfo=UTC)
MONTH = (date(2027, 3, 1), date(2027, 3, 30))


def seed(office, first: date, count: int, skip: tuple[date, date] | None = None) -> None:
    """``count`` 30-minute holds from ``first`` on, seven per agent-day, never in ``skip``."""
    from chalicelib.adapters.dynamodb.ledger import to_record
    from chalicelib.scheduling.holds import AgentDay

    tz = ZoneInfo(office.timezone)
    agents = list(office.agents)
    day, made = first, 0
    while made < count:
        if day.weekday() < 5 and not (skip and skip[0] <= day <= skip[1]):
            for agent in agents:
                entries = {}
                for k in range(min(7, count - made)):
                    start = int(datetime(day.year, day.month, day.day, 9, 0, tzinfo=tz).timestamp()) + k * 2400
                    entries[f"01J{day:%Y%m%d}{agent[-4:].upper()}{k:02d}XXXXXXXXX"[:26]] = (start, start + 1800)
                    made += 1
                if entries:
                    to_record(AgentDay(office.id, day, agent, entries)).save()
                if made >= count:
                    break
        day += timedelta(days=1)


def main() -> None:
    os.environ.update({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": "eu-west-1"})
    from chalicelib import bootstrap, settings
    from chalicelib.adapters.dynamodb.table import create_table
    from chalicelib.usecases.slots import list_slots

    document = yaml.safe_load((ROOT / "config/offices/salou-oac.yaml").read_text(encoding="utf-8"))
    with Emulator() as emu:
        for others in (0, 10, 10_000):
            table = f"bench-slots-{others}"
            create_table(boto3.client("dynamodb", endpoint_url=emu.url, region_name="eu-west-1"), table)
            container = bootstrap.build(settings.load({"SCHEDULER_TABLE": table, "SCHEDULER_AWS_ENDPOINT": emu.url}))
            office = container.offices.put(document, NOW)
            seed(office, MONTH[0], 1000)
            if others:
                seed(office, date(2027, 5, 3), others // 2, skip=MONTH)
                seed(office, date(2026, 1, 5), others - others // 2, skip=MONTH)
            container.offices = type(container.offices)()  # a cold cache, as in a fresh Lambda
            emu.recorder.clear()
            emu.recorder.enabled = True
            listing = list_slots(container.offices, NOW, office.id, "general-information", *MONTH)
            emu.recorder.enabled = False
            cost = summarize(emu.recorder.dynamodb())
            context = {"bookings_in_month": 1000, "bookings_elsewhere": others, "slots": len(listing.slots),
                       "operations": cost["operations"]}
            emit("slots_30_days.dynamodb_requests", cost["requests"], "requests", "<= 3", **context)
            emit("slots_30_days.read_capacity", cost["rcu"], "RCU", "<= 10", **context)


if __name__ == "__main__":
    main()
