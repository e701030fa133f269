"""Calendar invites: golden files, two independent parsers, DST and injection safety.

The golden files in ``tests/unit/golden`` are the exact bytes we send. After an intended
change to the invite format, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_invites.py
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from chalicelib.scheduling.invites import PRODID, Attendee, InviteEvent, build_feed, build_invite

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"

UID = "01JQ7ZK3M5N8P2R4T6V8X0Z2B4@scheduler"
VIDEO = "https://meet.example.org/oac-7Hq2mZk4Wv9Rt3Yp"
MANAGE = "https://cites.example.org/manage/01JQ7ZK3M5N8P2R4T6V8X0Z2B4#k=s3cr3t"
ORGANIZER = Attendee("Oficina d'Atenció Ciutadana", "oac@example.org")
CITIZEN = Attendee("Laia Puig i Soler", "laia@example.com")

CREATE = InviteEvent(
    uid=UID,
    sequence=0,
    cancelled=False,
    start=datetime(2027, 3, 30, 7, 0, tzinfo=UTC),  # 09:00 CEST
    end=datetime(2027, 3, 30, 7, 30, tzinfo=UTC),
    timezone="Europe/Madrid",
    locale="ca",
    service_name="Padró municipal",
    office_name="OAC Girona",
    video_url=VIDEO,
    manage_url=MANAGE,
    organizer=ORGANIZER,
    attendees=(CITIZEN,),
)
RESCHEDULE = replace(
    CREATE,
    sequence=1,
    start=datetime(2027, 3, 31, 9, 30, tzinfo=UTC),  # 11:30 CEST
    end=datetime(2027, 3, 31, 10, 0, tzinfo=UTC),
)
CANCEL = replace(RESCHEDULE, sequence=2, cancelled=True)

CASES = {
    "invite_create.ics": (CREATE, "REQUEST", datetime(2027, 3, 1, 10, 0, tzinfo=UTC)),
    "invite_reschedule.ics": (RESCHEDULE, "REQUEST", datetime(2027, 3, 2, 11, 15, 30, tzinfo=UTC)),
    "invite_cancel.ics": (CANCEL, "CANCEL", datetime(2027, 3, 3, 16, 45, tzinfo=UTC)),
}

# Every property name the module may emit; anything else in an output is an injection.
KNOWN_NAMES = {
    "BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "NAME", "X-WR-CALNAME",
    "TZID", "COMMENT", "DTSTART", "TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "RDATE",
    "SUMMARY", "DTEND", "DTSTAMP", "UID", "SEQUENCE", "ATTENDEE", "CONFERENCE", "DESCRIPTION",
    "LOCATION", "ORGANIZER", "STATUS", "URL", "ACTION", "TRIGGER",
}


def build(name: str) -> bytes:
    event, method, dtstamp = CASES[name]
    return build_invite(event, method, dtstamp)


def parse(data: bytes) -> tuple[icalendar.Calendar, vobject.base.Component]:
    """Parse with icalendar and with vobject (independent implementations)."""
    return icalendar.Calendar.from_ical(data), vobject.readOne(data.decode("utf-8"))


def unfolded_lines(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def assert_well_formed(data: bytes) -> None:
    """CRLF only, folded at 75 octets, and every logical line a property we emit."""
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    lines = unfolded_lines(data)
    assert "\n".join(lines).splitlines() == lines  # no other line breaks (\x0b, \x85, \u2028, ...)
    for line in lines:
        match = re.match(r"([A-Z][A-Z0-9-]*)[;:]", line)
        assert match and match.group(1) in KNOWN_NAMES, line


# --- golden files -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden_file(name: str) -> None:
    data = build(name)
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.write_bytes(data)
    assert data == path.read_bytes()


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_well_formed_crlf_and_deterministic(name: str) -> None:
    data = build(name)
    assert_well_formed(data)
    assert data == build(name)


def test_create_reschedule_cancel_parse_in_both_parsers() -> None:
    expected = {
        "invite_create.ics": (0, "REQUEST", "CONFIRMED", datetime(2027, 3, 30, 9), datetime(2027, 3, 30, 7)),
        "invite_reschedule.ics": (1, "REQUEST", "CONFIRMED", datetime(2027, 3, 31, 11, 30),
                                  datetime(2027, 3, 31, 9, 30)),
        "invite_cancel.ics": (2, "CANCEL", "CANCELLED", datetime(2027, 3, 31, 11, 30),
                              datetime(2027, 3, 31, 9, 30)),
    }
    uids = set()
    for name, (sequence, method, status, local_start, utc_start) in expected.items():
        _, _, dtstamp = CASES[name]
        ical, vcal = parse(build(name))

        # icalendar
        assert ical["PRODID"] == PRODID and ical["VERSION"] == "2.0" and ical["METHOD"] == method
        [event] = ical.events
        uids.add(str(event["UID"]))
        assert event["SEQUENCE"] == sequence
        assert event["STATUS"] == status
        assert event.DTSTAMP == dtstamp
        assert event["DTSTART"].params["TZID"] == "Europe/Madrid"
        assert event.start.replace(tzinfo=None) == local_start
        assert event.start.astimezone(UTC) == utc_start.replace(tzinfo=UTC)
        assert event.end - event.start == timedelta(minutes=30)
        [timezone] = ical.timezones
        assert timezone.tz_name == "Europe/Madrid"
        # the VTIMEZONE itself (not the system zone database) maps 09:00 local to UTC correctly
        own_zone = timezone.to_tz(lookup_tzid=False)
        assert local_start.replace(tzinfo=own_zone).astimezone(UTC) == utc_start.replace(tzinfo=UTC)
        [conference] = event.conferences
        assert conference.uri == VIDEO
        assert conference.feature == ["AUDIO", "VIDEO"]
        assert conference.label == "Videotrucada"
        assert event["LOCATION"] == VIDEO and event["URL"] == VIDEO
        assert VIDEO in event["DESCRIPTION"] and MANAGE in event["DESCRIPTION"]
        assert event["ORGANIZER"] == "mailto:oac@example.org"
        assert event["ORGANIZER"].params["CN"] == "Oficina d'Atenció Ciutadana"
        attendee = event["ATTENDEE"]
        assert attendee == "mailto:laia@example.com"
        assert dict(attendee.params) == {
            "CN": "Laia Puig i Soler", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE",
        }
        alarms = event.walk("VALARM")
        if method == "REQUEST":
            [alarm] = alarms
            assert alarm["ACTION"] == "DISPLAY"
            assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
        else:
            assert alarms == []

        # vobject
        assert vcal.prodid.value == PRODID and vcal.method.value == method
        assert vcal.vtimezone.tzid.value == "Europe/Madrid"
        vevent = vcal.vevent
        assert vevent.uid.value == UID
        assert int(vevent.sequence.value) == sequence
        assert vevent.status.value == status
        assert vevent.dtstamp.value == dtstamp
        assert vevent.dtstart.value.replace(tzinfo=None) == local_start
        assert vevent.dtstart.value.astimezone(UTC) == utc_start.replace(tzinfo=UTC)
        assert vevent.conference.value == VIDEO
        assert vevent.conference.params["FEATURE"] == ["AUDIO", "VIDEO"]
        assert vevent.conference.params["VALUE"] == ["URI"]
        assert vevent.location.value == VIDEO and vevent.url.value == VIDEO
        assert vevent.organizer.value == "mailto:oac@example.org"
        assert [a.value for a in vevent.attendee_list] == ["mailto:laia@example.com"]
        assert vevent.attendee.params["RSVP"] == ["TRUE"]
        assert ("valarm" in vevent.contents) == (method == "REQUEST")
    assert uids == {UID}


def test_localized_texts() -> None:
    summaries = {
        "ca": ("Cita per videotrucada: S — O", "Accediu a la videotrucada: ", "anul·lar la cita: "),
        "es": ("Cita por videollamada: S — O", "Acceda a la videollamada: ", "anular la cita: "),
        "en": ("Video appointment: S — O", "Join the video call: ", "cancel your appointment: "),
    }
    for locale, (summary, join, manage) in summaries.items():
        event = replace(CREATE, locale=locale, service_name="S", office_name="O")
        [parsed] = icalendar.Calendar.from_ical(build_invite(event, "REQUEST", CASES["invite_create.ics"][2])).events
        assert parsed["SUMMARY"] == summary
        assert join + VIDEO in parsed["DESCRIPTION"]
        assert manage + MANAGE in parsed["DESCRIPTION"]
        assert parsed.walk("VALARM")[0]["DESCRIPTION"] == summary


def test_cancel_is_marked_cancelled_and_manage_link_is_optional() -> None:
    event = replace(CREATE, manage_url=None, locale="en")
    [parsed] = icalendar.Calendar.from_ical(build_invite(event, "CANCEL", CASES["invite_cancel.ics"][2])).events
    assert parsed["STATUS"] == "CANCELLED"  # CANCEL implies it even if the event is not flagged
    assert parsed["SUMMARY"].startswith("Cancelled: ")
    assert "change or cancel" not in parsed["DESCRIPTION"]
    assert VIDEO in parsed["DESCRIPTION"]


def test_alarm_minutes_drive_the_trigger() -> None:
    data = build_invite(replace(CREATE, alarm_minutes=45), "REQUEST", CASES["invite_create.ics"][2])
    assert "TRIGGER:-PT45M" in unfolded_lines(data)


# --- DST -------------------------------------------------------------------------------------


def test_local_nine_oclock_across_the_dst_change() -> None:
    """DST starts 2027-03-28 in Madrid: 09:00 local is 08:00Z before and 07:00Z after."""
    before = replace(CREATE, uid="before@scheduler", start=datetime(2027, 3, 26, 8, tzinfo=UTC),
                     end=datetime(2027, 3, 26, 8, 30, tzinfo=UTC))
    after = replace(CREATE, uid="after@scheduler", start=datetime(2027, 3, 29, 7, tzinfo=UTC),
                    end=datetime(2027, 3, 29, 7, 30, tzinfo=UTC))
    expected = {"before@scheduler": datetime(2027, 3, 26, 8, tzinfo=UTC),
                "after@scheduler": datetime(2027, 3, 29, 7, tzinfo=UTC)}
    dtstamp = CASES["invite_create.ics"][2]
    payloads = [build_invite(before, "REQUEST", dtstamp), build_invite(after, "REQUEST", dtstamp),
                build_feed([before, after], "Agenda", dtstamp)]
    for data in payloads:
        lines = unfolded_lines(data)
        assert all(line == "DTSTART;TZID=Europe/Madrid:" + line[-15:] for line in lines
                   if line.startswith("DTSTART;"))
        ical, vcal = parse(data)
        own_zone = ical.timezones[0].to_tz(lookup_tzid=False)
        for event in ical.events:
            assert event.start.time().isoformat() == "09:00:00"
            assert event.start.astimezone(UTC) == expected[str(event["UID"])]
            assert event.start.replace(tzinfo=own_zone).astimezone(UTC) == expected[str(event["UID"])]
        for vevent in vcal.vevent_list:
            assert vevent.dtstart.value.time().isoformat() == "09:00:00"
            assert vevent.dtstart.value.astimezone(UTC) == expected[vevent.uid.value]
    feed_lines = unfolded_lines(payloads[2])
    assert "DTSTART;TZID=Europe/Madrid:20270326T090000" in feed_lines
    assert "DTSTART;TZID=Europe/Madrid:20270329T090000" in feed_lines


# --- feed ------------------------------------------------------------------------------------


def test_feed_publishes_events_without_rsvp_or_alarm() -> None:
    agent = Attendee("Agent Pere", "pere@example.org", role="OPT-PARTICIPANT")
    first = replace(CREATE, attendees=(CITIZEN, agent))
    second = replace(CANCEL, uid="second@scheduler", locale="es")
    data = build_feed([first, second], "Agenda, OAC; Pere", datetime(2027, 3, 4, 8, tzinfo=UTC))
    assert_well_formed(data)
    ical, vcal = parse(data)

    assert ical["METHOD"] == "PUBLISH"
    # NAME / X-WR-CALNAME are TEXT, so escaped; icalendar reads them as "unknown" and does not unescape
    assert ical["X-WR-CALNAME"] == ical["NAME"] == "Agenda\\, OAC\\; Pere"
    assert [tz.tz_name for tz in ical.timezones] == ["Europe/Madrid"]
    assert [(str(e["UID"]), e["STATUS"]) for e in ical.events] == [
        (UID, "CONFIRMED"), ("second@scheduler", "CANCELLED"),
    ]
    assert ical.walk("VALARM") == []
    attendees = ical.events[0]["ATTENDEE"]
    assert [a.params.get("RSVP") for a in attendees] == [None, None]
    assert [a.params["ROLE"] for a in attendees] == ["REQ-PARTICIPANT", "OPT-PARTICIPANT"]
    assert ical.events[1]["SUMMARY"] == "Cancelada: Cita por videollamada: Padró municipal — OAC Girona"
    assert "RSVP" not in data.decode() and "VALARM" not in data.decode()

    assert vcal.method.value == "PUBLISH"
    assert vcal.x_wr_calname.value == vcal.contents["name"][0].value == "Agenda, OAC; Pere"
    assert [v.status.value for v in vcal.vevent_list] == ["CONFIRMED", "CANCELLED"]
    assert [v.dtstart.value.astimezone(UTC) for v in vcal.vevent_list] == [CREATE.start, CANCEL.start]
    assert all("valarm" not in v.contents for v in vcal.vevent_list)


def test_feed_has_one_vtimezone_per_zone() -> None:
    canary = replace(CREATE, uid="canary@scheduler", timezone="Atlantic/Canary")
    data = build_feed([CREATE, canary, RESCHEDULE], "Agenda", datetime(2027, 3, 4, 8, tzinfo=UTC))
    ical, vcal = parse(data)
    assert sorted(tz.tz_name for tz in ical.timezones) == ["Atlantic/Canary", "Europe/Madrid"]
    assert ical.get_missing_tzids() == set()
    starts = {v.uid.value: v.dtstart.value for v in vcal.vevent_list}
    assert starts["canary@scheduler"].replace(tzinfo=None) == datetime(2027, 3, 30, 8)  # WEST, UTC+1
    assert starts["canary@scheduler"].astimezone(UTC) == CREATE.start


def test_empty_feed_is_still_a_calendar() -> None:
    ical, vcal = parse(build_feed([], "Agenda", datetime(2027, 3, 4, 8, tzinfo=UTC)))
    assert ical["METHOD"] == "PUBLISH" and ical.events == []
    assert vcal.method.value == "PUBLISH"


# --- injection safety ------------------------------------------------------------------------

EVIL_NAME = "Eve\r\nATTENDEE:mailto:evil@example.com"


def test_name_with_crlf_cannot_inject_an_attendee() -> None:
    event = replace(CREATE, attendees=(Attendee(EVIL_NAME, "eve@example.com"),),
                    organizer=Attendee('Office "X"\nORGANIZER:mailto:evil@example.com', "oac@example.org"))
    for method in ("REQUEST", "CANCEL", "PUBLISH"):
        data = build_invite(event, method, CASES["invite_create.ics"][2])
        assert_well_formed(data)
        lines = unfolded_lines(data)
        assert not any(line.startswith(("ATTENDEE:", "ORGANIZER:")) for line in lines)
        assert sum(line.startswith("ATTENDEE") for line in lines) == 1
        assert sum(line.startswith("ORGANIZER") for line in lines) == 1

        ical, vcal = parse(data)
        [parsed] = ical.events
        attendee = parsed["ATTENDEE"]
        assert not isinstance(attendee, list)
        assert attendee == "mailto:eve@example.com"
        assert attendee.params["CN"] == "Eve ATTENDEE:mailto:evil@example.com"
        assert parsed["ORGANIZER"] == "mailto:oac@example.org"
        assert parsed["ORGANIZER"].params["CN"] == "Office 'X' ORGANIZER:mailto:evil@example.com"
        assert [a.value for a in vcal.vevent.attendee_list] == ["mailto:eve@example.com"]
        assert vcal.vevent.attendee.params["CN"] == ["Eve ATTENDEE:mailto:evil@example.com"]
        assert [o.value for o in vcal.vevent.organizer_list] == ["mailto:oac@example.org"]


def test_parameter_delimiters_in_names_stay_inside_the_cn() -> None:
    name = 'Eve";RSVP=FALSE;X-EVIL="1:mailto:evil@example.com,x'
    event = replace(CREATE, attendees=(Attendee(name, "eve@example.com"),))
    data = build_invite(event, "REQUEST", CASES["invite_create.ics"][2])
    assert_well_formed(data)
    ical, vcal = parse(data)
    attendee = ical.events[0]["ATTENDEE"]
    assert attendee == "mailto:eve@example.com"
    assert attendee.params["CN"] == name.replace('"', "'")
    assert attendee.params["RSVP"] == "TRUE" and "X-EVIL" not in attendee.params
    assert vcal.vevent.attendee.value == "mailto:eve@example.com"
    assert vcal.vevent.attendee.params["RSVP"] == ["TRUE"]


def test_text_values_are_escaped_not_interpreted() -> None:
    service = "Padró\r\nATTENDEE:mailto:evil@example.com;x=1,y:z\\"
    office = "OAC\u2028STATUS:CANCELLED\x0bEND:VEVENT"
    event = replace(CREATE, service_name=service, office_name=office,
                    uid="id\r\nATTENDEE:mailto:evil@example.com\u2029@scheduler")
    data = build_invite(event, "REQUEST", CASES["invite_create.ics"][2])
    assert_well_formed(data)
    lines = unfolded_lines(data)
    assert sum(line.startswith("ATTENDEE") for line in lines) == 1
    assert [line for line in lines if line.startswith("STATUS")] == ["STATUS:CONFIRMED"]
    assert lines.count("END:VEVENT") == 1

    ical, vcal = parse(data)
    [parsed] = ical.events
    expected = "Cita per videotrucada: Padró\nATTENDEE:mailto:evil@example.com;x=1,y:z\\ — OAC STATUS:CANCELLED END:VEVENT"
    assert parsed["SUMMARY"] == expected
    assert parsed["UID"] == "id\nATTENDEE:mailto:evil@example.com @scheduler"
    assert parsed["STATUS"] == "CONFIRMED"
    assert vcal.vevent.summary.value == expected
    assert len(vcal.vevent.attendee_list) == 1


def test_calendar_name_cannot_inject_properties() -> None:
    data = build_feed([CREATE], "Agenda\r\nX-EVIL:1\nMETHOD:REQUEST", datetime(2027, 3, 4, 8, tzinfo=UTC))
    assert_well_formed(data)
    lines = unfolded_lines(data)
    assert [line for line in lines if line.startswith("METHOD")] == ["METHOD:PUBLISH"]
    assert "X-WR-CALNAME:Agenda\\nX-EVIL:1\\nMETHOD:REQUEST" in lines
    assert vobject.readOne(data.decode()).x_wr_calname.value == "Agenda\nX-EVIL:1\nMETHOD:REQUEST"


@pytest.mark.parametrize("email", ["eve@example.com\r\nATTENDEE:mailto:evil@example.com", "eve example@x.org",
                                   "no-at-sign", "a@b@c", "eve@example.com:x", '"eve"@example.com'])
def test_unsafe_email_is_refused(email: str) -> None:
    with pytest.raises(ValueError):
        build_invite(replace(CREATE, attendees=(Attendee("Eve", email),)), "REQUEST", CASES["invite_create.ics"][2])
    with pytest.raises(ValueError):
        build_feed([replace(CREATE, organizer=Attendee("Office", email))], "Agenda", CASES["invite_create.ics"][2])


@pytest.mark.parametrize("url", [VIDEO + "\r\nATTENDEE:mailto:evil@example.com", VIDEO + " x",
                                 "javascript:alert(1)", "ftp://example.org/x", VIDEO + '"'])
def test_unsafe_urls_are_refused(url: str) -> None:
    dtstamp = CASES["invite_create.ics"][2]
    with pytest.raises(ValueError):
        build_invite(replace(CREATE, video_url=url), "REQUEST", dtstamp)
    with pytest.raises(ValueError):
        build_invite(replace(CREATE, manage_url=url), "REQUEST", dtstamp)


# --- contract errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "method"),
    [
        ({}, "REPLY"),
        ({"cancelled": True}, "REQUEST"),
        ({"locale": "fr"}, "REQUEST"),
        ({"sequence": -1}, "REQUEST"),
        ({"alarm_minutes": -5}, "REQUEST"),
        ({"timezone": "Europe/Madrid\r\nX-EVIL:1"}, "REQUEST"),
        ({"timezone": "Mars/Olympus"}, "REQUEST"),
        ({"start": datetime(2027, 3, 30, 9), "end": datetime(2027, 3, 30, 9, 30)}, "REQUEST"),
        ({"end": CREATE.start}, "REQUEST"),
        ({"attendees": (Attendee("Eve", "eve@example.com", role="BOSS"),)}, "REQUEST"),
    ],
)
def test_invalid_input_raises_value_error(change: dict, method: str) -> None:
    with pytest.raises(ValueError):
        build_invite(replace(CREATE, **change), method, CASES["invite_create.ics"][2])


def test_naive_dtstamp_is_refused_and_aware_dtstamp_is_written_in_utc() -> None:
    with pytest.raises(ValueError):
        build_invite(CREATE, "REQUEST", datetime(2027, 3, 1, 10))
    madrid_stamp = datetime(2027, 3, 1, 11, tzinfo=ZoneInfo("Europe/Madrid"))
    assert "DTSTAMP:20270301T100000Z" in unfolded_lines(build_invite(CREATE, "REQUEST", madrid_stamp))
