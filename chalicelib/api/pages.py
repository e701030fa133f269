"""The pages: booking and manage pages for citizens, the staff agenda, their assets, friendly error pages.

The pages are plain HTML whose scripts use the JSON API; nothing here changes a booking
(opening a manage link only shows it: mail scanners open links).
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response

from .. import web
from ..bootstrap import container
from ..scheduling.errors import NotFound
from ..scheduling.model import LOCALES, Office
from ..usecases import booking as usecase
from ..web import brand
from . import views

bp = Blueprint(__name__)
log = logging.getLogger("scheduler.pages")
LONG_CACHE = "public, max-age=31536000, immutable"
_SOURCE = re.compile(r"'self'|'none'|(https?://)?(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?|https:")


def _query() -> dict[str, str]:
    return dict(bp.current_request.query_params or {})


def _frame_ancestors() -> str:
    try:
        configured = container().settings.frame_ancestors
    except Exception:  # noqa: BLE001 - misconfigured: embed nowhere, still answer
        configured = ()
    return " ".join(s for s in configured if _SOURCE.fullmatch(s)) or "'none'"


def _logo(office: Office | None) -> str | None:
    url = (office.branding.get("logo_url") if office else None) or None
    return url if url and (url.startswith("/") and not url.startswith("//") or url.startswith("https://")) else None


def _headers(content_type: str, cache: str, office: Office | None = None, **extra: str) -> dict[str, str]:
    logo = _logo(office)
    images = "'self'" + (f" {urlsplit(logo).scheme}://{urlsplit(logo).netloc}" if logo and "://" in logo else "")
    policy = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
              f"img-src {images}; form-action 'self'; base-uri 'none'; frame-ancestors {_frame_ancestors()}")
    return {"Content-Type": content_type, "Cache-Control": cache, "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", **extra}


def _html(body: str, status: int = 200, office: Office | None = None, cache: str = "no-store") -> Response:
    return Response(body, status_code=status, headers=_headers("text/html; charset=utf-8", cache, office,
                                                               Vary="Accept-Language"))


def _language(locales: tuple[str, ...]) -> str:
    """``?lang=`` if offered, else the best of Accept-Language, else the first of ``locales``."""
    return web.choose_language(locales, _query().get("lang"), bp.current_request.headers.get("accept-language"))


def _error_page(status: int) -> Response:
    lang = _language(LOCALES)
    key = "not_found" if status == 404 else "unavailable"
    try:
        home = f"/book/{container().settings.default_office}?lang={lang}" if status == 404 else None
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        home = None
    body = web.render("error.html", lang=lang, t=web.catalog(lang), key=key, home=home)
    return _html(body, status)


def page(path: str) -> Callable:
    """``bp.route`` for pages: an unknown office or booking is a friendly 404, anything else a 503 page."""

    def register(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(**kwargs: Any) -> Response:
            try:
                return view(**kwargs)
            except NotFound:
                return _error_page(404)
            except Exception:  # a citizen sees a page, the operators the log
                log.exception("page failed")
                return _error_page(503)

        bp.route(path, methods=["GET"])(guarded)
        return view

    return register


def _language_links(locales: tuple[str, ...], lang: str) -> list[dict[str, Any]]:
    query = {k: v for k, v in _query().items() if k != "lang"}
    return [{"code": code, "name": web.LANGUAGES[code], "current": code == lang,
             "href": "?" + urlencode({**query, "lang": code})} for code in locales]


def _render(template: str, office: Office, **data: Any) -> str:
    lang = _language(office.locales)
    t = web.catalog(lang)
    today = container().now().astimezone(ZoneInfo(office.timezone)).date()
    horizon = max((s.horizon_days for s in office.services.values()), default=0)
    brand_version = web.version_of(brand.css(office.branding.get("color")))
    citizen_messages = {k: v for k, v in t.items() if not k.startswith("staff_")}  # half the catalog is staff's
    page_data = {"lang": lang, "intl": web.INTL_LOCALES[lang], "t": citizen_messages, "today": today.isoformat(),
                 "last_day": (today + timedelta(days=horizon)).isoformat(),
                 "office": {"id": office.id, "timezone": office.timezone, "locales": list(office.locales)},
                 "languages": {code: web.LANGUAGES[code] for code in office.locales}, **data}
    return web.render(template, lang=lang, t=t, office=office, office_name=office.name(lang), logo=_logo(office),
                      brand_css=f"/book/{office.id}/brand.css?v={brand_version}",
                      privacy=office.privacy_notice.get(lang, ""), languages=_language_links(office.locales, lang),
                      data=page_data)


@page("/")
def root() -> Response:
    lang = _query().get("lang")
    suffix = f"?lang={lang}" if lang in LOCALES else ""
    target = f"/book/{container().settings.default_office}{suffix}"
    return Response("", status_code=302, headers={**_headers("text/plain; charset=utf-8", "no-store"),
                                                  "Location": target})


@page("/book/{office_id}")
def book(office_id: str) -> Response:
    office = container().offices.get(office_id)
    return _html(_render("book.html", office, page="book"), office=office, cache="no-cache")


@page("/book/{office_id}/brand.css")
def brand_css(office_id: str) -> Response:
    text = brand.css(container().offices.get(office_id).branding.get("color"))
    cache = LONG_CACHE if _query().get("v") == web.version_of(text) else "no-cache"
    return Response(text, headers=_headers("text/css; charset=utf-8", cache))


@page("/manage/{booking_id}")
def manage(booking_id: str) -> Response:
    _, office = usecase.get_booking(container().booking_deps(), booking_id, _query().get("token"))
    return _html(_render("manage.html", office, page="manage", booking_id=booking_id), office=office)


@page("/static/{name}")
def static(name: str) -> Response:
    found = web.asset(name)
    if found is None:
        raise NotFound(f"No asset {name!r}.")
    # versioned URLs (the pages') never change; a bare one (a logo named in an office file) may
    cache = LONG_CACHE if _query().get("v") == found.version else "public, max-age=86400"
    return Response(found.text, headers=_headers(found.content_type, cache))


@page("/staff")
def staff() -> Response:
    """The staff agenda. Not tied to an office: the signed-in token says which (the agenda API answers it).

    The page holds no personal data until the agent signs in with a token, which its script keeps in
    sessionStorage only. It is never framed (its buttons change bookings): ``frame-ancestors 'none'``.
    """
    lang = _language(LOCALES)
    t = web.catalog(lang)
    now = container().now()
    data = {"lang": lang, "intl": web.INTL_LOCALES[lang], "t": t, "page": "staff",
            "now": views.utc(now)}
    response = _html(web.render("staff.html", lang=lang, t=t, languages=_language_links(LOCALES, lang), data=data))
    policy = response.headers["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = f"{policy.split('; frame-ancestors ')[0]}; frame-ancestors 'none'"
    return response
