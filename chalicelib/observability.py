"""Structured JSON logs (request id, booking id, never personal data) and CloudWatch EMF metrics.

Log records carry only what the code puts in ``extra`` plus the request
context; the code never logs names, e-mail addresses or phone numbers.
Metrics are printed in CloudWatch's embedded metric format: Lambda's log
stream turns them into metrics with no API call and no dependency.
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

NAMESPACE = "CitizenScheduler"
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_context", default=None)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_configured = False


def bind(**values: str | None) -> None:
    """Add request-scoped fields (``request_id``, ``booking_id``) to every later log line."""
    _context.set({**(_context.get() or {}), **{k: v for k, v in values.items() if v}})


def reset() -> None:
    _context.set({})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"level": record.levelname, "logger": record.name, "message": record.getMessage(),
                                **(_context.get() or {})}
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["error"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            line["trace"] = self.formatException(record.exc_info).splitlines()[-6:]
        return json.dumps(line, default=str, ensure_ascii=False)


class _Stdout(logging.StreamHandler):
    """Always the current ``sys.stdout`` (Lambda's, or a test's capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure() -> None:
    """Once per process: our loggers at INFO as JSON; libraries (botocore logs bodies) at WARNING."""
    global _configured
    if _configured:
        return
    handler = _Stdout()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("scheduler")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for library in ("botocore", "boto3", "pynamodb", "urllib3"):  # their DEBUG lines hold request bodies
        logging.getLogger(library).setLevel(logging.WARNING)
    _configured = True


def metric(name: str, value: float, unit: str = "Count", office_id: str | None = None,
           stream: Any = None) -> None:
    """One EMF record on stdout (Lambda ships it to CloudWatch Logs, which extracts the metric)."""
    dimensions = [["Office"]] if office_id else [[]]
    record = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
            {"Namespace": NAMESPACE, "Dimensions": dimensions, "Metrics": [{"Name": name, "Unit": unit}]}]},
        name: value, **(_context.get() or {}),
    }
    if office_id:
        record["Office"] = office_id
    print(json.dumps(record), file=stream or sys.stdout, flush=True)
