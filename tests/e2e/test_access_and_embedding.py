"""Keyboard only, small screens and zoom, embedding in a municipal site, and the weight of the first load."""
from __future__ import annotations

import os
import re
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import ARTIFACTS, ROOT
from tests.e2e.flows import (
    SERVICES,
    choose_day,
    choose_service,
    choose_time,
    fill_details,
    heading_has_focus,
    t,
)

FIRST_LOAD_BUDGET = 100_000  # bytes transferred, headers included


def focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement;
        const style = getComputedStyle(e);
        return {id: e.id, tag: e.tagName, text: e.textContent.trim(), day: e.dataset ? e.dataset.day : null,
                type: e.type || null, checked: Boolean(e.checked), outline: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth)};
    }""")


def tab_to(page, matches, limit: int = 40) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"not reachable with Tab; focus ended on {focused(page)}")


def test_a_citizen_books_with_the_keyboard_alone(live, open_page, check_page):
    page = open_page(locale="en-GB")
    page.goto(f"{live.url}/book/salou-oac")
    page.wait_for_selector("#service-list button")
    service = tab_to(page, lambda f: SERVICES["general-information"]["en"] in f["text"])
    assert service["tag"] == "BUTTON" and service["outline"] != "none" and service["outlineWidth"] >= 2
    page.keyboard.press("Enter")
    heading_has_focus(page, "h-date")
    page.wait_for_selector("#calendar table:not([aria-busy])")

    day = tab_to(page, lambda f: f["day"] is not None)
    assert day["day"] == "2027-03-01"  # the grid is one tab stop, on the first free day
    assert day["outline"] != "none" and day["outlineWidth"] >= 2  # focus is visible
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert focused(page)["day"] == "2027-03-09"
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.activeElement.dataset.day === '2027-04-09'")
    assert page.locator("#calendar-caption").inner_text() == "April 2027"
    page.keyboard.press("PageUp")
    page.wait_for_function("() => document.activeElement.dataset.day === '2027-03-09'")
    page.wait_for_selector("#calendar table:not([aria-busy])")
    page.keyboard.press("Enter")
    heading_has_focus(page, "h-time")

    assert tab_to(page, lambda f: f["type"] == "radio")["checked"] is False
    page.keyboard.press("ArrowDown")  # arrows move within the group and choose
    assert page.locator("#time-picker input:checked").get_attribute("value") == "2027-03-09T08:15:00Z"
    assert tab_to(page, lambda f: f["text"] == t("en", "continue"), limit=1)
    page.keyboard.press("Enter")
    heading_has_focus(page, "h-details")

    for field, value in (("f-name", "Jordi Vidal"), ("f-email", "jordi@example.org"), ("f-phone", "612 345 699")):
        assert tab_to(page, lambda f: f["id"] != "", limit=1)["id"] == field
        page.keyboard.type(value)
    assert tab_to(page, lambda f: True, limit=1)["id"] == "f-locale"
    assert tab_to(page, lambda f: True, limit=1)["id"] == "f-notes"
    assert tab_to(page, lambda f: True, limit=1)["id"] == "f-consent"
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["text"] == t("en", "continue"), limit=1)
    page.keyboard.press("Enter")
    heading_has_focus(page, "h-review")

    tab_to(page, lambda f: f["id"] == "confirm", limit=1)
    page.keyboard.press("Enter")
    heading_has_focus(page, "h-done")
    assert page.locator("#done-when").inner_text() == "Tuesday, 9 March 2027 at 09:15"
    check_page(page, "done")


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 450)], ids=["320px", "zoom-200"])
def test_every_step_fits_a_narrow_screen_without_sideways_scrolling(width, height, live, open_page, check_page):
    """320 CSS px is a small phone; 640 CSS px is a 1280 px window at 200% zoom."""
    page = open_page(locale="ca-ES", width=width, height=height)

    def fits(state: str) -> None:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, state
        check_page(page, state)

    page.goto(f"{live.url}/book/salou-oac")
    page.wait_for_selector("#service-list button")
    fits("service")
    choose_service(page, "ca", "e-office-assistance")
    fits("date")
    choose_day(page, "2027-03-04")
    fits("time")
    choose_time(page, "ca", "16:00")
    page.locator("#step-details").get_by_role("button", name=t("ca", "continue")).click()
    fits("details-errors")
    fill_details(page, "ca", name="Núria Ferrer i Bertran", email="nuria.ferrer.bertran@example.org")
    page.locator("#step-details").get_by_role("button", name=t("ca", "continue")).click()
    heading_has_focus(page, "h-review")
    fits("review")
    page.get_by_role("button", name=t("ca", "confirm")).click()
    heading_has_focus(page, "h-done")
    fits("done")


HOST = """<!doctype html><html lang="en"><title>Municipal site</title><h1>Town hall</h1>
<iframe id="booking" title="Book an appointment" src="{src}" style="width: 420px; height: 150px; border: 0"></iframe>
<script>
  window.heights = [];
  addEventListener("message", (event) => {{
    if (event.data && event.data.type === "citizen-scheduler:height") {{
      window.heights.push(event.data.height);
      document.getElementById("booking").style.height = event.data.height + "px";
    }}
  }});
</script>"""


@pytest.fixture
def municipal_site(live):
    """Another origin on this machine (loopback, another port) whose page embeds the booking page."""
    page = HOST.format(src=f"{live.url}/book/salou-oac").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()


def test_embedded_in_an_allowed_site_the_page_tells_its_height(live, browser, municipal_site):
    context = browser.new_context(locale="ca-ES", viewport={"width": 800, "height": 600})
    try:
        page = context.new_page()
        refusals = []
        page.on("console", lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None)
        page.goto(municipal_site)  # by default only the app itself may frame its pages
        page.wait_for_timeout(300)
        assert page.frames[1].query_selector("#service-list") is None
        assert refusals and page.evaluate("() => window.heights.length") == 0

        live.stack.settings = replace(live.stack.settings, frame_ancestors=("'self'", municipal_site))
        page.goto(municipal_site)
        frame = page.frame_locator("#booking")
        frame.locator("#service-list button").first.wait_for()
        page.wait_for_function("() => window.heights.length > 0")
        first = page.evaluate("() => window.heights[window.heights.length - 1]")
        frame.get_by_role("button", name=re.compile(SERVICES["general-information"]["ca"])).click()
        page.wait_for_function("h => window.heights[window.heights.length - 1] !== h", arg=first)
        frame.locator("#calendar table:not([aria-busy])").wait_for()
        page.wait_for_timeout(200)
        reported = page.evaluate("() => window.heights[window.heights.length - 1]")
        inner = page.frames[1].evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
        assert reported == inner and reported > first
        assert page.evaluate("() => document.getElementById('booking').getBoundingClientRect().height") == reported
    finally:
        context.close()


def test_the_first_load_of_the_booking_page_is_under_100_kb(live, open_page):
    page = open_page(locale="ca-ES", width=1280, height=800)
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(f"{live.url}/book/salou-oac")
    page.wait_for_selector("#service-list button")
    page.wait_for_load_state("networkidle")
    sizes = [(r.url.replace(live.url, ""), r.sizes()) for r in requests]
    total = sum(s["responseBodySize"] + s["responseHeadersSize"] for _, s in sizes)
    assert all(url.startswith("/") for url, _ in sizes), "every asset comes from the app itself"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lines = [f"{s['responseBodySize'] + s['responseHeadersSize']:>7}  {url}" for url, s in sizes]
    (ARTIFACTS / "first-load.txt").write_text("\n".join([*lines, f"{total:>7}  total"]) + "\n", encoding="utf-8")
    assert total < FIRST_LOAD_BUDGET, lines
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / "booking-page.png"))
