"""The public read API through Chalice's test client, on the locked emulator."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib.adapters.dynamodb.ledger import to_record
from chalicelib.scheduling.holds import AgentDay

SLOTS = "/v1/offices/salou-oac/services/e-office-assistance/slots"


def problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json_body
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    if field:
        assert field in [e["field"] for e in body["errors"]]
    return body


def test_office(client):
    body = client.http.get("/v1/offices/salou-oac").json_body
    assert body["id"] == "salou-oac" and body["timezone"] == "Europe/Madrid"
    assert body["locales"] == ["ca", "es", "en"]
    assert body["name"] == "Oficina d'Atenció Ciutadana de Salou"


def test_services_in_the_requested_language_default_first_locale(client):
    default = client.http.get("/v1/offices/salou-oac/services").json_body["services"]
    english = client.http.get("/v1/offices/salou-oac/services?lang=en").json_body["services"]
    by_id = {s["id"]: s for s in english}
    assert by_id["e-office-assistance"]["duration_minutes"] == 30
    assert by_id["general-information"]["name"] == "General information"
    assert {s["id"]: s for s in default}["general-information"]["name"] == "Informació general"
    assert by_id["e-office-assistance"]["channels"] == ["video", "phone"]


def test_acceptance_slots_across_spring_forward_and_easter(client):
    body = client.http.get(f"{SLOTS}?from=2027-03-22&to=2027-04-02").json_body
    assert body["timezone"] == "Europe/Madrid"
    starts = [s["start"] for s in body["slots"]]
    assert starts == sorted(starts)
    days = {}
    for slot in body["slots"]:
        days.setdefault(slot["local_start"][:10], []).append(slot)
    assert set(days) == {"2027-03-22", "2027-03-23", "2027-03-24", "2027-03-25",
                         "2027-03-30", "2027-03-31", "2027-04-01", "2027-04-02"}
    for day, slots in days.items():
        first = slots[0]
        assert first["local_start"][11:16] == "09:00"
        expected_utc = "08:00" if day < "2027-03-28" else "07:00"
        assert first["start"] == f"{day}T{expected_utc}:00Z"
        assert first["end"].endswith("Z")
    assert days["2027-03-25"][-1]["local_start"][11:16] == "18:00"  # Thursday afternoon


def test_a_held_agent_day_removes_only_that_agents_time(client, stack):
    office = stack.offices.get("salou-oac")
    qualified = [a.id for a in office.agents_for("e-office-assistance")]
    start = int(datetime.fromisoformat("2027-03-22T09:00:00+01:00").timestamp())
    for agent in qualified:
        to_record(AgentDay("salou-oac", date(2027, 3, 22), agent, {f"B{agent}": (start, start + 2400)})).save()
    body = client.http.get(f"{SLOTS}?from=2027-03-22&to=2027-03-22").json_body
    assert body["slots"][0]["local_start"][11:16] == "10:00"


@pytest.mark.parametrize(("query", "field"), [
    ("from=2027-3-22&to=2027-04-02", "from"),
    ("from=2027-03-22&to=tomorrow", "to"),
    ("from=2027-04-02&to=2027-03-22", "to"),
    ("from=2027-01-01&to=2027-03-05", "to"),
])
def test_bad_dates_are_400_problems_naming_the_field(client, query, field):
    problem(client.http.get(f"{SLOTS}?{query}"), 400, field)


def test_62_days_is_the_longest_range(client):
    assert client.http.get(f"{SLOTS}?from=2027-03-01&to=2027-05-02").status_code == 200


def test_unknown_office_service_or_language(client):
    problem(client.http.get("/v1/offices/nowhere"), 404)
    problem(client.http.get("/v1/offices/nowhere/services/x/slots"), 404)
    problem(client.http.get("/v1/offices/salou-oac/services/nothing/slots"), 404)
    problem(client.http.get("/v1/offices/salou-oac/services?lang=fr"), 400, "lang")


def test_prod_stage_with_a_fixed_clock_refuses_to_serve(emulator, monkeypatch):
    from chalice.test import Client

    from app import app
    from chalicelib import bootstrap

    bootstrap.use(None)
    monkeypatch.setenv("SCHEDULER_FIXED_NOW", "2027-03-01T08:00:00Z")
    with Client(app, stage_name="prod") as c:
        problem(c.http.get("/v1/offices/salou-oac"), 503)
    bootstrap.use(None)
