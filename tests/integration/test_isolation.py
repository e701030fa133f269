"""Two municipalities on one deployment: slots, bookings, feeds and staff never cross."""
from __future__ import annotations

import icalendar
import pytest
import yaml

from tests.api.test_bookings_api import auth, book, post, problem
from tests.api.test_staff_api import get, send, token
from tests.conftest import FIXED_NOW, ROOT

VILASECA = yaml.safe_load((ROOT / "config/offices/vilaseca-oac.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def both(stack):
    stack.offices.put(VILASECA, FIXED_NOW)
    return stack


def slots(client, office: str, service: str = "general-information", day: str = "2027-03-23") -> list[str]:
    body = client.http.get(f"/v1/offices/{office}/services/{service}/slots?from={day}&to={day}").json_body
    return [s["start"] for s in body["slots"]]


def test_bookings_in_one_office_do_not_touch_the_others_slots(client, both):
    before = slots(client, "vilaseca-oac")
    for i in range(7):  # fill Salou's 09:00 with every agent (agent-anna included, an id both offices use)
        book(client, service="general-information", start="2027-03-23T08:00:00Z", email=f"i{i}@example.org",
             phone=f"+3465000000{i}")
    assert "2027-03-23T08:00:00Z" not in slots(client, "salou-oac")
    assert slots(client, "vilaseca-oac") == before


def test_each_office_keeps_its_own_rules(client, both):
    services = {s["id"] for s in client.http.get("/v1/offices/vilaseca-oac/services").json_body["services"]}
    assert services == {"general-information", "tax-and-fees"}
    problem(client.http.get("/v1/offices/vilaseca-oac/services/municipal-register/slots"), 404)
    assert slots(client, "vilaseca-oac")[0] == "2027-03-23T07:30:00Z"  # opens at 08:30 there
    first = post(client, "/v1/offices/vilaseca-oac/bookings", {
        "service_id": "general-information", "start": "2027-03-23T07:30:00Z", "channel": "video",
        "citizen": {"name": "Pere", "email": "pere@example.org", "phone": "977390350", "locale": "ca"}})
    assert first.status_code == 201 and first.json_body["booking"]["office_id"] == "vilaseca-oac"
    second = post(client, "/v1/offices/vilaseca-oac/bookings", {
        "service_id": "general-information", "start": "2027-03-24T07:30:00Z", "channel": "video",
        "citizen": {"name": "Pere", "email": "pere@example.org", "phone": "977390351", "locale": "ca"}})
    problem(second, 409, reason="too_many_bookings")  # one per citizen in Vila-seca
    book(client, email="pere@example.org", phone="977390351")  # ... which says nothing about Salou


def test_staff_and_feeds_stay_in_their_office(client, both):
    salou = book(client)
    vila_anna = token(both, agent="agent-anna", office="vilaseca-oac")
    vila_boss = token(both, agent="boss", role="supervisor", office="vilaseca-oac")
    agenda = get(client, "/v1/staff/agenda?from=2027-03-23&to=2027-03-23", vila_boss).json_body
    assert agenda["bookings"] == []
    for headers in (vila_anna, vila_boss):
        problem(send(client, "post", f"/v1/staff/bookings/{salou['booking']['id']}/status", headers,
                     {"status": "completed"}), 403)
        problem(send(client, "post", f"/v1/staff/bookings/{salou['booking']['id']}/reassign", headers, {}), 403)
    feed_url = send(client, "post", "/v1/staff/calendar-token", vila_anna).json_body["feed_url"]
    path = feed_url.split("8000", 1)[1]
    assert icalendar.Calendar.from_ical(get(client, path).body).walk("VEVENT") == []
    secret = path.split("token=", 1)[1]
    problem(get(client, f"/v1/agents/agent-anna/calendar.ics?token=salou-oac.{secret.split('.', 1)[1]}"), 404)
    office_feed = send(client, "post", "/v1/staff/calendar-token", vila_boss, {"office": True}).json_body["feed_url"]
    office_path = office_feed.split("8000", 1)[1]
    problem(get(client, office_path.replace("vilaseca-oac/calendar", "salou-oac/calendar")), 404)


def test_a_citizens_secret_opens_only_their_booking(client, both):
    salou = book(client)
    vila = post(client, "/v1/offices/vilaseca-oac/bookings", {
        "service_id": "general-information", "start": "2027-03-23T07:30:00Z", "channel": "video",
        "citizen": {"name": "Pere", "email": "pere@example.org", "phone": "977390350", "locale": "ca"}}).json_body
    problem(client.http.get(f"/v1/bookings/{salou['booking']['id']}", headers=auth(vila["manage_token"])), 404)
    problem(post(client, f"/v1/bookings/{salou['booking']['id']}/cancel", headers=auth(vila["manage_token"])), 404)


def test_absences_stay_in_their_office(client, both):
    salou_boss = token(both, agent="boss", role="supervisor")
    vila_anna = token(both, agent="agent-anna", office="vilaseca-oac")
    vila_boss = token(both, agent="boss", role="supervisor", office="vilaseca-oac")
    before = slots(client, "vilaseca-oac", "tax-and-fees")  # only Vila-seca's Anna serves it
    absence = {"agent_id": "agent-anna", "start": "2027-03-23T07:00:00Z", "end": "2027-03-23T12:00:00Z"}
    salou = send(client, "post", "/v1/staff/absences", salou_boss, absence)  # Salou's Anna, not Vila-seca's
    assert salou.status_code == 201
    absence_id = salou.json_body["absence"]["id"]
    assert "2027-03-23T08:00:00Z" in before and slots(client, "vilaseca-oac", "tax-and-fees") == before
    for headers in (vila_anna, vila_boss):
        listed = get(client, "/v1/staff/absences?agent_id=agent-anna", headers).json_body["absences"]
        assert absence_id not in {a["id"] for a in listed}
        assert send(client, "delete", f"/v1/staff/absences/{absence_id}", headers).status_code in (403, 404)
    problem(send(client, "post", "/v1/staff/absences", vila_boss, {**absence, "agent_id": "agent-jordi"}), 403)
    assert absence_id in {a["id"] for a in get(client, "/v1/staff/absences", salou_boss).json_body["absences"]}
