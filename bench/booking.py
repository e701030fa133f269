"""DynamoDB requests and capacity per booking operation (create, cancel, reschedule).

Through the use cases the routes call, against the emulator, counting every
request it receives; WCU and RCU follow DynamoDB's billing rules from the
bytes written and returned.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import boto3
import yaml

from bench.report import emit, summarize
from devstack.emulator import FAKE_CREDENTIALS, Emulator

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)


def request(start: str, n: int) -> dict:
    return {"service_id": "e-office-assistance", "start": start, "channel": "video",
            "citizen": {"name": "Bench Citizen", "email": f"bench{n}@example.org", "phone": f"+3461000{n:04d}",
                        "locale": "ca"}}


def main() -> None:
    os.environ.update({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": "eu-west-1"})
    from chalicelib import bootstrap, settings
    from chalicelib.adapters.dynamodb.table import create_table
    from chalicelib.usecases import booking

    document = yaml.safe_load((ROOT / "config/offices/salou-oac.yaml").read_text(encoding="utf-8"))
    with Emulator() as emu:
        create_table(boto3.client("dynamodb", endpoint_url=emu.url, region_name="eu-west-1"), "bench-booking")
        container = bootstrap.build(settings.load({"SCHEDULER_TABLE": "bench-booking",
                                                   "SCHEDULER_AWS_ENDPOINT": emu.url}))
        container.clock = lambda: NOW
        container.offices.put(document, NOW)
        deps = container.booking_deps()
        deps.deliver = None  # the booking itself; the immediate send is measured on its own below
        booking.create_booking(deps, "salou-oac", request("2027-03-22T08:00:00Z", 0), None)  # warm caches

        def measure(name: str, target: str | None, action) -> object:
            emu.recorder.clear()
            emu.recorder.enabled = True
            result = action()
            emu.recorder.enabled = False
            cost = summarize(emu.recorder.dynamodb())
            emit(f"{name}.dynamodb_requests", cost["requests"], "requests", target, operations=cost["operations"])
            emit(f"{name}.write_capacity", cost["wcu"], "WCU", None)
            emit(f"{name}.read_capacity", cost["rcu"], "RCU", None)
            return result

        created = measure("booking.create", "1 TransactWriteItems + <= 2 reads",
                          lambda: booking.create_booking(deps, "salou-oac", request("2027-03-23T08:00:00Z", 1), None))
        measure("booking.create_with_idempotency_key", None,
                lambda: booking.create_booking(deps, "salou-oac", request("2027-03-24T08:00:00Z", 2), "bench-key"))
        measure("booking.reschedule", None, lambda: booking.reschedule_booking(
            deps, created.booking.id, created.token, {"start": "2027-03-25T09:00:00Z"}))
        measure("booking.cancel", None, lambda: booking.cancel_booking(deps, created.booking.id, created.token))

        class NullSender:
            def send(self, *args: object) -> None:
                return None

        container.email = container.sms = NullSender()
        with_send = container.booking_deps()
        measure("booking.create_and_send_confirmation", None,
                lambda: booking.create_booking(with_send, "salou-oac", request("2027-03-30T08:00:00Z", 3), None))


if __name__ == "__main__":
    main()
