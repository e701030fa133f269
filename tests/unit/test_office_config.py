"""The office file: the demo validates; mistakes are reported with their path."""
import copy

import pytest

from chalicelib.cli import read_office_file
from chalicelib.scheduling.config import InvalidOfficeConfig, parse_office


def problems(doc) -> dict[str, str]:
    with pytest.raises(InvalidOfficeConfig) as error:
        parse_office(doc)
    return {p.path: p.reason for p in error.value.problems}


def test_the_demo_office_is_valid_and_complete(demo_document):
    office = parse_office(demo_document)
    assert office.id == "salou-oac" and office.timezone == "Europe/Madrid" and len(office.agents) == 7
    assert {"general-information", "e-office-assistance", "municipal-register"} <= set(office.services)
    assert office.services["e-office-assistance"].duration_minutes == 30
    assert office.services["general-information"].duration_minutes == 15
    assert office.services["municipal-register"].duration_minutes == 20
    assert all(s.horizon_days >= 120 for s in office.services.values())
    assert any(len(a.services) < len(office.services) for a in office.agents.values())
    assert office.hours.days[3] == ((540, 840), (960, 1140))  # Thursday afternoon too
    assert 5 not in office.hours.days and 6 not in office.hours.days
    assert len(office.holidays.local) == 2 and office.holidays.subdivision == "CT"


def test_every_problem_is_reported_with_its_path(demo_document):
    doc = copy.deepcopy(demo_document)
    doc["timezone"] = "Europe/Salou"
    doc["opening_hours"]["mon"] = ["14:00-09:00"]
    doc["services"][1]["duration_minutes"] = 0
    doc["agents"][0]["services"].append("ghost")
    doc["locales"].append("fr")
    found = problems(doc)
    assert "timezone" in found and "unknown IANA" in found["timezone"]
    assert "opening_hours.mon[0]" in found
    assert "services[1].duration_minutes" in found
    assert "agents[0].services[3]" in found
    assert "locales[3]" in found


def test_missing_translations_and_holiday_region_are_reported(demo_document):
    doc = copy.deepcopy(demo_document)
    del doc["services"][0]["name"]["es"]
    doc["holidays"]["subdivision"] = "XX"
    found = problems(doc)
    assert "services[0].name.es" in found
    assert "holidays.subdivision" in found


def test_cli_prefixes_the_file_name(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad Id\nlocales: [ca]\n", encoding="utf-8")
    with pytest.raises(SystemExit) as error:
        read_office_file(str(bad))
    lines = str(error.value).splitlines()
    assert lines and all(line.startswith(f"{bad}: ") for line in lines)
    assert any("id:" in line for line in lines)
