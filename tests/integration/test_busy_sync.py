"""Busy time from agents' own calendars: fetched with guards, expanded, subtracted from slots."""
from __future__ import annotations

import copy
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chalicelib.adapters import calendar_fetch
from chalicelib.adapters.calendar_fetch import FetchRefused, fetch_calendar
from chalicelib.api.schedule import sync_all
from chalicelib.usecases import staff as staff_usecase
from chalicelib.usecases.slots import list_slots
from tests.conftest import drop_stack, new_stack

FIXTURE = (Path(__file__).parent / "calendars" / "agent.ics").read_bytes()


class Calendars(BaseHTTPRequestHandler):
    body: bytes = FIXTURE
    status: int = 200

    def do_GET(self) -> None:
        if self.path == "/big.ics":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"X" * (calendar_fetch.MAX_BYTES + 10))
            return
        if self.path == "/moved.ics":
            self.send_response(302)
            self.send_header("Location", "/agent.ics")
            self.end_headers()
            return
        self.send_response(Calendars.status)
        self.send_header("Content-Type", "text/calendar")
        self.end_headers()
        self.wfile.write(Calendars.body if Calendars.status == 200 else b"")

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Calendars)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Calendars.status = 200
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def office_with_calendar(emulator, demo_document, server):
    doc = copy.deepcopy(demo_document)
    doc["services"].append({"id": "anna-only", "name": {k: "Anna" for k in ("ca", "es", "en")},
                            "duration_minutes": 30, "step_minutes": 30, "horizon_days": 120, "channels": ["video"]})
    doc["agents"][0]["services"].append("anna-only")
    doc["agents"][0]["busy_calendar_url"] = f"{server}/agent.ics"
    stack = new_stack(emulator, doc)
    yield stack
    drop_stack(emulator, stack)


def local_starts(stack, day: str) -> list[str]:
    from datetime import date

    listing = list_slots(stack.offices, stack.now(), "salou-oac", "anna-only", date.fromisoformat(day),
                         date.fromisoformat(day))
    return [s.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Madrid")).strftime("%H:%M")
            for s in listing.slots]


def test_imported_busy_time_removes_slots_and_keeps_no_titles(office_with_calendar):
    stack = office_with_calendar
    assert "10:00" in local_starts(stack, "2027-03-23")
    report = sync_all(stack)
    assert report["agents"] == 1 and report["failed"] == 0 and report["days_written"] >= 3
    tuesday = local_starts(stack, "2027-03-23")
    assert "10:00" not in tuesday and "10:30" not in tuesday and "09:30" in tuesday and "11:00" in tuesday
    assert "10:00" in local_starts(stack, "2027-03-30")  # the cancelled occurrence (EXDATE)
    assert "10:00" not in local_starts(stack, "2027-04-06")  # the series goes on
    assert local_starts(stack, "2027-03-24") == []  # all-day event
    thursday = local_starts(stack, "2027-03-25")  # 05:00 in New York is 10:00 in Madrid
    assert "10:00" not in thursday and "10:30" not in thursday and "09:30" in thursday
    assert "09:00" in local_starts(stack, "2027-03-22")  # a transparent event does not block
    import boto3

    client = boto3.client("dynamodb", endpoint_url=stack.settings.aws_endpoint, region_name="eu-west-1")
    everything = str(client.scan(TableName=stack.settings.table_name)["Items"])
    assert "Secret" not in everything and "Training" not in everything and "New York" not in everything


def test_a_failed_fetch_keeps_the_last_good_copy_and_shows_in_the_agenda(office_with_calendar):
    stack = office_with_calendar
    sync_all(stack)
    Calendars.status = 500
    assert sync_all(stack)["failed"] == 1
    assert "10:00" not in local_starts(stack, "2027-03-23")
    from chalicelib.scheduling.staff import Principal

    agenda = staff_usecase.agenda(stack.staff_deps(), Principal("salou-oac", "boss", "supervisor"), None, None, None)
    assert [w["agent_id"] for w in agenda.warnings] == ["agent-anna"]
    Calendars.status = 200
    sync_all(stack)
    assert staff_usecase.agenda(stack.staff_deps(), Principal("salou-oac", "boss", "supervisor"), None, None,
                                None).warnings == []


def test_a_calendar_that_drops_an_event_frees_the_time(office_with_calendar):
    stack = office_with_calendar
    sync_all(stack)
    Calendars.body = FIXTURE.replace(b"DTSTART;VALUE=DATE:20270324", b"DTSTART;VALUE=DATE:20270524").replace(
        b"DTEND;VALUE=DATE:20270325", b"DTEND;VALUE=DATE:20270525")
    try:
        sync_all(stack)
        assert "09:00" in local_starts(stack, "2027-03-24")
    finally:
        Calendars.body = FIXTURE


def test_guards_scheme_private_addresses_size_and_redirects(server):
    with pytest.raises(FetchRefused, match="http and https"):
        fetch_calendar("file:///etc/passwd")
    with pytest.raises(FetchRefused, match="private or local"):
        fetch_calendar(f"{server}/agent.ics")  # loopback, outside the local stage
    assert fetch_calendar(f"{server}/agent.ics", allow_private=True) == FIXTURE
    assert fetch_calendar(f"{server}/moved.ics", allow_private=True) == FIXTURE
    with pytest.raises(FetchRefused, match="larger"):
        fetch_calendar(f"{server}/big.ics", allow_private=True)


def test_a_silent_server_times_out(monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    monkeypatch.setattr(calendar_fetch, "TIMEOUT_SECONDS", 0.5)
    try:
        with pytest.raises(FetchRefused, match="could not be fetched"):
            fetch_calendar(f"http://127.0.0.1:{silent.getsockname()[1]}/x.ics", allow_private=True)
    finally:
        silent.close()
