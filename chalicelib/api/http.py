"""Request parsing and the one place where errors become problem+json (RFC 9457)."""
from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from chalice import Blueprint, Response

from .. import observability
from ..scheduling.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from ..settings import ConfigurationError
from .views import slot_view

log = logging.getLogger("scheduler.api")

PROBLEM_TYPE = "application/problem+json"
# Query dates outside these years can only be mistakes; inside them, date arithmetic (a day either side,
# a default range, a time zone) never leaves Python's date range.
EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2999, 12, 31)
# No id of ours comes near this; longer path parameters never reach DynamoDB (whose keys stop at 2 KB).
MAX_PATH_PARAMETER = 256
_STATUS = {InvalidInput: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409, Unprocessable: 422,
           TooManyRequests: 429}
_SLUG = {400: "invalid-input", 401: "unauthorized", 403: "forbidden", 404: "not-found",
         405: "method-not-allowed", 409: "conflict", 415: "unsupported-media-type", 422: "unprocessable",
         429: "too-many-requests", 500: "internal-error", 503: "unavailable"}


def problem(status: int, title: str, detail: str, errors: list[FieldError] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": f"/problems/{_SLUG.get(status, 'error')}", "title": title,
                            "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = [{"field": e.field, "detail": e.detail} for e in errors]
    body.update(extra)
    return Response(body=body, status_code=status,
                    headers={"Content-Type": PROBLEM_TYPE, "Cache-Control": "no-store", **(headers or {})})


def from_error(error: Exception) -> Response:
    if isinstance(error, DomainError):
        status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
        errors = error.errors if isinstance(error, InvalidInput) else None
        extra = {"reason": error.reason, **error.extra} if isinstance(error, Conflict) else {}
        if "alternatives" in extra:
            extra["alternatives"] = [slot_view(s, extra["timezone"]) for s in extra["alternatives"]]
        headers = {"WWW-Authenticate": 'Bearer realm="staff"'} if status == 401 else None
        if isinstance(error, TooManyRequests):
            headers = {"Retry-After": str(error.retry_after)}
        return problem(status, error.title, error.detail, errors, headers, **extra)
    if isinstance(error, ConfigurationError):
        log.error("configuration error: %s", error)
        return problem(503, "Service unavailable", "The service is misconfigured; the operators have been told.")
    log.exception("unhandled error")
    return problem(500, "Internal error", "Something went wrong on our side; nothing was changed.")


def route(bp: Blueprint, path: str, **options: Any) -> Callable:
    """``bp.route`` whose view turns every exception into problem+json."""

    def register(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            observability.configure()
            observability.reset()
            request = bp.current_request
            context = getattr(bp, "lambda_context", None)
            observability.bind(request_id=(request.context or {}).get("requestId")
                               or getattr(context, "aws_request_id", None), booking_id=kwargs.get("booking_id"))
            try:
                if any(isinstance(v, str) and len(v) > MAX_PATH_PARAMETER for v in kwargs.values()):
                    raise NotFound("Not found.")
                return view(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - the single mapping point
                response = from_error(error)
                if response.status_code == 409:
                    observability.metric("Conflicts", 1, office_id=kwargs.get("office_id"))
                return response

        bp.route(path, **options)(guarded)
        return view

    return register


def query(bp: Blueprint) -> dict[str, str]:
    return dict(bp.current_request.query_params or {})


def json_body(bp: Blueprint) -> dict[str, Any]:
    raw = bp.current_request.raw_body
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(FieldError("body", "must be a JSON object (UTF-8)")) from None
    if not isinstance(body, dict):
        raise InvalidInput(FieldError("body", "must be a JSON object"))
    return body


def local_date(params: dict[str, str], name: str) -> date | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(FieldError(name, "must be a date YYYY-MM-DD")) from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise InvalidInput(FieldError(name, f"must be between {EARLIEST_DATE} and {LATEST_DATE}"))
    return parsed


def dates(params: dict[str, str], *names: str) -> list[date | None]:
    """Parse several date parameters, reporting every faulty one together."""
    found, errors = [], []
    for name in names:
        try:
            found.append(local_date(params, name))
        except InvalidInput as error:
            errors.extend(error.errors)
            found.append(None)
    if errors:
        raise InvalidInput(errors)
    return found


def client_ip(bp: Blueprint) -> str | None:
    """The caller's address as API Gateway saw it (behind CloudFront: the edge's; WAF sees the client's)."""
    return ((bp.current_request.context or {}).get("identity") or {}).get("sourceIp")
