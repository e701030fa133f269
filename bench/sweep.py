"""DynamoDB requests for one outbox sweep with 10,000 future bookings and 5 messages due.

The table holds the demo office, 10,000 bookings' 30,000 future reminders
(written in batches, as the booking transactions would have left them) and
5 due SMS reminders. The sweep runs with fake senders; every DynamoDB request
it makes is counted at the emulator. Besides its one Query, each SMS costs a
claim, a count against the office's daily SMS cap and a mark-sent (three
UpdateItem), and the cap needs the office (one GetItem per sweep).
"""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import yaml

from bench.report import emit, summarize
from devstack.emulator import FAKE_CREDENTIALS, Emulator

DEMO_OFFICE = Path(__file__).resolve().parent.parent / "config" / "offices" / "salou-oac.yaml"

NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)
BOOKINGS, DUE = 10_000, 5


class NullSender:
    def send(self, *args: object) -> None:
        return None


def main() -> None:
    os.environ.update({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": "eu-west-1"})
    from chalicelib import bootstrap, settings
    from chalicelib.adapters.dynamodb import outbox
    from chalicelib.adapters.dynamodb.models import OutboxRecord
    from chalicelib.adapters.dynamodb.table import create_table
    from chalicelib.scheduling.outbox import Message
    from chalicelib.usecases.delivery import sweep

    facts = {"kind": "reminder", "locale": "ca", "office_name": "Oficina", "office_email": "o@example.org",
             "office_phone": "+34977000000", "service_name": "Informació", "citizen_name": "Bench",
             "timezone": "Europe/Madrid", "channel": "video", "video_url": "https://meet.jit.si/room",
             "manage_url": "https://example.org/manage/x?token=y", "sender_email": "no-reply@example.org"}
    with Emulator() as emu:
        create_table(boto3.client("dynamodb", endpoint_url=emu.url, region_name="eu-west-1"), "bench-sweep")
        container = bootstrap.build(settings.load({"SCHEDULER_TABLE": "bench-sweep",
                                                   "SCHEDULER_AWS_ENDPOINT": emu.url}))
        container.clock = lambda: NOW
        container.email = container.sms = NullSender()
        container.offices.put(yaml.safe_load(DEMO_OFFICE.read_text(encoding="utf-8")), NOW)

        def message(n: int, key: str, due: datetime) -> Message:
            start = due + timedelta(days=1)
            return Message("salou-oac", f"B{n:08d}", key, "reminder", "sms", due, "+34610000000", "Bench",
                           {**facts, "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()})

        with OutboxRecord.batch_write() as batch:
            for n in range(BOOKINGS):
                due = NOW + timedelta(days=1 + n % 90, minutes=n % 300)
                for key in ("reminder#0#email", "reminder#0#sms", "reminder#1#sms"):
                    batch.save(outbox.to_record(message(n, key, due), due + timedelta(days=90)))
            for n in range(DUE):
                batch.save(outbox.to_record(message(BOOKINGS + n, "reminder#0#sms", NOW - timedelta(minutes=n)),
                                            NOW + timedelta(days=90)))
        emu.recorder.clear()
        emu.recorder.enabled = True
        report = sweep(container.delivery())
        emu.recorder.enabled = False
        cost = summarize(emu.recorder.dynamodb())
        queries = cost["operations"].count("Query")
        emit("sweep.dynamodb_queries", queries, "requests", "<= 2", pending_future=BOOKINGS * 3, due=DUE,
             sent=report.sent)
        emit("sweep.dynamodb_requests", cost["requests"], "requests", "<= 2 queries + writes for 5 messages",
             operations=cost["operations"])
        emit("sweep.read_capacity", cost["rcu"], "RCU", None)
        emit("sweep.write_capacity", cost["wcu"], "WCU", None)


if __name__ == "__main__":
    main()
