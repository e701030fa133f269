"""A citizen opens the manage link: it only shows; moving and cancelling take explicit buttons."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import FIXED_NOW
from tests.e2e.flows import heading_has_focus, t


def _open(live, open_page, created: dict, locale: str = "ca-ES"):
    page = open_page(locale=locale)
    page.goto(created["manage_url"])
    page.wait_for_selector("#booking-list:not([aria-busy])")
    return page


def _stored(live, created: dict) -> dict:
    status, body = live.call("GET", f"/v1/bookings/{created['booking']['id']}", token=created["manage_token"])
    assert status == 200, body
    return body["booking"]


def test_opening_the_manage_link_only_shows_the_booking(live, open_page, check_page):
    created = live.book("2027-03-02T08:00:00Z")
    page = _open(live, open_page, created)
    details = page.locator("#booking-list").inner_text()
    assert t("ca", "status_confirmed") in details and "dimarts, 2 de març del 2027" in details and "09:00" in details
    assert page.locator("#h-view").inner_text() == "Informació general"
    assert page.locator("#join").get_attribute("href") == created["booking"]["video_url"]
    check_page(page, "view")
    assert _stored(live, created)["sequence"] == 0 and _stored(live, created)["status"] == "confirmed"

    # switching the language keeps the token: the same booking, now in English
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("#booking-list:not([aria-busy])")
    assert page.get_attribute("html", "lang") == "en"
    assert "Tuesday, 2 March 2027" in page.locator("#booking-list").inner_text()


def test_a_citizen_moves_then_cancels_from_the_manage_page(live, open_page, check_page):
    created = live.book("2027-03-02T08:00:00Z")
    page = _open(live, open_page, created)

    page.get_by_role("button", name=t("ca", "change_time")).click()
    heading_has_focus(page, "h-date")
    page.wait_for_selector("#calendar table:not([aria-busy])")
    check_page(page, "new-date")
    page.locator('#calendar button[data-day="2027-03-03"]').click()
    heading_has_focus(page, "h-time")
    page.get_by_role("radio", name="10:00").check()
    check_page(page, "new-time")
    page.get_by_role("button", name=t("ca", "confirm_new_time")).click()
    heading_has_focus(page, "h-view")
    assert page.locator("#status").inner_text() == t("ca", "moved_msg")
    assert "dimecres, 3 de març del 2027" in page.locator("#booking-list").inner_text()
    moved = _stored(live, created)
    assert moved["start"] == "2027-03-03T09:00:00Z" and moved["sequence"] == 1 and moved["status"] == "confirmed"
    check_page(page, "moved")

    page.get_by_role("button", name=t("ca", "cancel")).click()
    heading_has_focus(page, "h-cancel")
    assert page.locator("#cancel-when").inner_text() == "dimecres, 3 de març del 2027 a les 10:00"
    check_page(page, "cancel-confirm")
    page.get_by_role("button", name=t("ca", "cancel_no")).click()  # changed my mind
    heading_has_focus(page, "h-view")
    assert _stored(live, created)["status"] == "confirmed"

    page.get_by_role("button", name=t("ca", "cancel")).click()
    page.get_by_role("button", name=t("ca", "cancel_yes")).click()
    heading_has_focus(page, "h-view")
    assert page.locator("#status").inner_text() == t("ca", "cancelled_msg")
    assert t("ca", "status_cancelled") in page.locator("#booking-list").inner_text()
    assert page.locator("#booking-actions").is_hidden() and page.locator("#book-another").is_visible()
    assert _stored(live, created)["status"] == "cancelled"
    check_page(page, "cancelled")


def test_too_late_to_cancel_is_said_kindly(live, open_page, check_page):
    created = live.book("2027-03-01T10:00:00Z")  # 11:00 in Salou; the office's cut-off is 60 minutes
    live.stack.clock = lambda: FIXED_NOW + timedelta(minutes=105)  # 10:45 in Salou
    page = _open(live, open_page, created, locale="es-ES")
    page.get_by_role("button", name=t("es", "cancel")).click()
    page.get_by_role("button", name=t("es", "cancel_yes")).click()
    page.wait_for_function("() => document.getElementById('view-error').textContent !== ''")
    assert page.locator("#view-error").inner_text() == t("es", "too_late")
    assert page.locator("#view-error").get_attribute("role") == "alert"
    assert _stored(live, created)["status"] == "confirmed"
    check_page(page, "too-late")


def test_a_wrong_token_gets_a_friendly_not_found_page(live, open_page, check_page):
    created = live.book("2027-03-02T08:00:00Z")
    page = open_page(locale="en-GB")
    response = page.goto(f"{live.url}/manage/{created['booking']['id']}?token=not-the-token")
    assert response.status == 404
    assert page.locator("h1").inner_text() == t("en", "not_found_title")
    check_page(page, "wrong-token")
