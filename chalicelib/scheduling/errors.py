"""Domain errors. The API layer maps them to HTTP problems in one place."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One input field at fault and why (``field`` is a dotted path)."""

    field: str
    detail: str


class DomainError(Exception):
    """Base class: ``title`` is stable and human, ``detail`` is specific."""

    title = "Request failed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """The request is malformed: mapped to 400."""

    title = "Invalid request"

    def __init__(self, errors: list[FieldError] | FieldError, detail: str | None = None) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__(detail or "; ".join(f"{e.field}: {e.detail}" for e in self.errors))


class NotFound(DomainError):
    """Unknown office, service or booking (or a wrong secret): mapped to 404."""

    title = "Not found"


@dataclass
class Conflict(DomainError):
    """The request is valid but the current state refuses it: mapped to 409.

    ``reason`` is a stable machine-readable code (``slot_taken``,
    ``too_many_bookings``, ...); ``extra`` is merged into the problem body.
    """

    reason: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    title = "Conflict"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)


class Unprocessable(DomainError):
    """Well-formed but contradicts an earlier request (idempotency key reuse): 422."""

    title = "Unprocessable request"


class Unauthorized(DomainError):
    """No sign-in, or one that is not valid (bad signature, expired): mapped to 401."""

    title = "Unauthorized"


class Forbidden(DomainError):
    """A valid sign-in reaching outside its scope: mapped to 403."""

    title = "Forbidden"


class TooManyRequests(DomainError):
    """An abuse limit: mapped to 429 with Retry-After."""

    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(int(retry_after), 1)
