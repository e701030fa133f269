"""The citizen pages' files: templates, message catalogs and static assets, read once per process.

Plain HTML, CSS and JavaScript (no framework, no build step). Assets are served from
``/static/{name}?v=<hash>``: the hash changes with the content, so they can be cached for a year.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
LANGUAGES = {"ca": "Català", "es": "Español", "en": "English"}  # each in its own language
INTL_LOCALES = {"ca": "ca", "es": "es", "en": "en-GB"}  # Intl.DateTimeFormat: 24-hour clock, day before month
CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".svg": "image/svg+xml; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    text: str
    content_type: str
    version: str


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@functools.cache
def _assets() -> dict[str, Asset]:
    found = {}
    for path in sorted((ROOT / "static").iterdir()):
        if path.is_file() and path.suffix in CONTENT_TYPES:
            text = path.read_text(encoding="utf-8")
            found[path.name] = Asset(text, CONTENT_TYPES[path.suffix], version_of(text))
    return found


def asset(name: str) -> Asset | None:
    """A static file by its bare name (no folders: nothing outside ``static/`` can be named)."""
    return _assets().get(name)


def asset_url(name: str) -> str:
    return f"/static/{name}?v={_assets()[name].version}"


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((ROOT / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


@functools.cache
def _templates() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals["asset_url"] = asset_url
    return env


def render(template: str, **context: Any) -> str:
    return _templates().get_template(template).render(**context)


def choose_language(offered: tuple[str, ...], asked: str | None, accept_language: str | None) -> str:
    """``?lang=`` if offered, else the best offered match of Accept-Language, else the first offered."""
    if asked in offered:
        return asked
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if quality > 0 and primary in offered:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else offered[0]
