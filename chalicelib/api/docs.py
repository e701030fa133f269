"""``GET /v1/openapi.json``: the API contract, kept in the repository next to this module."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from . import http

bp = Blueprint(__name__)
DOCUMENT = Path(__file__).resolve().parent / "openapi.json"


@functools.cache
def _text() -> str:
    """The file, read once per process (on the first request, never at import)."""
    return DOCUMENT.read_text(encoding="utf-8")


def document() -> dict[str, Any]:
    """A fresh parsed copy of the document (callers may change it)."""
    return json.loads(_text())


@http.route(bp, "/v1/openapi.json", methods=["GET"])
def openapi() -> Response:
    return Response(_text(), headers={"Content-Type": "application/json",
                                      "Cache-Control": "public, max-age=300"})
