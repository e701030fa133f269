"""Abuse limits: per-IP bookings, per-contact bookings across offices, slot listing, the SMS cap."""
from __future__ import annotations

import copy
from datetime import timedelta

import boto3
import pytest
import yaml

from tests.api.test_bookings_api import BOOK, body, post, problem
from tests.conftest import FIXED_NOW, ROOT

START = FIXED_NOW.replace(day=23)  # Tuesday 2027-03-23 08:00Z, 09:00 in Madrid


def start(n: int) -> str:
    return (START + timedelta(minutes=15 * (n % 20), days=7 * (n // 20))).strftime("%Y-%m-%dT%H:%M:%SZ")


def items(stack, prefix: str) -> list[dict]:
    client = boto3.client("dynamodb", endpoint_url=stack.settings.aws_endpoint, region_name="eu-west-1")
    return [i for i in client.scan(TableName=stack.settings.table_name)["Items"] if i["pk"]["S"].startswith(prefix)]


def test_a_burst_of_fifty_bookings_from_one_address(client, stack):
    answers = [post(client, BOOK, body(start=start(n), service="general-information", email=f"b{n}@example.org",
                                       phone=f"+346400000{n:02d}")) for n in range(50)]
    assert [a.status_code for a in answers] == [201] * 10 + [429] * 40
    refused = problem(answers[10], 429)
    assert "connection" in refused["detail"]
    assert 0 < int(answers[10].headers["Retry-After"]) <= 3600
    created = {a.json_body["booking"]["id"] for a in answers[:10]}
    assert {i["pk"]["S"].split("#", 1)[1] for i in items(stack, "BOOKING#")} == created
    assert {i["pk"]["S"].split("#")[1] for i in items(stack, "OUTBOX#")} == created
    holds = [h.split(":")[0] for i in items(stack, "OFFICE#salou-oac#LEDGER") for h in i["entries"]["S"].split()]
    assert sorted(holds) == sorted(created)


def test_an_hour_later_the_address_may_book_again(client, stack):
    for n in range(10):
        post(client, BOOK, body(start=start(n), service="general-information", email=f"h{n}@example.org",
                                phone=f"+346410000{n:02d}"))
    problem(post(client, BOOK, body(start=start(10), service="general-information")), 429)
    stack.clock = lambda: FIXED_NOW + timedelta(hours=1)
    assert post(client, BOOK, body(start=start(10), service="general-information")).status_code == 201


def test_five_bookings_a_day_per_contact_across_offices(client, stack):
    doc = yaml.safe_load((ROOT / "config/offices/vilaseca-oac.yaml").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["booking"]["max_active_per_citizen"] = 10
    doc["limits"] = {"bookings_per_ip_per_hour": 100}
    stack.offices.put(doc, FIXED_NOW)
    salou = yaml.safe_load((ROOT / "config/offices/salou-oac.yaml").read_text(encoding="utf-8"))
    salou["booking"]["max_active_per_citizen"] = 10
    salou["limits"]["bookings_per_ip_per_hour"] = 100
    stack.offices.put(salou, FIXED_NOW)
    for n in range(3):
        assert post(client, BOOK, body(start=start(n), service="general-information", email="same@example.org",
                                       phone=f"+346420000{n:02d}")).status_code == 201
    for n in range(2):
        answer = post(client, "/v1/offices/vilaseca-oac/bookings", {
            "service_id": "general-information", "start": f"2027-03-2{3 + n}T07:30:00Z", "channel": "video",
            "citizen": {"name": "Same", "email": "same@example.org", "phone": f"+3464300000{n}", "locale": "ca"}})
        assert answer.status_code == 201, answer.body
    sixth = post(client, BOOK, body(start=start(5), service="general-information", email="same@example.org",
                                    phone="+34644000000"))
    problem(sixth, 429)
    assert "today" in sixth.json_body["detail"]
    stack.clock = lambda: FIXED_NOW + timedelta(days=1)
    assert post(client, BOOK, body(start=start(5), service="general-information", email="same@example.org",
                                   phone="+34644000000")).status_code == 201


def test_slot_listing_has_a_cheap_per_address_limit(client, stack):
    salou = yaml.safe_load((ROOT / "config/offices/salou-oac.yaml").read_text(encoding="utf-8"))
    salou["limits"]["slot_listings_per_ip_per_minute"] = 3
    stack.offices.put(salou, FIXED_NOW)
    url = "/v1/offices/salou-oac/services/general-information/slots?from=2027-03-23&to=2027-03-23"
    assert [client.http.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    stack.clock = lambda: FIXED_NOW + timedelta(minutes=1)
    assert client.http.get(url).status_code == 200


class Texts:
    def __init__(self) -> None:
        self.sent = []

    def send(self, *args) -> None:
        self.sent.append(args)


@pytest.fixture
def capped(stack):
    salou = yaml.safe_load((ROOT / "config/offices/salou-oac.yaml").read_text(encoding="utf-8"))
    salou["limits"]["sms_per_day"] = 5
    stack.offices.put(salou, FIXED_NOW)
    stack.sms, stack.email = Texts(), Texts()
    return stack


def test_the_daily_sms_cap_warns_at_80_percent_and_stops_sms_only(client, capped, capsys):
    for n in range(7):
        post(client, BOOK, body(start=start(n), service="general-information", email=f"c{n}@example.org",
                                phone=f"+346450000{n:02d}"))
    assert len(capped.sms.sent) == 5
    assert len([m for m in capped.email.sent if not m[-1].key.startswith("agent#")]) == 7  # e-mail goes on
    printed = capsys.readouterr().out
    assert printed.count('"SmsCapWarning"') >= 1 and printed.count('"SmsCapReached"') >= 2
    parked = [f for f in capped.outbox.failures() if f["channel"] == "sms"]
    assert len(parked) == 2 and all("DailySmsCap" in f["error"] for f in parked)
