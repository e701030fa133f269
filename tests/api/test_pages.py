"""The citizen pages as HTTP sees them: redirects, headers, languages, brand, assets, friendly errors."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib import web
from chalicelib.web import brand

WEB = Path(web.__file__).resolve().parent
BOOK = "/book/salou-oac"


class Page(HTMLParser):
    """The tags of a page, to check what the CSP would refuse (inline scripts, styles, handlers)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.texts: dict[str, str] = {}
        self._script: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        self._script = dict(attrs).get("id") if tag == "script" else None

    def handle_data(self, data: str) -> None:
        if self._script:
            self.texts[self._script] = self.texts.get(self._script, "") + data

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]

    def data(self) -> dict:
        return json.loads(self.texts["page-data"])


def get(client, path: str, lang: str | None = None):
    return client.http.get(path, headers={"Accept-Language": lang} if lang else {})


def assert_safe_headers(response, frame_ancestors: str = "'self'") -> dict[str, str]:
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == frame_ancestors
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    return policy


def test_the_root_redirects_to_the_default_office(client):
    response = get(client, "/")
    assert response.status_code == 302 and response.headers["Location"] == BOOK
    assert_safe_headers(response)
    assert get(client, "/?lang=es").headers["Location"] == f"{BOOK}?lang=es"
    assert get(client, "/?lang=xx").headers["Location"] == BOOK


def test_the_root_follows_the_configured_default_office(client, stack):
    stack.settings = replace(stack.settings, default_office="reus-oac")
    assert get(client, "/").headers["Location"] == "/book/reus-oac"


def test_the_booking_page_carries_the_security_headers_and_nothing_the_policy_would_refuse(client):
    response = get(client, BOOK)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Accept-Language"
    policy = assert_safe_headers(response)
    assert policy["img-src"] == "'self'" and policy["connect-src"] == "'self'"
    page = Page(response.body.decode())
    scripts = page.all("script")
    assert scripts and all(s.get("src", "").startswith("/static/") or s.get("type") == "application/json"
                           for s in scripts)
    assert not page.all("style") and not any("style" in attrs for _, attrs in page.tags)
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    for attrs in (*page.all("link"), *page.all("script"), *page.all("img")):
        url = attrs.get("href") or attrs.get("src")
        assert url is None or url.startswith("/"), f"external resource {url}"


@pytest.mark.parametrize(("accept", "lang"), [
    ("es-ES,es;q=0.9,en;q=0.8", "es"),
    ("en-GB,en;q=0.9", "en"),
    ("fr-FR, en;q=0.5, ca;q=0.7", "ca"),
    ("de-DE,fr;q=0.9", "ca"),  # none offered: the office's first language
    ("es;q=0, en", "en"),
    (None, "ca"),
])
def test_the_language_comes_from_accept_language(client, accept, lang):
    page = Page(get(client, BOOK, accept).body.decode())
    assert page.all("html")[0]["lang"] == lang
    data = page.data()
    citizen = {k: v for k, v in web.catalog(lang).items() if not k.startswith("staff_")}
    assert data["lang"] == lang and data["t"] == citizen  # the staff page's messages stay on the staff page
    current = [a for a in page.all("a") if "aria-current" in a]
    assert [a["hreflang"] for a in current] == [lang]


def test_the_lang_parameter_wins_and_the_language_links_keep_the_rest_of_the_query(client, stack):
    created = json.loads(client.http.post(
        "/v1/offices/salou-oac/bookings", headers={"Content-Type": "application/json"},
        body=json.dumps({"service_id": "general-information", "start": "2027-03-02T08:00:00Z", "channel": "video",
                         "citizen": {"name": "Maria Puig", "email": "maria@example.org", "phone": "612345678",
                                     "locale": "ca"}}).encode()).body)
    path = f"/manage/{created['booking']['id']}?token={created['manage_token']}&lang=en"
    response = get(client, path, "es-ES")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = Page(response.body.decode())
    assert page.all("html")[0]["lang"] == "en"
    links = {a["hreflang"]: a["href"] for a in page.all("a") if "hreflang" in a}
    assert links["es"] == f"?token={created['manage_token']}&lang=es"
    assert page.data()["booking_id"] == created["booking"]["id"]


def test_the_page_shows_the_office_brand_and_knows_its_zone_and_todays_date(client):
    body = get(client, BOOK, "es").body.decode()
    page = Page(body)
    assert "Oficina de Atención Ciudadana de Salou" in body
    assert "El Ayuntamiento de Salou trata sus datos solo para gestionar esta cita" in body
    assert page.all("img")[0]["src"] == "/static/salou-logo.svg"
    brand_link = next(a["href"] for a in page.all("link") if "/brand.css" in a["href"])
    css = get(client, brand_link)
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "--brand:#00589b;" in css.body.decode()  # the demo's blue already reaches AA
    assert get(client, f"{BOOK}/brand.css?v=old").headers["Cache-Control"] == "no-cache"
    data = page.data()
    assert data["today"] == "2027-03-01" and data["last_day"] == "2027-06-29"  # fixed clock + 120 days
    assert data["office"] == {"id": "salou-oac", "timezone": "Europe/Madrid", "locales": ["ca", "es", "en"]}


@pytest.mark.parametrize("color", ["#ffd23f", "#fff", "#7fb2e5", "not a colour", None])
def test_a_light_brand_colour_is_darkened_until_text_on_it_reaches_aa(color):
    colours = {name: brand.parse(value) for name, value in brand.palette(color).items()}
    assert brand.contrast(colours["brand"], brand.WHITE) >= 4.5
    assert brand.contrast(colours["brand"], colours["brand-tint"]) >= 4.5


def test_a_light_configured_colour_is_kept_as_its_tint(client, stack, demo_document):
    stack.offices.put({**demo_document, "branding": {"color": "#ffd23f", "logo_url": "https://cdn.salou.example/l.svg"}},
                      stack.now())
    response = get(client, BOOK)
    assert assert_safe_headers(response)["img-src"] == "'self' https://cdn.salou.example"
    css = get(client, f"{BOOK}/brand.css").body.decode()
    assert "--brand-tint:#fffaec;" in css and "--brand:#877021;" in css  # the yellow, darkened to 4.5:1


def test_frame_ancestors_follow_the_configured_allowlist(client, stack):
    stack.settings = replace(stack.settings, frame_ancestors=("'self'", "https://www.salou.cat",
                                                              "https://*.salou.cat", "x;script-src"))
    assert_safe_headers(get(client, BOOK), "'self' https://www.salou.cat https://*.salou.cat")


def test_an_unknown_office_is_a_friendly_page_in_the_citizens_language(client):
    response = get(client, "/book/no-such-office", "es-ES,es;q=0.9")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_safe_headers(response)
    page = Page(response.body.decode())
    assert page.all("html")[0]["lang"] == "es"
    assert web.catalog("es")["not_found_title"] in response.body.decode()
    assert [a["href"] for a in page.all("a")] == [f"{BOOK}?lang=es"]


def test_a_manage_link_with_a_wrong_token_is_the_same_friendly_404(client):
    assert get(client, "/manage/01ABCDEF?token=nope").status_code == 404
    assert get(client, "/manage/01ABCDEF").status_code == 404


@pytest.mark.parametrize(("name", "content_type"), [
    ("scheduler.css", "text/css; charset=utf-8"),
    ("dom.js", "text/javascript; charset=utf-8"),
    ("common.js", "text/javascript; charset=utf-8"),
    ("book.js", "text/javascript; charset=utf-8"),
    ("manage.js", "text/javascript; charset=utf-8"),
    ("salou-logo.svg", "image/svg+xml; charset=utf-8"),
])
def test_static_assets_have_their_type_and_a_long_cache_when_versioned(client, name, content_type):
    versioned = get(client, web.asset_url(name))
    assert versioned.status_code == 200 and versioned.headers["Content-Type"] == content_type
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.body == (WEB / "static" / name).read_bytes()
    assert_safe_headers(versioned)
    assert get(client, f"/static/{name}").headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize("name", ["missing.js", "..%2Fi18n%2Fca.json", "%2e%2e", "ca.json", ".hidden.css"])
def test_nothing_outside_the_static_folder_is_served(client, name):
    response = get(client, f"/static/{name}")
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")


def test_every_catalog_has_every_key_with_the_same_placeholders():
    catalogs = {lang: web.catalog(lang) for lang in ("ca", "es", "en")}
    keys = set(catalogs["en"])
    for lang, catalog in catalogs.items():
        assert set(catalog) == keys, lang
        for key, text in catalog.items():
            assert text.strip(), (lang, key)
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", catalogs["en"][key])), (lang, key)


def test_every_message_the_pages_use_is_in_the_catalog():
    keys = set(web.catalog("en"))
    used = set()
    for path in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\.(\w+)", path.read_text(encoding="utf-8")))
    for path in (WEB / "static").glob("*.js"):
        used |= set(re.findall(r"\bt\(\"(\w+)\"[,)]", path.read_text(encoding="utf-8")))
    # keys the scripts build: a booking's status, a field's error, a 409's reason
    used |= {f"status_{s}" for s in ("confirmed", "cancelled", "completed", "no_show")}
    used |= {f"err_{f}" for f in ("name", "email", "phone", "locale", "notes", "consent", "time")}
    used |= {"too_late", "already_started", "not_active", "taken_none"}
    assert used and used <= keys, used - keys


def test_the_first_load_stays_well_under_100_kb(client):
    page = Page(get(client, BOOK).body.decode())
    urls = [a["href"] for a in page.all("link") if a.get("rel") == "stylesheet"] + \
           [s["src"] for s in page.all("script") if "src" in s] + [page.all("img")[0]["src"]]
    total = len(get(client, BOOK).body) + sum(len(get(client, url).body) for url in urls)
    assert total < 60_000, total  # bodies only; the browser test counts headers and API calls too


# -- the staff page -----------------------------------------------------------------------------------
STAFF = "/staff"


def test_the_staff_page_carries_the_security_headers_and_is_never_framed(client, stack):
    stack.settings = replace(stack.settings, frame_ancestors=("'self'", "https://www.salou.cat"))
    response = get(client, STAFF)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Vary"] == "Accept-Language"
    policy = assert_safe_headers(response, "'none'")  # its buttons change bookings: no clickjacking
    assert policy["connect-src"] == "'self'" and policy["img-src"] == "'self'"
    page = Page(response.body.decode())
    assert not page.all("style") and not any("style" in attrs for _, attrs in page.tags)
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    scripts = page.all("script")
    assert [s["src"].split("?")[0] for s in scripts if "src" in s] == ["/static/dom.js", "/static/staff.js"]
    for attrs in (*page.all("link"), *page.all("script"), *page.all("img")):
        url = attrs.get("href") or attrs.get("src")
        assert url is None or url.startswith("/"), f"external resource {url}"


@pytest.mark.parametrize(("accept", "lang"), [("es-ES,es;q=0.9", "es"), ("en-GB", "en"), (None, "ca")])
def test_the_staff_page_speaks_the_agents_language_and_holds_no_personal_data(client, accept, lang):
    page = Page(get(client, STAFF, accept).body.decode())
    assert page.all("html")[0]["lang"] == lang
    data = page.data()
    assert data["lang"] == lang and data["t"] == web.catalog(lang) and data["page"] == "staff"
    assert data["now"] == "2027-03-01T08:00:00Z"  # the server's clock: the page's "today" follows it
    assert set(data) == {"lang", "intl", "t", "page", "now"}  # no office, booking or token in the page
    links = {a["hreflang"]: a["href"] for a in page.all("a") if "hreflang" in a}
    assert links == {"ca": "?lang=ca", "es": "?lang=es", "en": "?lang=en"}
    assert [a["hreflang"] for a in page.all("a") if "aria-current" in a] == [lang]
    labels = {attrs["for"] for attrs in page.all("label")}
    controls = {attrs["id"] for name, attrs in page.tags if name in ("input", "select", "textarea")}
    assert controls and controls <= labels  # every control has a label


def test_the_staff_script_is_served_like_the_others_and_its_messages_exist(client):
    versioned = get(client, web.asset_url("staff.js"))
    assert versioned.status_code == 200 and versioned.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert_safe_headers(versioned)
    script = (WEB / "static" / "staff.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "localStorage" not in script  # the token: sessionStorage only
    keys = set(web.catalog("en"))
    built = {f"staff_role_{r}" for r in ("agent", "supervisor")} | {f"staff_channel_{c}" for c in ("email", "sms")}
    quoted = set(re.findall(r"\"((?:staff|err|status)_\w+|not_active)\"", script))
    built |= {f"staff_status_{s}" for s in ("confirmed", "cancelled", "completed", "no_show")}
    assert built | (quoted - {"staff_status_", "staff_role_"}) <= keys
