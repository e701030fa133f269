"""A whole booking flow logs no name, e-mail or phone; lines carry request and booking ids; EMF metrics."""
from __future__ import annotations

import json
import logging

from chalicelib import observability
from tests.api.test_bookings_api import auth, book, post
from tests.api.test_staff_api import send, token

NAME, EMAIL, PHONE = "Montserrat Vilaseca", "montse.vilaseca@example.org", "+34612345678"


class Failing:
    def send(self, *args) -> None:
        raise ConnectionError("provider down")


def test_a_full_flow_logs_no_personal_data(client, stack, capsys, caplog):
    observability.configure()
    caplog.set_level(logging.INFO)  # everything at INFO, as a chatty production setting would
    caplog.set_level(logging.DEBUG, logger="scheduler")
    logging.getLogger("scheduler").propagate = True  # let caplog see our records too
    stack.sms = Failing()  # failures are logged: they must stay free of personal data too
    created = book(client, email=EMAIL, phone=PHONE)
    booking_id = created["booking"]["id"]
    client.http.get(f"/v1/bookings/{booking_id}", headers=auth(created["manage_token"]))
    post(client, f"/v1/bookings/{booking_id}/reschedule", {"start": "2027-03-24T08:00:00Z"},
         auth(created["manage_token"]))
    send(client, "get", "/v1/staff/agenda?from=2027-03-23&to=2027-03-25", token(stack, role="supervisor"))
    post(client, f"/v1/bookings/{booking_id}/cancel", headers=auth(created["manage_token"]))
    post(client, "/v1/offices/salou-oac/bookings", {"service_id": "e-office-assistance", "start": "bad",
                                                    "citizen": {"name": NAME, "email": EMAIL, "phone": PHONE}})
    printed = capsys.readouterr().out
    logging.getLogger("scheduler").propagate = False
    assert all(logging.getLogger(name).getEffectiveLevel() >= logging.WARNING for name in ("botocore", "pynamodb"))
    formatter = observability.JsonFormatter()
    logged = "\n".join(formatter.format(r) for r in caplog.records) + printed
    for secret in (NAME, "Montserrat", EMAIL, PHONE, "612345678", "Maria Puig"):
        assert secret not in logged, secret
    lines = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    created_logs = [line for line in lines if line.get("message") == "booking created"]
    assert created_logs and created_logs[0]["booking_id"] == booking_id and "request_id" in created_logs[0]
    metrics = {name for line in lines if "_aws" in line
               for name in (m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"])}
    assert {"BookingsCreated", "MessagesSent", "MessagesFailed"} <= metrics
    assert any(line.get("message") == "send failed" and line.get("booking_id") == booking_id for line in lines)


def test_a_409_counts_as_a_conflict(client, capsys):
    post(client, "/v1/offices/salou-oac/bookings", {"service_id": "e-office-assistance",
                                                    "start": "2027-03-26T08:00:00Z", "channel": "video",
                                                    "citizen": {"name": "A", "email": "a@example.org",
                                                                "phone": "977309200", "locale": "ca"}})
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    conflict = next(line for line in emf if "Conflicts" in line)
    assert conflict["Office"] == "salou-oac" and conflict["Conflicts"] == 1
