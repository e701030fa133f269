"""Validation of citizen contact details and notes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.scheduling.contact import Citizen, parse_citizen, parse_notes, phone_country
from chalicelib.scheduling.errors import InvalidInput

LOCALES = ("es", "ca", "en")


def raw(**overrides: object) -> dict[str, object]:
    base = {
        "name": "Núria Puig",
        "email": "nuria@example.com",
        "phone": "977 30 92 00",
        "locale": "ca",
    }
    return {**base, **overrides}


def parse(data: object) -> Citizen:
    return parse_citizen(data, "ES", LOCALES)


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e.field for e in exc.value.errors]


def test_valid_citizen_with_national_spanish_number() -> None:
    assert parse(raw()) == Citizen(
        name="Núria Puig", email="nuria@example.com", phone="+34977309200", locale="ca"
    )


@pytest.mark.parametrize("phone", ["+34 977 30 92 00", "0034977309200", "+34977309200", " 977-309-200 "])
def test_spanish_number_given_internationally_or_formatted(phone: str) -> None:
    assert parse(raw(phone=phone)).phone == "+34977309200"


def test_foreign_number_kept_in_its_country() -> None:
    assert parse(raw(phone="+44 20 7946 0958")).phone == "+442079460958"


@pytest.mark.parametrize("phone", ["123", "977 30 92", "+34 000 000 000", "abc", "", "   ", "9" * 41])
def test_invalid_numbers(phone: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(raw(phone=phone))
    assert fields_of(exc) == ["citizen.phone"]


@pytest.mark.parametrize(
    "email", ["nuria", "nuria@", "@example.com", "nu ria@example.com", "a@b.test", "", "x" * 400]
)
def test_bad_emails(email: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(raw(email=email))
    assert fields_of(exc) == ["citizen.email"]


def test_email_is_normalized() -> None:
    assert parse(raw(email="  Nuria@EXAMPLE.com ")).email == "Nuria@example.com"


def test_name_is_stripped_and_limited_to_100_characters() -> None:
    assert parse(raw(name="  Ana  ")).name == "Ana"
    assert parse(raw(name="a" * 100)).name == "a" * 100
    with pytest.raises(InvalidInput) as exc:
        parse(raw(name="a" * 101))
    assert fields_of(exc) == ["citizen.name"]
    assert "100" in exc.value.errors[0].detail


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name(name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(raw(name=name))
    assert fields_of(exc) == ["citizen.name"]


CONTROL_NAMES = ["Ana\nBcc: x@y.es", "Ana\r", "Ana\x00", "Ana\tPuig", "Ana\u2028Puig", "\x1b[31mAna"]


@pytest.mark.parametrize("name", CONTROL_NAMES)
def test_control_characters_in_name(name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(raw(name=name))
    assert fields_of(exc) == ["citizen.name"]
    assert "control" in exc.value.errors[0].detail


def test_unknown_locale() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(raw(locale="fr"))
    assert fields_of(exc) == ["citizen.locale"]
    assert "es, ca, en" in exc.value.errors[0].detail


def test_multiple_errors_reported_together() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(raw(name="", email="bad", phone="123", locale="xx"))
    assert fields_of(exc) == ["citizen.name", "citizen.email", "citizen.phone", "citizen.locale"]


def test_missing_and_wrongly_typed_fields() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse({"name": 5, "email": ["a@b.es"], "phone": 977309200})
    assert fields_of(exc) == ["citizen.name", "citizen.email", "citizen.phone", "citizen.locale"]
    assert exc.value.errors[-1].detail == "is required"


@pytest.mark.parametrize("data", [None, "Ana", ["Ana"], 42])
def test_not_an_object(data: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(data)
    assert fields_of(exc) == ["citizen"]


def test_field_prefix() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_citizen(raw(email="bad"), "ES", LOCALES, field_prefix="booking.citizen")
    assert fields_of(exc) == ["booking.citizen.email"]


def test_notes() -> None:
    assert parse_notes(None) is None
    assert parse_notes("   ") is None
    assert parse_notes("  Need a ramp.\nThanks  ") == "Need a ramp.\nThanks"
    assert parse_notes("n" * 500) == "n" * 500
    assert parse_notes("  " + "n" * 500 + "  ") == "n" * 500


@pytest.mark.parametrize("notes", ["n" * 501, 42, ["a"], "bad\x00byte"])
def test_bad_notes(notes: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_notes(notes, field="booking.notes")
    assert fields_of(exc) == ["booking.notes"]


def test_phone_country() -> None:
    assert phone_country("+34977309200") == "ES"
    assert phone_country("+442079460958") == "GB"
    assert phone_country("+18003569377") == "US"
    with pytest.raises(ValueError):
        phone_country("not a number")


def test_heavy_libraries_are_imported_lazily() -> None:
    code = (
        "import sys; import chalicelib.scheduling.contact; "
        "bad = {'phonenumbers', 'email_validator', 'boto3', 'pynamodb', 'chalice'} & set(sys.modules); "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[2]
    paths = [str(root), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
