"""The booking lifecycle through the HTTP API, on the locked emulator."""
from __future__ import annotations

import json
from datetime import timedelta

import icalendar
import pytest

from tests.conftest import FIXED_NOW

BOOK = "/v1/offices/salou-oac/bookings"
TUESDAY_9 = "2027-03-23T08:00:00Z"  # 09:00 in Madrid (CET)
TUESDAY_930 = "2027-03-23T08:30:00Z"


def body(start=TUESDAY_9, service="e-office-assistance", email="maria@example.org", phone="977 30 92 00",
         **extra) -> dict:
    return {"service_id": service, "start": start, "channel": "video",
            "citizen": {"name": "Maria Puig", "email": email, "phone": phone, "locale": "ca"}, **extra}


def post(client, path, payload=None, headers=None):
    return client.http.post(path, body=json.dumps(payload or {}).encode(),
                            headers={"Content-Type": "application/json", **(headers or {})})


def book(client, **kwargs):
    response = post(client, BOOK, body(**kwargs), kwargs.pop("headers", None))
    assert response.status_code == 201, response.body
    return response.json_body


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def problem(response, status, field=None, reason=None):
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    data = response.json_body
    assert {"type", "title", "status", "detail"} <= data.keys()
    if field:
        assert field in [e["field"] for e in data["errors"]], data
    if reason:
        assert data["reason"] == reason, data
    return data


def test_create_returns_the_booking_a_secret_and_a_manage_link(client):
    created = book(client, notes="Necessito ajuda amb el certificat digital")
    booking = created["booking"]
    assert booking["status"] == "confirmed" and booking["channel"] == "video"
    assert booking["start"] == TUESDAY_9 and booking["end"] == "2027-03-23T08:30:00Z"
    assert booking["local_start"] == "2027-03-23T09:00:00+01:00"
    assert booking["sequence"] == 0 and booking["office_id"] == "salou-oac"
    assert booking["citizen"] == {"name": "Maria Puig", "email": "maria@example.org", "phone": "+34977309200",
                                  "locale": "ca"}
    assert booking["video_url"].startswith("https://meet.jit.si/") and "salou" not in booking["video_url"]
    assert booking["agent"]["id"] and booking["agent"]["display_name"]
    assert len(created["manage_token"]) >= 32
    assert created["manage_url"].endswith(f"/manage/{booking['id']}?token={created['manage_token']}")


def test_the_booked_slot_is_no_longer_offered_when_no_agent_is_left(client, stack):
    slots_url = "/v1/offices/salou-oac/services/e-office-assistance/slots?from=2027-03-23&to=2027-03-23"
    qualified = len(stack.offices.get("salou-oac").agents_for("e-office-assistance"))
    for i in range(qualified):
        book(client, email=f"c{i}@example.org", phone=f"+3461000000{i}")
    starts = [s["start"] for s in client.http.get(slots_url).json_body["slots"]]
    assert TUESDAY_9 not in starts and TUESDAY_930 not in starts  # 30 min + 10 min buffer holds 09:30 too
    problem(post(client, BOOK, body(email="late@example.org", phone="+34610000099")), 409, reason="slot_taken")


def test_fewest_bookings_that_day_gets_the_next_one(client):
    agents = [book(client, start=f"2027-03-23T{8 + i // 2:02d}:{30 * (i % 2):02d}:00Z",
                   email=f"c{i}@example.org", phone=f"+3461000001{i}")["booking"]["agent"]["id"] for i in range(4)]
    assert len(set(agents)) == 4  # spread over agents, not stacked on the first


def test_read_with_bearer_or_query_token_and_404_otherwise(client):
    created = book(client)
    booking_id, token = created["booking"]["id"], created["manage_token"]
    assert client.http.get(f"/v1/bookings/{booking_id}", headers=auth(token)).json_body["booking"]["id"] == booking_id
    assert client.http.get(f"/v1/bookings/{booking_id}?token={token}").status_code == 200
    wrong = problem(client.http.get(f"/v1/bookings/{booking_id}", headers=auth("0" * 64)), 404)
    missing = problem(client.http.get(f"/v1/bookings/{booking_id}"), 404)
    unknown = problem(client.http.get("/v1/bookings/01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=auth(token)), 404)
    assert wrong["detail"] == missing["detail"] == unknown["detail"]


def test_reading_never_changes_anything(client):
    created = book(client)
    path = f"/v1/bookings/{created['booking']['id']}?token={created['manage_token']}"
    for _ in range(3):
        client.http.get(path)
    assert client.http.get(path).json_body["booking"]["status"] == "confirmed"
    assert client.http.get(path).json_body["booking"]["sequence"] == 0


def test_cancel_frees_the_slot_and_bumps_the_sequence(client, stack):
    only = stack.offices.get("salou-oac").agents_for("municipal-register")
    created = book(client, service="municipal-register", start="2027-03-23T08:00:00Z")
    booking_id, token = created["booking"]["id"], created["manage_token"]
    slots_url = "/v1/offices/salou-oac/services/municipal-register/slots?from=2027-03-23&to=2027-03-23"
    assert len(only) > 1
    cancelled = post(client, f"/v1/bookings/{booking_id}/cancel", headers=auth(token))
    assert cancelled.status_code == 200
    assert cancelled.json_body["booking"]["status"] == "cancelled"
    assert cancelled.json_body["booking"]["sequence"] == 1
    assert "2027-03-23T08:00:00Z" in [s["start"] for s in client.http.get(slots_url).json_body["slots"]]
    problem(post(client, f"/v1/bookings/{booking_id}/cancel", headers=auth(token)), 409, reason="not_active")
    problem(post(client, f"/v1/bookings/{booking_id}/cancel", headers=auth("f" * 64)), 404)


def test_reschedule_keeps_id_and_room_and_releases_the_old_time(client):
    created = book(client)
    booking_id, token = created["booking"]["id"], created["manage_token"]
    moved = post(client, f"/v1/bookings/{booking_id}/reschedule", {"start": "2027-03-24T10:00:00Z"}, auth(token))
    assert moved.status_code == 200, moved.body
    after = moved.json_body["booking"]
    assert after["id"] == booking_id and after["video_url"] == created["booking"]["video_url"]
    assert after["sequence"] == 1 and after["start"] == "2027-03-24T10:00:00Z"
    assert after["local_start"] == "2027-03-24T11:00:00+01:00"
    # the same citizen can take the old time again (it was released) ...
    again = book(client, email="other@example.org", phone="+34610000077")
    assert again["booking"]["start"] == TUESDAY_9


def test_reschedule_to_a_taken_time_leaves_the_booking_untouched(client, stack):
    created = book(client, service="municipal-register", start="2027-03-23T08:00:00Z")
    booking_id, token = created["booking"]["id"], created["manage_token"]
    agents = stack.offices.get("salou-oac").agents_for("municipal-register")
    for i in range(len(agents)):  # until nobody is left at that time
        if post(client, BOOK, body(service="municipal-register", start="2027-03-25T09:00:00Z",
                                   email=f"x{i}@example.org", phone=f"+3462000000{i}")).status_code == 409:
            break
    conflict = problem(post(client, f"/v1/bookings/{booking_id}/reschedule", {"start": "2027-03-25T09:00:00Z"},
                            auth(token)), 409, reason="slot_taken")
    assert len(conflict["alternatives"]) == 3
    same = client.http.get(f"/v1/bookings/{booking_id}", headers=auth(token)).json_body["booking"]
    assert same["start"] == "2027-03-23T08:00:00Z" and same["sequence"] == 0


def test_a_time_off_the_grid_or_taken_answers_409_with_three_alternatives(client):
    conflict = problem(post(client, BOOK, body(start="2027-03-23T08:10:00Z")), 409, reason="slot_taken")
    assert [a["start"] for a in conflict["alternatives"]] == [
        "2027-03-23T08:30:00Z", "2027-03-23T09:00:00Z", "2027-03-23T09:30:00Z"]
    assert all(a["local_start"] for a in conflict["alternatives"])
    problem(post(client, BOOK, body(start="2027-03-26T09:00:00Z")), 409, reason="slot_taken")  # Good Friday
    problem(post(client, BOOK, body(start="2027-02-26T09:00:00Z")), 409, reason="slot_taken")  # the past


@pytest.mark.parametrize(("change", "field"), [
    ({"citizen": {"name": "", "email": "a@example.org", "phone": "977309200", "locale": "ca"}}, "citizen.name"),
    ({"citizen": {"name": "x" * 101, "email": "a@example.org", "phone": "977309200", "locale": "ca"}},
     "citizen.name"),
    ({"citizen": {"name": "Ann", "email": "not-an-email", "phone": "977309200", "locale": "ca"}}, "citizen.email"),
    ({"citizen": {"name": "Ann", "email": "a@example.org", "phone": "12", "locale": "ca"}}, "citizen.phone"),
    ({"citizen": {"name": "Ann", "email": "a@example.org", "phone": "977309200", "locale": "fr"}},
     "citizen.locale"),
    ({"notes": "n" * 501}, "notes"),
    ({"start": "tomorrow at nine"}, "start"),
    ({"start": "2027-03-23T09:00:00"}, "start"),
    ({"service_id": "weddings"}, "service_id"),
    ({"channel": "in_person"}, "channel"),
    ({"citizen": "Ann"}, "citizen"),
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(client, change, field):
    problem(post(client, BOOK, {**body(), **change}), 400, field)
    assert TUESDAY_9 in [s["start"] for s in client.http.get(
        "/v1/offices/salou-oac/services/e-office-assistance/slots?from=2027-03-23&to=2027-03-23").json_body["slots"]]


def test_body_that_is_not_json_is_a_400(client):
    response = client.http.post(BOOK, body=b"{not json", headers={"Content-Type": "application/json"})
    problem(response, 400, "body")


def test_a_citizen_may_hold_two_future_bookings_by_email_or_by_phone(client):
    book(client, start=TUESDAY_9, email="same@example.org", phone="+34610000001")
    book(client, start="2027-03-24T08:00:00Z", email="same@example.org", phone="+34610000002")
    problem(post(client, BOOK, body(start="2027-03-25T08:00:00Z", email="same@example.org", phone="+34610000003")),
            409, reason="too_many_bookings")
    book(client, start=TUESDAY_930, email="a@example.org", phone="+34620000001")
    book(client, start="2027-03-24T08:30:00Z", email="b@example.org", phone="+34620000001")
    problem(post(client, BOOK, body(start="2027-03-25T08:30:00Z", email="c@example.org", phone="+34620000001")),
            409, reason="too_many_bookings")


def test_cancelling_gives_the_citizen_room_for_another(client):
    first = book(client, start=TUESDAY_9)
    book(client, start="2027-03-24T08:00:00Z")
    post(client, f"/v1/bookings/{first['booking']['id']}/cancel", headers=auth(first["manage_token"]))
    book(client, start="2027-03-25T08:00:00Z")


def test_past_appointments_do_not_count_against_the_limit(client, stack):
    book(client, start="2027-03-02T08:00:00Z")
    book(client, start="2027-03-03T08:00:00Z")
    stack.clock = lambda: FIXED_NOW + timedelta(days=3)
    book(client, start="2027-03-23T08:00:00Z")


def test_idempotency_key_replays_the_same_booking(client, stack, emulator):
    key = {"Idempotency-Key": "7d5b2f0e-1c1a-4f7a-9c59-2b1f1c0d9a11"}
    first = post(client, BOOK, body(), key)
    emulator.recorder.clear()
    emulator.recorder.enabled = True
    second = post(client, BOOK, body(), key)
    emulator.recorder.enabled = False
    assert first.status_code == second.status_code == 201
    assert second.json_body == first.json_body
    writes = [c for c in emulator.recorder.dynamodb() if c.operation in ("TransactWriteItems", "PutItem",
                                                                       "UpdateItem", "DeleteItem")]
    assert writes == []
    problem(post(client, BOOK, body(start=TUESDAY_930), key), 422)


def test_idempotency_keys_expire_after_24_hours(client, stack):
    key = {"Idempotency-Key": "k-expiring"}
    first = post(client, BOOK, body(), key).json_body
    stack.clock = lambda: FIXED_NOW + timedelta(hours=24, seconds=1)
    again = post(client, BOOK, body(start=TUESDAY_930, email="b@example.org", phone="+34610000002"), key)
    assert again.status_code == 201 and again.json_body["booking"]["id"] != first["booking"]["id"]


def test_changes_close_at_the_cutoff_and_after_the_start(client, stack):
    created = book(client)  # Tuesday 09:00; the office's cut-off is 60 minutes
    path = f"/v1/bookings/{created['booking']['id']}"
    token = auth(created["manage_token"])
    stack.clock = lambda: FIXED_NOW.replace(month=3, day=23, hour=7, minute=1)  # 08:01 local, 59 min before
    problem(post(client, f"{path}/cancel", headers=token), 409, reason="too_late")
    problem(post(client, f"{path}/reschedule", {"start": "2027-03-24T08:00:00Z"}, token), 409, reason="too_late")
    stack.clock = lambda: FIXED_NOW.replace(month=3, day=23, hour=8, minute=5)
    problem(post(client, f"{path}/cancel", headers=token), 409, reason="already_started")


def test_invite_is_a_request_then_a_cancel_with_the_same_uid(client):
    created = book(client)
    booking_id, token = created["booking"]["id"], created["manage_token"]
    response = client.http.get(f"/v1/bookings/{booking_id}/invite.ics", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.body)
    event = next(iter(calendar.walk("VEVENT")))
    assert str(calendar["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 0
    assert str(event["LOCATION"]) == created["booking"]["video_url"]
    assert created["manage_url"] in str(event["DESCRIPTION"])
    post(client, f"/v1/bookings/{booking_id}/cancel", headers=auth(token))
    cancelled = icalendar.Calendar.from_ical(
        client.http.get(f"/v1/bookings/{booking_id}/invite.ics?token={token}").body)
    cancel_event = next(iter(cancelled.walk("VEVENT")))
    assert str(cancelled["METHOD"]) == "CANCEL" and int(cancel_event["SEQUENCE"]) == 1
    assert str(cancel_event["UID"]) == str(event["UID"]) and str(cancel_event["STATUS"]) == "CANCELLED"
    problem(client.http.get(f"/v1/bookings/{booking_id}/invite.ics"), 404)
