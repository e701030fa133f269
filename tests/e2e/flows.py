"""Steps of the booking page as a citizen takes them with the mouse, and what the tests read back."""
from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import CATALOGS

SERVICES = {"general-information": {"ca": "Informació general", "es": "Información general",
                                    "en": "General information"},
            "e-office-assistance": {"ca": "Ajuda amb la seu electrònica i tràmits en línia",
                                    "es": "Ayuda con la sede electrónica y trámites en línea",
                                    "en": "Help with the e-office and online procedures"}}


def t(lang: str, key: str, **values: Any) -> str:
    return CATALOGS[lang][key].format(**values)


def focused_id(page: Any) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def heading_has_focus(page: Any, element_id: str) -> None:
    """Wait until the element has the focus (a function, not a string: the page's CSP forbids eval)."""
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=element_id)


def choose_service(page: Any, lang: str, service: str = "general-information") -> None:
    page.get_by_role("button", name=re.compile(re.escape(SERVICES[service][lang]))).click()
    heading_has_focus(page, "h-date")
    page.wait_for_selector("#calendar table:not([aria-busy])")


def choose_day(page: Any, day: str) -> None:
    page.locator(f'#calendar button[data-day="{day}"]:not([aria-disabled])').click()
    heading_has_focus(page, "h-time")


def choose_time(page: Any, lang: str, hhmm: str) -> None:
    page.get_by_role("radio", name=hhmm).check()
    page.locator("#step-time").get_by_role("button", name=t(lang, "continue")).click()
    heading_has_focus(page, "h-details")


def fill_details(page: Any, lang: str, name: str = "Maria Puig", email: str = "maria@example.org",
                 phone: str = "612 345 678") -> None:
    page.get_by_label(t(lang, "field_name")).fill(name)
    page.get_by_label(t(lang, "field_email")).fill(email)
    page.get_by_label(t(lang, "field_phone")).fill(phone)
    page.get_by_label(t(lang, "consent")).check()


def submit_details(page: Any, lang: str) -> None:
    page.locator("#step-details").get_by_role("button", name=t(lang, "continue")).click()
