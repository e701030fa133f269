"""Validation of a citizen's contact details and booking notes (pure: no I/O, env or clock).

``phonenumbers`` and ``email_validator`` are imported lazily to keep cold starts cheap.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib.scheduling.errors import FieldError, InvalidInput

NAME_MAX = 100
NOTES_MAX = 500
EMAIL_INPUT_MAX = 320  # longer input cannot be a valid address; don't hand it to the parser
PHONE_INPUT_MAX = 40
UNKNOWN_REGION = "ZZ"
_NOTES_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class Citizen:
    """Validated citizen details: ``email`` normalized, ``phone`` in E.164."""

    name: str
    email: str
    phone: str
    locale: str


def _is_control(ch: str) -> bool:
    """Control characters and Unicode line/paragraph separators."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def _name(raw: object, field: str, errors: list[FieldError]) -> str:
    if raw is None:
        errors.append(FieldError(field, "is required"))
        return ""
    if not isinstance(raw, str):
        errors.append(FieldError(field, "must be a string"))
        return ""
    if any(_is_control(ch) for ch in raw):
        errors.append(FieldError(field, "must not contain control characters or line breaks"))
        return ""
    name = raw.strip()
    if not name:
        errors.append(FieldError(field, "must not be empty"))
    elif len(name) > NAME_MAX:
        errors.append(FieldError(field, f"must be at most {NAME_MAX} characters"))
    return name


def _present(raw: object, field: str, errors: list[FieldError], longest: int, what: str) -> str:
    """A non-empty string of at most ``longest`` characters, stripped; else "" and an error."""
    if raw is None:
        errors.append(FieldError(field, "is required"))
        return ""
    if not isinstance(raw, str):
        errors.append(FieldError(field, "must be a string"))
        return ""
    value = raw.strip()
    if not value:
        errors.append(FieldError(field, "must not be empty"))
        return ""
    if len(value) > longest:
        errors.append(FieldError(field, f"is too long to be {what}"))
        return ""
    return value


def _email(raw: object, field: str, errors: list[FieldError]) -> str:
    value = _present(raw, field, errors, EMAIL_INPUT_MAX, "an e-mail address")
    if not value:
        return ""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        errors.append(FieldError(field, f"is not a valid e-mail address: {exc}"))
        return ""


def _phone(raw: object, default_region: str, field: str, errors: list[FieldError]) -> str:
    value = _present(raw, field, errors, PHONE_INPUT_MAX, "a phone number")
    if not value:
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, default_region.upper())
    except phonenumbers.NumberParseException:
        errors.append(FieldError(field, "is not a phone number"))
        return ""
    if not phonenumbers.is_valid_number(number):
        errors.append(FieldError(field, "is not a valid phone number"))
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _locale(raw: object, allowed: Sequence[str], field: str, errors: list[FieldError]) -> str:
    if raw is None:
        errors.append(FieldError(field, "is required"))
        return ""
    if not isinstance(raw, str) or raw not in allowed:
        errors.append(FieldError(field, f"must be one of: {', '.join(allowed)}"))
        return ""
    return raw


def parse_citizen(
    raw: object, default_region: str, allowed_locales: Sequence[str], field_prefix: str = "citizen"
) -> Citizen:
    """Validate a citizen object, reporting every faulty field at once.

    ``default_region`` (ISO code such as ``"ES"``) applies to numbers given
    nationally. Raises :class:`InvalidInput` with one :class:`FieldError` per field.
    """
    if not isinstance(raw, Mapping):
        raise InvalidInput(FieldError(field_prefix, "must be an object"))
    errors: list[FieldError] = []
    name = _name(raw.get("name"), f"{field_prefix}.name", errors)
    email = _email(raw.get("email"), f"{field_prefix}.email", errors)
    phone = _phone(raw.get("phone"), default_region, f"{field_prefix}.phone", errors)
    locale = _locale(raw.get("locale"), allowed_locales, f"{field_prefix}.locale", errors)
    if errors:
        raise InvalidInput(errors)
    return Citizen(name=name, email=email, phone=phone, locale=locale)


def parse_notes(raw: object, field: str = "notes") -> str | None:
    """Optional free text: stripped, at most 500 characters; absent or blank gives ``None``.

    Line breaks and tabs are kept; other control characters are rejected.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput(FieldError(field, "must be a string"))
    notes = raw.strip()
    if not notes:
        return None
    if len(notes) > NOTES_MAX:
        raise InvalidInput(FieldError(field, f"must be at most {NOTES_MAX} characters"))
    if any(_is_control(ch) and ch not in _NOTES_ALLOWED_CONTROLS for ch in notes):
        raise InvalidInput(FieldError(field, "must not contain control characters"))
    return notes


def phone_country(e164: str) -> str:
    """ISO region code of an E.164 number (``"+34977309200"`` -> ``"ES"``).

    Returns ``"001"`` for non-geographic numbers and ``"ZZ"`` when unknown;
    raises ``ValueError`` if ``e164`` is not a phone number at all.
    """
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not an E.164 phone number: {exc}") from None
    return phonenumbers.region_code_for_number(number) or UNKNOWN_REGION
