"""A citizen books in the browser: every language, every step checked by axe, through to the invite."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.e2e.flows import (
    choose_day,
    choose_service,
    choose_time,
    fill_details,
    heading_has_focus,
    submit_details,
    t,
)

MADRID = ZoneInfo("Europe/Madrid")
# Tuesday 2 March 2027, 09:00 in Madrid, as each locale writes it
TUESDAY = {"ca": ("dimarts", "2 de març del 2027"), "es": ("martes", "2 de marzo de 2027"),
           "en": ("Tuesday", "2 March 2027")}
ACCEPT = {"ca": "ca-ES", "es": "es-ES", "en": "en-GB"}


@pytest.mark.parametrize("lang", ["ca", "es", "en"])
def test_a_citizen_books_in_each_language_through_to_the_calendar_invite(lang, live, open_page, check_page):
    page = open_page(locale=ACCEPT[lang])
    page.goto(f"{live.url}/book/salou-oac")
    assert page.get_attribute("html", "lang") == lang
    page.wait_for_selector("#service-list button")
    assert page.locator("h1").inner_text() == t(lang, "book_title")
    check_page(page, "service")

    choose_service(page, lang)
    assert page.locator("#h-date").inner_text().endswith(t(lang, "step_date"))
    check_page(page, "date")

    choose_day(page, "2027-03-02")
    legend = page.locator("#time-picker legend").inner_text()
    assert TUESDAY[lang][0] in legend and TUESDAY[lang][1] in legend
    check_page(page, "time")

    choose_time(page, lang, "09:00")
    assert page.locator("#f-locale").input_value() == lang  # messages default to the page's language
    fill_details(page, lang)
    check_page(page, "details")
    submit_details(page, lang)
    heading_has_focus(page, "h-review")
    review = page.locator("#review-list").inner_text()
    assert "Maria Puig" in review and "09:00" in review and TUESDAY[lang][1] in review
    check_page(page, "review")

    page.get_by_role("button", name=t(lang, "confirm")).click()
    heading_has_focus(page, "h-done")
    when = page.locator("#done-when").inner_text()
    assert TUESDAY[lang][0] in when and TUESDAY[lang][1] in when and "09:00" in when
    assert page.locator("#done-join").get_attribute("href").startswith("https://meet.jit.si/")
    manage = page.locator("#done-manage").get_attribute("href")
    assert manage.startswith(f"{live.url}/manage/") and "token=" in manage
    other = {"ca": "es", "es": "en", "en": "ca"}[lang]  # switching language now opens this booking's page
    switch = page.locator(f'.languages a[hreflang="{other}"]').get_attribute("href")
    assert switch == manage.replace(live.url, "") + f"&lang={other}"
    check_page(page, "done")

    with page.expect_download() as download:
        page.get_by_role("link", name=t(lang, "add_calendar")).click()
    assert download.value.suggested_filename == "invite.ics"
    invite = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    assert invite["METHOD"] == "REQUEST"
    event = next(iter(invite.walk("VEVENT")))
    assert event.decoded("DTSTART").astimezone(MADRID) == datetime(2027, 3, 2, 9, 0, tzinfo=MADRID)
    assert page.locator("#done-join").get_attribute("href") in event["LOCATION"]

    booking_id, token = manage.split("/manage/")[1].split("?token=")
    status, stored = live.call("GET", f"/v1/bookings/{booking_id}", token=token)
    assert status == 200 and stored["booking"]["citizen"]["locale"] == lang
    assert stored["booking"]["start"] == "2027-03-02T08:00:00Z" and stored["booking"]["status"] == "confirmed"


def test_errors_are_shown_next_to_their_fields_and_the_first_one_gets_the_focus(live, open_page, check_page):
    lang = "en"
    page = open_page(locale="en-GB")
    page.goto(f"{live.url}/book/salou-oac")
    choose_service(page, lang)
    choose_day(page, "2027-03-02")
    page.locator("#step-time").get_by_role("button", name=t(lang, "continue")).click()
    assert page.locator("#time-picker-error").inner_text() == t(lang, "err_time")  # no time chosen yet
    choose_time(page, lang, "09:00")

    submit_details(page, lang)  # nothing filled in
    assert page.evaluate("document.activeElement.id") == "f-name"
    for field in ("name", "email", "phone", "consent"):
        control = page.locator(f"#f-{field}")
        assert control.get_attribute("aria-invalid") == "true"
        assert f"f-{field}-error" in control.get_attribute("aria-describedby").split()
        assert page.locator(f"#f-{field}-error").inner_text() == t(lang, f"err_{field}")
    check_page(page, "client-errors")

    # the API, not the page, knows that this is no phone number: its 400 lands on the phone field
    fill_details(page, lang, phone="000 000 000")
    submit_details(page, lang)
    heading_has_focus(page, "h-review")
    page.get_by_role("button", name=t(lang, "confirm")).click()
    heading_has_focus(page, "f-phone")
    assert page.locator("#f-phone").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-name").get_attribute("aria-invalid") is None
    assert page.locator("#f-phone-error").inner_text() == t(lang, "err_phone")
    assert page.locator("#f-phone").get_attribute("aria-describedby") == "f-phone-error f-phone-hint"
    check_page(page, "api-errors")


def test_a_slot_taken_meanwhile_is_explained_kindly_with_the_next_free_times(live, open_page, check_page):
    lang = "en"
    page = open_page(locale="en-GB")
    page.goto(f"{live.url}/book/salou-oac")
    choose_service(page, lang, "e-office-assistance")
    choose_day(page, "2027-03-02")
    choose_time(page, lang, "09:00")
    fill_details(page, lang)
    submit_details(page, lang)
    heading_has_focus(page, "h-review")

    # meanwhile, other citizens take 09:00 from every agent who can serve it
    answers = [live.call("POST", "/v1/offices/salou-oac/bookings",
                         _other("2027-03-02T08:00:00Z", n))[0] for n in range(1, 8)]
    assert answers.count(201) == 5 and answers[5:] == [409, 409]  # five qualified agents

    page.get_by_role("button", name=t(lang, "confirm")).click()
    heading_has_focus(page, "h-taken")
    assert page.locator("#taken-text").inner_text() == t(lang, "taken_text")
    offers = page.locator("#taken-list button")
    assert offers.count() == 3
    # 09:30 is not offered: every agent's 09:00 booking keeps 10 minutes after it
    assert offers.first.inner_text() == "Tuesday, 2 March 2027 at 10:00"
    check_page(page, "taken")

    offers.first.click()
    heading_has_focus(page, "h-review")
    assert "10:00" in page.locator("#review-list").inner_text()
    page.get_by_role("button", name=t(lang, "confirm")).click()
    heading_has_focus(page, "h-done")
    assert page.locator("#done-when").inner_text() == "Tuesday, 2 March 2027 at 10:00"


def _other(start: str, n: int) -> dict:
    from tests.e2e.conftest import citizen_booking

    return citizen_booking(start, "e-office-assistance", n)


def test_an_unknown_office_gets_a_friendly_page(live, open_page, check_page):
    page = open_page(locale="es-ES")
    response = page.goto(f"{live.url}/book/no-such-office")
    assert response.status == 404
    assert page.locator("h1").inner_text() == t("es", "not_found_title")
    check_page(page, "not-found")
    page.get_by_role("link", name=t("es", "go_booking")).click()
    page.wait_for_selector("#service-list button")
    assert page.url.endswith("/book/salou-oac?lang=es")
