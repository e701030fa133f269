"""The staff page: an agent signs in with a token, sees today and this week, records outcomes, declares
absences; a wrong token is refused kindly; a supervisor sees the whole office and filters by agent."""
from __future__ import annotations

import itertools
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import Live
from tests.e2e.flows import heading_has_focus, t

TOKEN_KEY = "citizen-scheduler.staff-token"
OFFICE = "salou-oac"
_contacts = itertools.count(1)


@pytest.fixture
def office(live: Live, demo_document: dict) -> Live:
    """The demo office, letting one address book often: every request of these tests comes from 127.0.0.1."""
    limits = {**demo_document.get("limits", {}), "bookings_per_ip_per_hour": 1000}
    live.stack.offices.put({**demo_document, "limits": limits}, FIXED_NOW)
    return live


def staff_token(live: Live, agent: str = "agent-anna", role: str = "agent", issued: datetime = FIXED_NOW,
                hours: float = 48) -> str:
    return live.stack.staff_auth.issue_local(OFFICE, agent, role, issued, timedelta(hours=hours))


def book(live: Live, start: str, service: str = "general-information", notes: str | None = None) -> dict:
    n = next(_contacts)
    body: dict[str, Any] = {"service_id": service, "start": start, "channel": "video",
                            "citizen": {"name": f"Veí {n}", "email": f"staff-e2e-{n}@example.org",
                                        "phone": f"61{n:07d}", "locale": "ca"}}
    if notes:
        body["notes"] = notes
    status, created = live.call("POST", f"/v1/offices/{OFFICE}/bookings", body)
    assert status == 201, created
    return created["booking"]


def book_for(live: Live, agent: str, start: str, **options: Any) -> dict:
    """Book until ``agent`` gets it (assignment is fair, so other agents may get a few first)."""
    for _ in range(8):
        booking = book(live, start, **options)
        if booking["agent"]["id"] == agent:
            return booking
    raise AssertionError(f"{agent} got no booking at {start}")


def agenda(live: Live, token: str, first: str = "2027-03-01", last: str = "2027-03-07") -> dict:
    status, body = live.call("GET", f"/v1/staff/agenda?from={first}&to={last}", token=token)
    assert status == 200, body
    return {b["id"]: b for b in body["bookings"]}


def wait_loaded(page: Any) -> None:
    page.wait_for_selector("#signed-in:not([hidden])")
    page.wait_for_selector("#agenda:not([aria-busy])")
    page.wait_for_function("() => document.getElementById('absence-list').children.length > 0"
                           " || document.getElementById('absence-list-error').textContent !== ''")


def sign_in(page: Any, live: Live, token: str, lang: str) -> None:
    page.goto(f"{live.url}/staff")
    page.get_by_label(t(lang, "staff_token")).fill(token)
    page.get_by_role("button", name=t(lang, "staff_signin_button")).click()
    heading_has_focus(page, "h-agenda")
    wait_loaded(page)


def card(page: Any, booking: dict) -> Any:
    return page.locator(f'li[data-booking="{booking["id"]}"]')


def stored_token(page: Any) -> str | None:
    return page.evaluate("key => sessionStorage.getItem(key)", TOKEN_KEY)


def fits(page: Any, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_an_agent_sees_today_and_this_week_and_records_outcomes(office, open_page, check_page):
    live = office
    today = book_for(live, "agent-anna", "2027-03-01T10:30:00Z")  # 11:30 in Salou
    tuesday = book_for(live, "agent-anna", "2027-03-02T09:00:00Z", notes="Porta el DNI")  # 10:00
    wednesday = book_for(live, "agent-anna", "2027-03-03T11:00:00Z")  # 12:00
    token = staff_token(live)

    page = open_page(locale="ca-ES")
    page.clock.install()  # the page's own timers, to let time pass while it stays open
    page.goto(f"{live.url}/staff")
    assert page.locator("#h-signin").is_visible() and page.locator("#signed-in").is_hidden()
    check_page(page, "sign-in")
    sign_in(page, live, token, "ca")
    assert t("ca", "staff_signed_in_as", name="Anna", role=t("ca", "staff_role_agent")) == page.inner_text("#who")
    assert page.inner_text("#office-name") == "Oficina d'Atenció Ciutadana de Salou"
    assert page.locator("#agent-filter").is_hidden()  # an agent sees only their own

    todays = page.locator("#today")
    assert t("ca", "staff_today", date="dilluns, 1 de març del 2027") in todays.inner_text()
    assert todays.locator("li[data-booking]").count() == 1
    first = card(page, today)
    assert first.locator("h4").inner_text() == "11:30–11:45 Informació general"
    text = first.inner_text()
    assert all(today["citizen"][field] in text for field in ("name", "email", "phone"))
    assert t("ca", "staff_status_confirmed") in text and t("ca", "staff_outcome_later") in text
    assert first.locator("button[data-action]").count() == 0  # not begun: no outcome yet
    join = first.locator('a[data-action="join"]')
    assert join.get_attribute("href") == agenda(live, token)[today["id"]]["agent_video_url"]
    assert join.get_attribute("target") == "_blank" and "noopener" in join.get_attribute("rel")

    week = page.locator("#week").inner_text()
    assert "Dimarts, 2 de març del 2027" in week and "Dimecres, 3 de març del 2027" in week
    second = card(page, tuesday).inner_text()
    assert "10:00–10:15" in second and "Porta el DNI" in second
    assert "12:00–12:15" in card(page, wednesday).inner_text()

    assert stored_token(page) == token  # this tab only: nothing in localStorage or cookies
    assert page.evaluate("() => localStorage.length") == 0 and page.context.cookies() == []
    check_page(page, "agenda")

    # the first appointment begins while the page stays open: its outcome buttons appear
    live.stack.clock = lambda: datetime(2027, 3, 1, 10, 35, tzinfo=UTC)
    page.clock.fast_forward("02:35:00")
    page.wait_for_selector(f'li[data-booking="{today["id"]}"] button[data-action="no_show"]')
    assert card(page, tuesday).locator("button[data-action]").count() == 0
    page.get_by_role("button", name=t("ca", "staff_mark_no_show")).click()
    heading_has_focus(page, f"b-{today['id']}")
    name = today["citizen"]["name"]
    assert page.inner_text("#status") == t("ca", "staff_marked_no_show", time="11:30", name=name)
    assert t("ca", "staff_status_no_show") in card(page, today).inner_text()
    assert card(page, today).locator("button[data-action], a[data-action]").count() == 0
    assert agenda(live, token)[today["id"]]["status"] == "no_show"
    check_page(page, "no-show")

    live.stack.clock = lambda: datetime(2027, 3, 2, 9, 5, tzinfo=UTC)  # Tuesday, during the second one
    page.reload()
    wait_loaded(page)
    assert page.locator("#today li[data-booking]").count() == 1 and page.locator("#today").locator(
        f'li[data-booking="{tuesday["id"]}"]').count() == 1
    assert t("ca", "staff_status_no_show") in page.locator("#week").inner_text()  # Monday's, earlier this week
    card(page, tuesday).get_by_role("button", name=t("ca", "staff_mark_done")).click()
    heading_has_focus(page, f"b-{tuesday['id']}")
    assert page.inner_text("#status") == t("ca", "staff_marked_completed", time="10:00",
                                            name=tuesday["citizen"]["name"])
    assert agenda(live, token)[tuesday["id"]]["status"] == "completed"
    check_page(page, "completed")

    page.get_by_role("link", name="English").click()  # another language, still signed in (same tab)
    wait_loaded(page)
    assert page.get_attribute("html", "lang") == "en"
    assert "Tuesday, 2 March 2027" in page.inner_text("#today")
    assert page.inner_text("#h-agenda") == t("en", "staff_agenda")
    page.get_by_role("link", name="Català").click()
    wait_loaded(page)

    page.get_by_role("button", name=t("ca", "staff_signout")).click()
    heading_has_focus(page, "h-signin")
    assert page.inner_text("#status") == t("ca", "staff_signed_out")
    assert stored_token(page) is None
    assert tuesday["citizen"]["name"] not in page.inner_text("body")  # nothing personal is left on the page
    check_page(page, "signed-out")
    page.reload()
    assert page.locator("#h-signin").is_visible() and page.locator("#signed-in").is_hidden()


def test_a_wrong_or_expired_token_is_refused_with_a_clear_message(live, open_page, check_page):
    page = open_page(locale="es-ES")
    page.goto(f"{live.url}/staff")
    button = page.get_by_role("button", name=t("es", "staff_signin_button"))
    field = page.get_by_label(t("es", "staff_token"))
    button.click()
    assert page.inner_text("#f-token-error") == t("es", "staff_err_token_empty")
    assert field.get_attribute("aria-invalid") == "true"
    assert "f-token-error" in field.get_attribute("aria-describedby")
    assert page.evaluate("() => document.activeElement.id") == "f-token"
    check_page(page, "empty")

    for wrong in ("not-a-token", staff_token(live, issued=FIXED_NOW - timedelta(hours=13), hours=12)):
        field.fill(wrong)
        button.click()
        page.wait_for_function("() => document.getElementById('f-token-error').textContent !== ''"
                               " && !document.querySelector('#signin[aria-disabled]')")
        assert page.inner_text("#f-token-error") == t("es", "staff_err_token")
        assert page.locator("#signed-in").is_hidden() and stored_token(page) is None
    check_page(page, "refused")

    # a token that expires while the agent works: the next request brings the sign-in back
    field.fill(staff_token(live, hours=1))
    button.click()
    wait_loaded(page)
    live.stack.clock = lambda: FIXED_NOW + timedelta(hours=2)
    page.get_by_role("button", name=t("es", "staff_refresh")).click()
    heading = page.locator("#f-token-error")
    heading.wait_for()
    assert heading.inner_text() == t("es", "staff_err_token") and stored_token(page) is None
    assert page.locator("#signed-in").is_hidden()
    check_page(page, "expired")


def test_a_token_reaching_outside_its_scope_gets_a_403_message(live, open_page, check_page):
    page = open_page(locale="en-GB")
    sign_in(page, live, staff_token(live, agent="agent-ghost"), "en")  # not an agent of this office
    assert page.inner_text("#today").endswith(t("en", "staff_none_today"))
    assert page.inner_text("#absence-list-error") == t("en", "staff_err_forbidden")
    page.get_by_label(t("en", "staff_absence_start")).fill("2027-03-04T09:00")
    page.get_by_label(t("en", "staff_absence_end")).fill("2027-03-04T11:00")
    page.get_by_role("button", name=t("en", "staff_absence_submit")).click()
    page.wait_for_function("() => document.getElementById('absence-error').textContent !== ''")
    assert page.inner_text("#absence-error") == t("en", "staff_err_forbidden")
    assert stored_token(page)  # a 403 does not sign out
    check_page(page, "forbidden")


def _slots_between(live: Live, day: str, first: str, last: str) -> list[str]:
    status, body = live.call("GET", f"/v1/offices/{OFFICE}/services/general-information/slots?from={day}&to={day}")
    assert status == 200, body
    return [s["start"] for s in body["slots"] if first <= s["start"] < last]


def test_an_agent_declares_an_absence_and_its_slots_vanish(office, open_page, check_page):
    live = office
    booking = book_for(live, "agent-anna", "2027-03-04T08:30:00Z")  # Thursday 09:30 in Salou
    boss = staff_token(live, agent="boss", role="supervisor")
    for agent in ("agent-jordi", "agent-laia", "agent-marc", "agent-nuria", "agent-pau", "agent-sara"):
        status, body = live.call("POST", "/v1/staff/absences", {"agent_id": agent, "start": "2027-03-04T08:00:00Z",
                                                                "end": "2027-03-04T10:00:00Z"}, token=boss)
        assert status == 201, body
    window = ("2027-03-04", "2027-03-04T08:00:00Z", "2027-03-04T10:00:00Z")
    assert _slots_between(live, *window)  # Anna alone is still free then
    token = staff_token(live)

    page = open_page(locale="en-GB")
    sign_in(page, live, token, "en")
    assert page.inner_text("#absence-list") == t("en", "staff_no_absences")
    assert page.inner_text("#absence-zone") == t("en", "times_in_zone", zone="Europe/Madrid")
    start, end = page.get_by_label(t("en", "staff_absence_start")), page.get_by_label(t("en", "staff_absence_end"))
    start.fill("2027-03-04T11:00")
    end.fill("2027-03-04T09:00")
    page.get_by_role("button", name=t("en", "staff_absence_submit")).click()
    assert page.inner_text("#f-end-error") == t("en", "staff_err_end")
    assert page.evaluate("() => document.activeElement.id") == "f-end"
    assert end.get_attribute("aria-invalid") == "true" and "f-end-error" in end.get_attribute("aria-describedby")
    check_page(page, "absence-errors")

    start.fill("2027-03-04T09:00")
    end.fill("2027-03-04T11:00")
    page.get_by_role("button", name=t("en", "staff_absence_submit")).click()
    heading_has_focus(page, "h-absence-result")
    when = "Thursday, 4 March 2027, from 09:00 to 11:00"
    assert page.inner_text("#absence-result-when") == when
    assert page.inner_text("#status") == t("en", "staff_absence_saved", when=when)
    assert page.inner_text("#absence-result-text") == t("en", "staff_to_reassign")
    assert page.inner_text("#absence-result-list") == t(
        "en", "staff_reassign_item", when="Thursday, 4 March 2027 at 09:30", service="General information",
        name=booking["citizen"]["name"])
    page.wait_for_selector("#absence-list li[data-absence]")
    assert page.inner_text("#absence-list li[data-absence] span") == when
    assert t("en", "staff_needs_reassignment") in card(page, booking).inner_text()
    check_page(page, "absence-declared")

    status, body = live.call("GET", "/v1/staff/absences", token=token)
    assert status == 200 and [(a["agent_id"], a["start"], a["end"]) for a in body["absences"]] == [
        ("agent-anna", "2027-03-04T08:00:00Z", "2027-03-04T10:00:00Z")]  # the office's wall time, as UTC
    assert _slots_between(live, *window) == []  # gone at once

    page.locator("#absence-list li[data-absence]").get_by_role("button", name=t("en", "staff_delete")).click()
    heading_has_focus(page, "h-absence-list")
    assert page.inner_text("#status") == t("en", "staff_absence_deleted", when=when)
    assert page.inner_text("#absence-list") == t("en", "staff_no_absences")
    assert t("en", "staff_needs_reassignment") not in card(page, booking).inner_text()
    assert live.call("GET", "/v1/staff/absences", token=token)[1]["absences"] == []
    assert _slots_between(live, *window)  # back
    check_page(page, "absence-deleted")


def test_a_supervisor_reassigns_a_booking_whose_agent_is_absent(office, open_page, check_page):
    live = office
    booking = book_for(live, "agent-anna", "2027-03-04T08:30:00Z")  # Thursday 09:30 in Salou
    boss = staff_token(live, agent="boss", role="supervisor")
    absences = {}
    for agent in ("agent-anna", "agent-jordi", "agent-laia", "agent-marc", "agent-nuria", "agent-pau", "agent-sara"):
        status, body = live.call("POST", "/v1/staff/absences", {"agent_id": agent, "start": "2027-03-04T08:00:00Z",
                                                                "end": "2027-03-04T10:00:00Z"}, token=boss)
        assert status == 201, body
        absences[agent] = body["absence"]["id"]

    page = open_page(locale="es-ES")
    sign_in(page, live, boss, "es")
    assert t("es", "staff_needs_reassignment") in card(page, booking).inner_text()
    page.wait_for_function("() => !document.getElementById('absence-list').textContent.includes('agent-')")
    assert "Pau" in page.inner_text("#absence-list")  # absences name their agents, whichever loaded first
    button = card(page, booking).get_by_role("button", name=t("es", "staff_reassign"))
    button.click()  # everyone is away: nobody to take it
    page.wait_for_function("id => document.getElementById('err-' + id).textContent !== ''", arg=booking["id"])
    assert page.inner_text(f"#err-{booking['id']}") == t("es", "staff_err_no_agent_free")
    check_page(page, "reassign-refused")

    status, _ = live.call("DELETE", f"/v1/staff/absences/{absences['agent-pau']}", token=boss)  # Pau is back
    assert status in (200, 204)
    card(page, booking).get_by_role("button", name=t("es", "staff_reassign")).click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('Pau')")
    assert page.inner_text("#status") == t("es", "staff_reassigned", time="09:30", name=booking["citizen"]["name"],
                                           agent="Pau")
    assert page.evaluate("() => document.activeElement.id") == f"b-{booking['id']}"
    moved = card(page, booking).inner_text()
    assert "Pau" in moved and t("es", "staff_needs_reassignment") not in moved
    assert card(page, booking).get_by_role("button", name=t("es", "staff_reassign")).count() == 0
    assert agenda(live, boss)[booking["id"]]["agent"]["id"] == "agent-pau"
    check_page(page, "reassigned")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_calendar_links_for_an_agent_and_for_the_office(office, open_page, check_page):
    live = office
    booking = book_for(live, "agent-anna", "2027-03-03T08:00:00Z")
    page = open_page(locale="ca-ES")
    sign_in(page, live, staff_token(live), "ca")
    assert page.inner_text("#feed-whose") == t("ca", "staff_feed_yours")
    assert page.locator("#feed-result").is_hidden()
    page.get_by_role("button", name=t("ca", "staff_feed_button")).click()
    heading_has_focus(page, "h-feed-result")
    first = page.get_by_label(t("ca", "staff_feed_url")).input_value()
    assert first.startswith(f"{live.url}/v1/agents/agent-anna/calendar.ics?token=salou-oac.")
    assert page.locator("#feed-webcal").get_attribute("href") == "webcal://" + first.split("://", 1)[1]
    status, feed = fetch(first)
    assert status == 200 and f"UID:{booking['id']}@" in feed.replace("\r\n ", "")
    page.get_by_role("button", name=t("ca", "staff_feed_copy")).click()
    page.wait_for_function("texts => texts.includes(document.getElementById('status').textContent)",
                           arg=[t("ca", "staff_feed_copied"), t("ca", "staff_feed_select")])  # as the browser allows
    check_page(page, "feed")

    page.get_by_role("button", name=t("ca", "staff_feed_button")).click()  # a new link retires the old one
    page.wait_for_function("old => document.getElementById('f-feed-url').value !== old", arg=first)
    assert fetch(first)[0] == 404
    assert fetch(page.get_by_label(t("ca", "staff_feed_url")).input_value())[0] == 200

    page.get_by_role("button", name=t("ca", "staff_signout")).click()  # nothing of it is left on the page
    assert page.locator("#feed-result").is_hidden() and page.locator("#f-feed-url").input_value() == ""
    sign_in(page, live, staff_token(live, agent="boss", role="supervisor"), "ca")
    assert page.inner_text("#feed-whose") == t("ca", "staff_feed_office")
    page.get_by_role("button", name=t("ca", "staff_feed_button")).click()
    heading_has_focus(page, "h-feed-result")
    office_feed = page.get_by_label(t("ca", "staff_feed_url")).input_value()
    assert office_feed.startswith(f"{live.url}/v1/offices/{OFFICE}/calendar.ics?token=")
    page.get_by_label(t("ca", "staff_agent_filter")).select_option("agent-pau")
    page.wait_for_function("text => document.getElementById('feed-whose').textContent === text",
                           arg=t("ca", "staff_feed_for", name="Pau"))
    check_page(page, "feed-supervisor")


def _office_with_warnings(live: Live) -> tuple[dict, dict, dict]:
    """Three bookings, two of them at the same time (so two agents), a failed sync and a failed SMS."""
    first = book(live, "2027-03-02T09:00:00Z")
    second = book(live, "2027-03-02T09:00:00Z")
    later = book(live, "2027-03-01T11:00:00Z")
    assert first["agent"]["id"] != second["agent"]["id"]
    live.stack.staff.record_sync(OFFICE, "agent-jordi", FIXED_NOW, "HTTP 404 from the calendar server", None)
    failure = {"booking_id": later["id"], "office_id": OFFICE, "kind": "confirmation", "channel": "sms",
               "attempts": 6, "error": "throttled", "at": "2027-03-01T08:00:00Z"}
    live.stack.outbox.failures = lambda limit=100: [failure]  # as if six attempts had failed
    return first, second, later


def test_a_supervisor_sees_several_agents_and_filters_by_agent(office, open_page, check_page):
    live = office
    first, second, later = _office_with_warnings(live)
    page = open_page(locale="ca-ES")
    sign_in(page, live, staff_token(live, agent="boss", role="supervisor"), "ca")
    assert t("ca", "staff_role_supervisor") in page.inner_text("#who")
    for booking in (first, second, later):
        assert booking["agent"]["display_name"] in card(page, booking).inner_text()  # whose it is
    warnings = page.inner_text("#warnings")
    assert "Jordi" in warnings or "agent-jordi" in warnings
    assert t("ca", "staff_warn_message", channel="SMS", name=later["citizen"]["name"],
             when="dilluns, 1 de març del 2027 a les 12:00") in warnings
    assert t("ca", "staff_msg_failed", channel="SMS") in card(page, later).inner_text()
    options = page.locator("#f-agent option").all_inner_texts()
    assert options[0] == t("ca", "staff_all_agents")
    assert {first["agent"]["display_name"], second["agent"]["display_name"]} <= set(options)
    agents = [a.display_name for a in live.stack.offices.get(OFFICE).agents.values()]
    assert sorted(options[1:]) == sorted(agents)  # every agent, booked this week or not
    assert sorted(page.locator("#f-absence-agent option").all_inner_texts()[1:]) == sorted(agents)
    check_page(page, "office")

    page.get_by_label(t("ca", "staff_agent_filter")).select_option(first["agent"]["id"])
    page.wait_for_function("text => document.getElementById('status').textContent === text",
                           arg=t("ca", "staff_updated"))
    shown = page.locator("li[data-booking]")
    assert shown.count() >= 1 and card(page, second).count() == 0
    assert card(page, first).count() == 1
    check_page(page, "filtered")

    # a supervisor declares an absence for the agent in view
    page.get_by_label(t("ca", "staff_absence_start")).fill("2027-03-05T09:00")
    page.get_by_label(t("ca", "staff_absence_end")).fill("2027-03-05T10:00")
    assert page.get_by_label(t("ca", "staff_agent"), exact=True).input_value() == first["agent"]["id"]
    page.get_by_role("button", name=t("ca", "staff_absence_submit")).click()
    heading_has_focus(page, "h-absence-result")
    assert first["agent"]["display_name"] in page.inner_text("#absence-list")
    status, body = live.call("GET", f"/v1/staff/absences?agent_id={first['agent']['id']}",
                             token=staff_token(live, agent="boss", role="supervisor"))
    assert status == 200 and [(a["start"], a["end"]) for a in body["absences"]] == [
        ("2027-03-05T08:00:00Z", "2027-03-05T09:00:00Z")]
    check_page(page, "supervisor-absence")


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 450)], ids=["320px", "zoom-200"])
def test_the_staff_page_fits_a_narrow_screen(width, height, office, open_page, check_page):
    live = office
    _office_with_warnings(live)
    page = open_page(locale="ca-ES", width=width, height=height)
    page.goto(f"{live.url}/staff")
    page.get_by_role("button", name=t("ca", "staff_signin_button")).click()
    fits(page, width)
    check_page(page, "sign-in-error")
    sign_in(page, live, staff_token(live, agent="boss", role="supervisor"), "ca")
    fits(page, width)
    check_page(page, "agenda")
    page.get_by_role("button", name=t("ca", "staff_absence_submit")).click()
    assert page.inner_text("#f-absence-agent-error") == t("ca", "staff_err_agent")
    fits(page, width)
    check_page(page, "absence-errors")
