"""Staff: sign-in, agenda, outcomes, absences, reassignment and calendar feeds."""
from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import vobject

from chalicelib.adapters.staff_auth import StaffAuth, StaffAuthConfig
from tests.api.test_bookings_api import auth, book, post, problem
from tests.conftest import FIXED_NOW

SLOTS = "/v1/offices/salou-oac/services/e-office-assistance/slots?from=2027-03-23&to=2027-03-23"


def token(stack, agent="agent-anna", role="agent", office="salou-oac", now=FIXED_NOW, lifetime=timedelta(hours=1),
          secret=None) -> dict:
    config = stack.staff_auth.config
    issuer = StaffAuth(StaffAuthConfig(config.issuer, local_secret=secret or config.local_secret))
    return auth(issuer.issue_local(office, agent, role, now, lifetime))


@pytest.fixture
def other_office(stack, demo_document):
    doc = copy.deepcopy(demo_document)
    doc["id"] = "cambrils-oac"
    stack.offices.put(doc, FIXED_NOW)
    return doc


def booked_for(client, stack, agent: str, start="2027-03-23T08:00:00Z", n=0):
    """Book until ``agent`` gets one (assignment is fair, so a few bookings may be needed)."""
    for i in range(8):
        created = book(client, start=start, email=f"s{n}{i}@example.org", phone=f"+346300{n}{i:04d}",
                       notes="Porta el DNI")
        if created["booking"]["agent"]["id"] == agent:
            return created
    raise AssertionError(f"{agent} got no booking")


def get(client, path, headers=None):
    return client.http.get(path, headers=headers or {})


def send(client, method, path, headers, payload=None):
    body = json.dumps(payload).encode() if payload is not None else b""
    return getattr(client.http, method)(path, body=body, headers={"Content-Type": "application/json", **headers})


STAFF_ROUTES = [
    ("get", "/v1/staff/agenda", None),
    ("post", "/v1/staff/bookings/{booking}/status", {"status": "completed"}),
    ("post", "/v1/staff/bookings/{booking}/reassign", {}),
    ("post", "/v1/staff/absences", {"start": "2027-03-24T08:00:00Z", "end": "2027-03-24T10:00:00Z"}),
    ("get", "/v1/staff/absences", None),
    ("delete", "/v1/staff/absences/01HZZZZZZZZZZZZZZZZZZZZZZZ", None),
    ("post", "/v1/staff/calendar-token", {}),
]


@pytest.mark.parametrize(("method", "path", "payload"), STAFF_ROUTES)
def test_every_staff_route_wants_a_valid_token(client, stack, method, path, payload):
    created = book(client)
    path = path.format(booking=created["booking"]["id"])
    for headers in ({}, {"Authorization": "Bearer nonsense"},
                    token(stack, now=FIXED_NOW - timedelta(hours=3)),  # expired
                    token(stack, secret="another-secret-of-at-least-32-bytes!!")):
        response = send(client, method, path, headers, payload)
        problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "payload"), [r for r in STAFF_ROUTES if "{booking}" in r[1]])
def test_another_agent_or_another_office_is_forbidden(client, stack, other_office, method, path, payload):
    created = booked_for(client, stack, "agent-anna")
    path = path.format(booking=created["booking"]["id"])
    problem(send(client, method, path, token(stack, agent="agent-jordi"), payload), 403)
    problem(send(client, method, path, token(stack, agent="agent-anna", role="supervisor", office="cambrils-oac"),
                 payload), 403)


def test_an_agent_sees_their_own_agenda_and_a_supervisor_the_office(client, stack):
    mine = booked_for(client, stack, "agent-anna")
    other = booked_for(client, stack, "agent-jordi", start="2027-03-23T09:00:00Z", n=1)
    agenda = get(client, "/v1/staff/agenda?from=2027-03-23&to=2027-03-23", token(stack)).json_body
    ids = [b["id"] for b in agenda["bookings"]]
    assert mine["booking"]["id"] in ids and other["booking"]["id"] not in ids
    entry = next(b for b in agenda["bookings"] if b["id"] == mine["booking"]["id"])
    assert entry["citizen"]["phone"].startswith("+34") and entry["notes"] == "Porta el DNI"
    assert entry["service_name"] and entry["agent_video_url"].startswith("https://meet.jit.si/")
    office = get(client, "/v1/staff/agenda?from=2027-03-23&to=2027-03-23",
                 token(stack, agent="boss", role="supervisor")).json_body
    assert {mine["booking"]["id"], other["booking"]["id"]} <= {b["id"] for b in office["bookings"]}
    # the agents the caller may see, with or without bookings: the supervisor's forms need them all
    assert [a["id"] for a in office["agents"]] == list(stack.offices.get("salou-oac").agents)
    assert len(office["agents"]) == 7 and {"id": "agent-anna", "display_name": "Anna"} in office["agents"]
    assert [a["id"] for a in agenda["agents"]] == ["agent-anna"]
    only_jordi = get(client, "/v1/staff/agenda?from=2027-03-23&to=2027-03-23&agent_id=agent-jordi",
                     token(stack, agent="boss", role="supervisor")).json_body
    assert {b["agent"]["id"] for b in only_jordi["bookings"]} == {"agent-jordi"}
    problem(get(client, "/v1/staff/agenda?agent_id=agent-jordi", token(stack)), 403)
    problem(get(client, "/v1/staff/agenda?from=2027-03-23&to=2027-01-01", token(stack)), 400, "to")


def test_outcomes_are_recorded_once_the_appointment_began(client, stack):
    created = booked_for(client, stack, "agent-anna")
    path = f"/v1/staff/bookings/{created['booking']['id']}/status"
    problem(send(client, "post", path, token(stack), {"status": "completed"}), 409, reason="not_started")
    stack.clock = lambda: datetime(2027, 3, 23, 8, 10, tzinfo=UTC)
    problem(send(client, "post", path, token(stack, now=stack.now()), {"status": "gone"}), 400, "status")
    done = send(client, "post", path, token(stack, now=stack.now()), {"status": "no_show"})
    assert done.status_code == 200 and done.json_body["booking"]["status"] == "no_show"


def test_an_absence_removes_slots_at_once_and_lists_bookings_to_reassign(client, stack):
    created = booked_for(client, stack, "agent-anna")
    before = len(get(client, SLOTS).json_body["slots"])
    response = send(client, "post", "/v1/staff/absences", token(stack),
                    {"start": "2027-03-23T07:30:00Z", "end": "2027-03-23T13:00:00Z"})
    assert response.status_code == 201
    assert [b["id"] for b in response.json_body["bookings_to_reassign"]] == [created["booking"]["id"]]
    assert len(get(client, SLOTS).json_body["slots"]) == before  # other agents are still free
    boss = token(stack, agent="boss", role="supervisor")
    others = [a.id for a in stack.offices.get("salou-oac").agents_for("e-office-assistance") if a.id != "agent-anna"]
    extra = [send(client, "post", "/v1/staff/absences", boss, {"agent_id": agent, "start": "2027-03-23T07:30:00Z",
                                                               "end": "2027-03-23T13:00:00Z"}) for agent in others]
    assert [s["start"] for s in get(client, SLOTS).json_body["slots"]] == []  # nobody left: no slots, at once
    for each in extra:
        assert send(client, "delete", f"/v1/staff/absences/{each.json_body['absence']['id']}", boss).status_code == 204
    agenda = get(client, "/v1/staff/agenda?from=2027-03-23&to=2027-03-23", token(stack)).json_body
    assert next(b for b in agenda["bookings"] if b["id"] == created["booking"]["id"])["needs_reassignment"]
    absence_id = response.json_body["absence"]["id"]
    problem(send(client, "delete", f"/v1/staff/absences/{absence_id}", token(stack, agent="agent-jordi")), 403)
    assert send(client, "delete", f"/v1/staff/absences/{absence_id}", token(stack)).status_code == 204
    assert len(get(client, SLOTS).json_body["slots"]) == before
    problem(send(client, "post", "/v1/staff/absences", token(stack),
                 {"agent_id": "agent-jordi", "start": "2027-03-24T08:00:00Z", "end": "2027-03-24T09:00:00Z"}), 403)
    by_boss = send(client, "post", "/v1/staff/absences", token(stack, agent="boss", role="supervisor"),
                   {"agent_id": "agent-jordi", "start": "2027-03-24T08:00:00Z", "end": "2027-03-24T09:00:00Z"})
    assert by_boss.status_code == 201 and by_boss.json_body["absence"]["agent_id"] == "agent-jordi"
    problem(send(client, "post", "/v1/staff/absences", token(stack),
                 {"start": "2027-03-24T09:00:00Z", "end": "2027-03-24T08:00:00Z"}), 400, "end")


def test_a_supervisor_moves_a_booking_to_another_free_agent(client, stack):
    sent = []
    stack.email.send = lambda *args: sent.append(args)  # watch what goes out
    created = booked_for(client, stack, "agent-anna")
    sent.clear()
    path = f"/v1/staff/bookings/{created['booking']['id']}/reassign"
    problem(send(client, "post", path, token(stack), {}), 403)  # agents cannot
    moved = send(client, "post", path, token(stack, agent="boss", role="supervisor"), {"agent_id": "agent-sara"})
    assert moved.status_code == 200, moved.body
    assert moved.json_body["booking"]["agent"]["id"] == "agent-sara" and moved.json_body["booking"]["sequence"] == 1
    methods = {m[-1].key: m[-1].method for m in sent}
    assert methods == {"change#email#1": "REQUEST", "agent#agent-sara#1": "REQUEST", "agent#agent-anna#1": "CANCEL"}
    citizen_invite = icalendar.Calendar.from_ical(next(m[-1].invite for m in sent if m[-1].key == "change#email#1"))
    assert int(next(iter(citizen_invite.walk("VEVENT")))["SEQUENCE"]) == 1
    slots = [s["start"] for s in get(client, SLOTS).json_body["slots"]]
    assert ("2027-03-23T08:00:00Z" in slots) is True  # anna is free again, others may still be


def test_the_agent_feed_is_secret_cacheable_and_rotatable(client, stack):
    created = booked_for(client, stack, "agent-anna")
    cancelled = booked_for(client, stack, "agent-anna", start="2027-03-24T08:00:00Z", n=1)
    post(client, f"/v1/bookings/{cancelled['booking']['id']}/cancel", headers=auth(cancelled["manage_token"]))
    issued = send(client, "post", "/v1/staff/calendar-token", token(stack))
    assert issued.status_code == 201 and issued.json_body["webcal_url"].startswith("webcal://")
    path = issued.json_body["feed_url"].split("8000", 1)[1]
    feed = get(client, path)
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    assert "private" in feed.headers["Cache-Control"] and feed.headers["ETag"] and feed.headers["Last-Modified"]
    calendar = icalendar.Calendar.from_ical(feed.body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    statuses = {str(e["UID"]).split("@")[0]: str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses[created["booking"]["id"]] == "CONFIRMED" and statuses[cancelled["booking"]["id"]] == "CANCELLED"
    assert len(next(iter(vobject.readComponents(feed.body.decode()))).vevent_list) == len(statuses)
    assert get(client, path, {"If-None-Match": feed.headers["ETag"]}).status_code == 304
    assert get(client, path, {"If-Modified-Since": feed.headers["Last-Modified"]}).status_code == 304
    stack.clock = lambda: FIXED_NOW + timedelta(days=40)  # cancelled more than 7 days ago: gone
    later = icalendar.Calendar.from_ical(get(client, path).body)
    assert cancelled["booking"]["id"] not in {str(e["UID"]).split("@")[0] for e in later.walk("VEVENT")}
    stack.clock = lambda: FIXED_NOW
    send(client, "post", "/v1/staff/calendar-token", token(stack))
    problem(get(client, path), 404)  # the old secret stops at once
    problem(get(client, path.replace("agent-anna", "agent-jordi")), 404)


def test_the_office_feed_is_for_supervisors(client, stack):
    booked_for(client, stack, "agent-anna")
    problem(send(client, "post", "/v1/staff/calendar-token", token(stack), {"office": True}), 403)
    issued = send(client, "post", "/v1/staff/calendar-token", token(stack, agent="boss", role="supervisor"),
                  {"office": True})
    path = issued.json_body["feed_url"].split("8000", 1)[1]
    assert path.startswith("/v1/offices/salou-oac/calendar.ics")
    assert len(icalendar.Calendar.from_ical(get(client, path).body).walk("VEVENT")) == 1
    problem(get(client, path.replace("salou-oac/", "cambrils-oac/")), 404)


def test_staff_of_another_office_see_and_change_nothing_here(client, stack, other_office):
    created = booked_for(client, stack, "agent-anna")
    absence = send(client, "post", "/v1/staff/absences", token(stack),
                   {"start": "2027-03-24T08:00:00Z", "end": "2027-03-24T09:00:00Z"}).json_body["absence"]
    foreign = token(stack, agent="agent-anna", role="supervisor", office="cambrils-oac")
    agenda = get(client, "/v1/staff/agenda?from=2027-03-23&to=2027-03-24", foreign).json_body
    assert agenda["office_id"] == "cambrils-oac" and agenda["bookings"] == []
    assert get(client, "/v1/staff/absences", foreign).json_body["absences"] == []
    problem(send(client, "delete", f"/v1/staff/absences/{absence['id']}", foreign), 404)
    problem(send(client, "post", f"/v1/staff/bookings/{created['booking']['id']}/status", foreign,
                 {"status": "completed"}), 403)
    issued = send(client, "post", "/v1/staff/calendar-token", foreign).json_body["feed_url"]
    feed = icalendar.Calendar.from_ical(get(client, issued.split("8000", 1)[1]).body)
    assert feed.walk("VEVENT") == []


def test_an_agent_cannot_take_another_agents_feed(client, stack):
    problem(send(client, "post", "/v1/staff/calendar-token", token(stack), {"agent_id": "agent-jordi"}), 403)
    boss = send(client, "post", "/v1/staff/calendar-token", token(stack, agent="boss", role="supervisor"),
                {"agent_id": "agent-jordi"})
    assert "/v1/agents/agent-jordi/calendar.ics" in boss.json_body["feed_url"]
