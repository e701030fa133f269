"""The availability engine, with fixed clocks and explicit zones."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.scheduling.availability import find_slots, rank_agents
from chalicelib.scheduling.holidays import closed_dates
from chalicelib.scheduling.model import (
    Absence,
    Agent,
    Contact,
    HolidayRules,
    Office,
    Service,
    Slot,
    WeeklyHours,
)

MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS_9_TO_14 = WeeklyHours({d: ((540, 840),) for d in range(5)})


def office(hours=WEEKDAYS_9_TO_14, zone="Europe/Madrid", agents=None, services=None, local=frozenset()):
    service = Service("svc", {"en": "Service"}, duration_minutes=30, step_minutes=30)
    services = services or {"svc": service}
    agents = agents or {"a1": Agent("a1", "Ann", "a1@x", frozenset(services))}
    return Office(
        id="o", names={"en": "Office"}, timezone=zone, locales=("en",), contact=Contact("o@x", "+34977000000"),
        hours=hours, holidays=HolidayRules("ES", "CT", frozenset(local)), services=services, agents=agents,
    )


def slots(o: Office, first: date, last: date, now: datetime, busy=None, service_id="svc") -> list[Slot]:
    return find_slots(o, o.services[service_id], first, last, now,
                      closed_dates(o.holidays, first, last), busy or {})


def local_times(found: list[Slot], zone=MADRID) -> list[str]:
    return [s.start.astimezone(zone).strftime("%Y-%m-%d %H:%M") for s in found]


EARLY_2027 = datetime(2027, 3, 1, 8, tzinfo=UTC)


def test_nine_local_is_eight_utc_before_spring_forward_and_seven_after():
    o = office()
    friday = slots(o, date(2027, 3, 19), date(2027, 3, 19), EARLY_2027)
    tuesday = slots(o, date(2027, 3, 30), date(2027, 3, 30), EARLY_2027)
    assert friday[0].start == datetime(2027, 3, 19, 8, tzinfo=UTC)
    assert tuesday[0].start == datetime(2027, 3, 30, 7, tzinfo=UTC)
    assert local_times(friday)[0].endswith("09:00") and local_times(tuesday)[0].endswith("09:00")


def test_nine_local_is_seven_utc_before_fall_back_and_eight_after():
    o = office()
    before = slots(o, date(2027, 10, 29), date(2027, 10, 29), datetime(2027, 9, 1, tzinfo=UTC))
    after = slots(o, date(2027, 11, 2), date(2027, 11, 2), datetime(2027, 9, 1, tzinfo=UTC))
    assert before[0].start == datetime(2027, 10, 29, 7, tzinfo=UTC)
    assert after[0].start == datetime(2027, 11, 2, 8, tzinfo=UTC)


def test_a_night_range_on_spring_forward_day_skips_the_missing_hour():
    # 2027-03-28: 02:00 local jumps to 03:00. A Sunday 01:00-04:00 range is two real hours.
    o = office(hours=WeeklyHours({6: ((60, 240),)}))
    found = slots(o, date(2027, 3, 28), date(2027, 3, 28), EARLY_2027)
    assert local_times(found) == ["2027-03-28 01:00", "2027-03-28 01:30", "2027-03-28 03:00", "2027-03-28 03:30"]
    assert all((s.end - s.start).total_seconds() == 1800 for s in found)


def test_a_night_range_on_fall_back_day_offers_the_repeated_hour_twice():
    # 2027-10-31: 03:00 local goes back to 02:00, so 02:00 and 02:30 happen twice.
    o = office(hours=WeeklyHours({6: ((120, 180),)}))
    found = slots(o, date(2027, 10, 31), date(2027, 10, 31), datetime(2027, 9, 1, tzinfo=UTC))
    assert [s.start for s in found] == [
        datetime(2027, 10, 31, 0, 0, tzinfo=UTC), datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
        datetime(2027, 10, 31, 1, 0, tzinfo=UTC), datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
    ]


def test_half_hour_offset_zone():
    o = office(zone="Asia/Kolkata")
    found = slots(o, date(2027, 3, 22), date(2027, 3, 22), EARLY_2027)
    assert found[0].start == datetime(2027, 3, 22, 3, 30, tzinfo=UTC)  # 09:00 IST = 03:30Z
    assert found[-1].start == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # 13:30 IST


@pytest.mark.parametrize(("day", "why"), [
    (date(2027, 3, 26), "Good Friday, national"),
    (date(2027, 3, 29), "Easter Monday, Catalonia only"),
    (date(2027, 9, 27), "a local holiday from the office's file"),
])
def test_holidays_have_no_slots(day, why):
    o = office(local={date(2027, 9, 27)})
    assert slots(o, day, day, EARLY_2027) == [], why


def test_easter_monday_is_open_outside_catalonia():
    o = office()
    madrid = Office(**{**o.__dict__, "holidays": HolidayRules("ES", "MD")})
    assert slots(madrid, date(2027, 3, 29), date(2027, 3, 29), EARLY_2027)


def test_a_thirty_minute_service_does_not_fit_in_the_last_fifteen_minutes():
    o = office(hours=WeeklyHours({0: ((540, 645),)}))  # Monday 09:00-10:45
    found = slots(o, date(2027, 3, 22), date(2027, 3, 22), EARLY_2027)
    assert local_times(found) == ["2027-03-22 09:00", "2027-03-22 09:30", "2027-03-22 10:00"]


def test_buffers_keep_room_around_existing_bookings_and_at_the_end_of_the_day():
    service = Service("svc", {"en": "S"}, duration_minutes=30, step_minutes=15,
                      buffer_before_minutes=15, buffer_after_minutes=15)
    o = office(services={"svc": service}, hours=WeeklyHours({0: ((540, 720),)}))  # 09:00-12:00
    booked = datetime(2027, 3, 22, 10, 0, tzinfo=MADRID)
    hold = (int(booked.timestamp()) - 900, int(booked.timestamp()) + 1800 + 900)  # 09:45-10:45
    found = local_times(slots(o, date(2027, 3, 22), date(2027, 3, 22), EARLY_2027, {"a1": [hold]}))
    # 09:00 would need 08:45 (before opening); 09:15 needs 09:00-10:00, which meets the hold;
    # 11:30 ends at 12:00 but its buffer runs to 12:15, after closing.
    assert found == ["2027-03-22 11:00", "2027-03-22 11:15"]


def test_an_agent_absent_for_part_of_a_day_leaves_the_rest_of_the_day():
    agent = Agent("a1", "Ann", "a@x", frozenset({"svc"}),
                  absences=(Absence(datetime(2027, 3, 22, 10, 0), datetime(2027, 3, 22, 12, 0)),))
    o = office(agents={"a1": agent})
    found = local_times(slots(o, date(2027, 3, 22), date(2027, 3, 22), EARLY_2027))
    assert found == ["2027-03-22 09:00", "2027-03-22 09:30", "2027-03-22 12:00",
                     "2027-03-22 12:30", "2027-03-22 13:00", "2027-03-22 13:30"]


def test_a_slot_stays_open_while_another_qualified_agent_is_free():
    agents = {
        "a1": Agent("a1", "Ann", "a@x", frozenset({"svc"})),
        "a2": Agent("a2", "Bob", "b@x", frozenset({"svc"})),
        "a3": Agent("a3", "Cy", "c@x", frozenset()),  # not qualified
    }
    o = office(agents=agents)
    start = datetime(2027, 3, 22, 9, 0, tzinfo=MADRID)
    hold = (int(start.timestamp()), int(start.timestamp()) + 1800)
    found = slots(o, date(2027, 3, 22), date(2027, 3, 22), EARLY_2027, {"a1": [hold]})
    assert found[0].start == start and found[0].agent_ids == ("a2",)
    both = slots(o, date(2027, 3, 22), date(2027, 3, 22), EARLY_2027, {"a1": [hold], "a2": [hold]})
    assert both[0].start.astimezone(MADRID).hour == 9 and both[0].start.astimezone(MADRID).minute == 30


def test_agent_hours_narrow_the_office_hours():
    agent = Agent("a1", "Ann", "a@x", frozenset({"svc"}), hours=WeeklyHours({0: ((600, 720),)}))
    o = office(agents={"a1": agent})
    assert local_times(slots(o, date(2027, 3, 22), date(2027, 3, 23), EARLY_2027)) == [
        "2027-03-22 10:00", "2027-03-22 10:30", "2027-03-22 11:00", "2027-03-22 11:30"]


def test_a_date_exception_replaces_the_weekday():
    hours = WeeklyHours(WEEKDAYS_9_TO_14.days, {date(2027, 3, 22): ((600, 660),), date(2027, 3, 23): ()})
    o = office(hours=hours)
    assert local_times(slots(o, date(2027, 3, 22), date(2027, 3, 23), EARLY_2027)) == [
        "2027-03-22 10:00", "2027-03-22 10:30"]


def test_minimum_notice_crossing_midnight():
    service = Service("svc", {"en": "S"}, duration_minutes=30, step_minutes=30, min_notice_minutes=12 * 60)
    o = office(services={"svc": service})
    now = datetime(2027, 3, 22, 22, 30, tzinfo=MADRID)  # Monday night; notice reaches Tuesday 10:30
    found = local_times(slots(o, date(2027, 3, 22), date(2027, 3, 23), now))
    assert found[0] == "2027-03-23 10:30"
    assert "2027-03-23 10:00" not in found


def test_the_horizon_last_day_is_bookable_and_the_next_is_not():
    service = Service("svc", {"en": "S"}, duration_minutes=30, step_minutes=30, horizon_days=10)
    o = office(services={"svc": service})
    now = datetime(2027, 3, 12, 8, tzinfo=UTC)  # Friday; horizon ends Monday 22nd
    found = slots(o, date(2027, 3, 12), date(2027, 3, 24), now)
    days = sorted({s.start.astimezone(MADRID).date() for s in found})
    assert days[-1] == date(2027, 3, 22)


def test_no_slots_in_the_past():
    o = office()
    now = datetime(2027, 3, 22, 11, 10, tzinfo=MADRID)
    assert local_times(slots(o, date(2027, 3, 20), date(2027, 3, 22), now))[0] == "2027-03-22 11:30"


def test_ties_rotate_and_the_least_loaded_agent_comes_first():
    slot = Slot(datetime(2027, 3, 22, 8, tzinfo=UTC), datetime(2027, 3, 22, 8, 30, tzinfo=UTC), ("a", "b", "c"))
    order = ("a", "b", "c")
    assert rank_agents(slot, order, {"a": 2, "b": 0, "c": 1})[0] == "b"
    firsts = {
        rank_agents(Slot(datetime(2027, 3, 22, 8, m, tzinfo=UTC), slot.end, order), order, {})[0] for m in range(3)
    }
    assert len(firsts) > 1  # equal agents do not always get the first pick


def test_cached_public_holidays_match_the_package_and_fall_back_outside_their_years():
    from chalicelib.scheduling.holidays import with_public_dates

    rules = HolidayRules("ES", "CT", frozenset({date(2027, 9, 27)}))
    cached = with_public_dates(rules, 2027, 2028)
    for first, last in ((date(2027, 1, 1), date(2028, 12, 31)), (date(2029, 1, 1), date(2029, 12, 31))):
        assert closed_dates(cached, first, last) == closed_dates(rules, first, last)
    assert date(2029, 4, 2) in closed_dates(cached, date(2029, 1, 1), date(2029, 12, 31))  # Easter Monday 2029


def test_the_grid_starts_where_the_opening_range_starts():
    service = Service("svc", {"en": "S"}, duration_minutes=20, step_minutes=20)
    o = office(services={"svc": service}, hours=WeeklyHours({0: ((510, 600), (970, 1030))}))  # 08:30, 16:10
    assert local_times(slots(o, date(2027, 3, 22), date(2027, 3, 22), EARLY_2027)) == [
        "2027-03-22 08:30", "2027-03-22 08:50", "2027-03-22 09:10", "2027-03-22 09:30",
        "2027-03-22 16:10", "2027-03-22 16:30", "2027-03-22 16:50"]
