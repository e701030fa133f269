"""Errors that Chalice answers itself, before or around our views, rewritten as problem+json.

Chalice answers a method the path does not have (405), a body that is not ``application/json``
(415), and an error raised outside our views (500) with ``{"Code": ..., "Message": ...}``. This
HTTP middleware turns those into the same ``application/problem+json`` as every other error,
keeping their headers (``Allow`` on a 405). Our own problems, and the HTML error pages of the
citizen pages, pass through untouched.

What it cannot reach: requests API Gateway refuses before invoking the function (a path that does
not exist: 403 ``Missing Authentication Token``; its throttling 429 and 413 payload limit).
``chalice local`` imitates the 403 for unknown paths. Those need API Gateway "gateway responses"
in the deployment templates.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalice import Response

from . import http

log = logging.getLogger("scheduler.api")
_TITLES = {400: "Invalid request", 405: "Method not allowed", 415: "Unsupported media type",
           500: "Internal error"}
_SERVER_ERROR = "Something went wrong on our side; nothing was changed."


def _chalice_error(response: Response) -> bool:
    body = response.body
    return response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}


def _detail(response: Response, request: Any) -> str:
    status = response.status_code
    if status == 405:
        allowed = next((v for k, v in response.headers.items() if k.lower() == "allow"), "")
        return f"{getattr(request, 'method', 'This method')} is not supported here; use {allowed}."
    if status == 415:
        return "Send the body as JSON with 'Content-Type: application/json'."
    if status >= 500:
        return _SERVER_ERROR
    return str(response.body["Message"])


def problem_errors(request: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice ``http`` middleware: every error the app answers is problem+json."""
    try:
        response = get_response(request)
    except Exception:
        log.exception("unhandled error outside a view")
        return http.problem(500, _TITLES[500], _SERVER_ERROR)
    if not _chalice_error(response):
        return response
    status = response.status_code
    if status >= 500:
        log.error("chalice answered %s: %s", status, response.body.get("Code"))
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    title = _TITLES.get(status, "Request failed")
    return http.problem(status, title, _detail(response, request), headers=headers)
