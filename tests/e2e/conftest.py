"""Browser tests: Debian's headless Chromium driven by Playwright, against chalice's own local server.

The server is ``chalice.local``'s LocalDevServer (what ``chalice local`` runs), started once in a
thread of this process on a free port. Each test still gets its own fresh table, the demo office and
the clock fixed at 2027-03-01 08:00 UTC (the ``stack`` fixture of tests/conftest.py), because the
server's requests use the container that fixture installs. The browser talks to it over real HTTP.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib import bootstrap

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
CATALOGS = {lang: json.loads((ROOT / "chalicelib" / "web" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in ("ca", "es", "en")}


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: it ships with the repository (axe-core, MPL-2.0). "
                    "Restore it, e.g. `npm pack axe-core@4` and copy package/axe.min.js there.")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def server(emulator) -> Iterator[str]:
    """chalice's local dev server for the app, on 127.0.0.1 and a free port."""
    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app

    local = create_local_server(app, Config.create(chalice_stage="local"), "127.0.0.1", 0)
    thread = threading.Thread(target=local.server.serve_forever, name="chalice-local", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{local.server.server_address[1]}"
    local.server.shutdown()
    local.server.server_close()


@dataclass
class Live:
    """The running app: its URL, the test's container, and the JSON API over HTTP."""

    url: str
    stack: bootstrap.Container

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def book(self, start: str, service: str = "general-information", n: int = 1, locale: str = "ca") -> dict:
        status, created = self.call("POST", "/v1/offices/salou-oac/bookings", citizen_booking(start, service, n, locale))
        assert status == 201, created
        return created


def citizen_booking(start: str, service: str, n: int, locale: str = "ca") -> dict:
    return {"service_id": service, "start": start, "channel": "video",
            "citizen": {"name": f"Citizen {n}", "email": f"citizen{n}@example.org", "phone": f"6123456{n:02d}",
                        "locale": locale}}


@pytest.fixture
def live(server: str, stack: bootstrap.Container) -> Live:
    stack.settings = replace(stack.settings, public_url=server)  # manage links point at this server
    return Live(server, stack)


@dataclass
class Browsing:
    """A page plus what went wrong in it: script errors and CSP refusals fail the test."""

    page: Any
    problems: list[str]


@pytest.fixture
def open_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []
    watched: list[Browsing] = []

    def open_(locale: str = "ca-ES", width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": height},
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        browsing = Browsing(page, [])
        page.on("pageerror", lambda error: browsing.problems.append(f"page error: {error}"))
        page.on("console", lambda message: browsing.problems.append(f"console: {message.text}")
                if message.type == "error" and "Failed to load resource" not in message.text else None)
        watched.append(browsing)
        return page

    yield open_
    for context in contexts:
        context.close()
    problems = [p for b in watched for p in b.problems]
    assert not problems, f"{request.node.name}: {problems}"


@pytest.fixture
def check_page(axe_source: str, request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """Run axe-core (WCAG 2.1 A/AA and best practices) on the page as it is, and keep a screenshot."""

    def check(page: Any, state: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = f"{request.node.name}-{state}".replace("/", "_").replace("[", "-").replace("]", "")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(axe_source)  # DevTools evaluation: the page's CSP rightly refuses an inline script
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                               "resultTypes: ['violations']})", AXE_TAGS)
        violations = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
                      for v in result["violations"]]
        assert violations == [], f"axe on {state}: {violations}"

    return check
