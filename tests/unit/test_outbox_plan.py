"""Which messages a change plans, and when reminders fall."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.scheduling.model import MessagingPolicy, Reminder
from chalicelib.scheduling.outbox import plan_messages, reminder_due, retry_at

MADRID = ZoneInfo("Europe/Madrid")
POLICY = MessagingPolicy()


def local(*args) -> datetime:
    return datetime(*args, tzinfo=MADRID)


@pytest.mark.parametrize(("start", "before", "expected"), [
    (local(2027, 3, 23, 12, 0), 60, local(2027, 3, 23, 11, 0)),  # daytime: as asked
    (local(2027, 3, 23, 9, 0), 120, local(2027, 3, 22, 20, 45)),  # 07:00 is quiet: the evening before
    (local(2027, 3, 23, 23, 30), 60, local(2027, 3, 23, 20, 45)),  # 22:30 is quiet: earlier that evening
    (local(2027, 3, 23, 9, 0), 24 * 60, local(2027, 3, 22, 9, 0)),  # 09:00 is no longer quiet
    (local(2027, 3, 23, 21, 0), 0, local(2027, 3, 23, 20, 45)),  # 21:00 is quiet
])
def test_reminders_leave_quiet_hours_earlier_never_later(start, before, expected):
    due = reminder_due(start, timedelta(minutes=before), MADRID, POLICY)
    assert due == expected and due <= start - timedelta(minutes=before)


def test_quiet_hours_across_the_spring_forward_night():
    due = reminder_due(local(2027, 3, 28, 10, 0), timedelta(hours=8), MADRID, POLICY)  # 02:00 does not exist
    assert due == local(2027, 3, 27, 20, 45)


def plan(kind="confirmation", start=None, now=None, country="ES", sms_used=0, policy=POLICY,
         reminders=POLICY.reminders):
    start, now = start or local(2027, 3, 23, 9, 0), now or local(2027, 3, 1, 9, 0)
    return plan_messages(kind=kind, office_id="o", booking_id="b", sequence=0, start=start.astimezone(UTC),
                         timezone="Europe/Madrid", email="e@x.org", phone="+34610000000", phone_country=country,
                         name="N", facts={}, invite="ICS", reminders=reminders, policy=policy, sms_used=sms_used,
                         now=now.astimezone(UTC))


def test_a_confirmation_plans_email_and_sms_now_and_the_default_reminders():
    planned = plan()
    assert [(m.key, m.channel) for m in planned.put] == [
        ("confirmation#email#0", "email"), ("confirmation#sms#0", "sms"),
        ("reminder#0#email", "email"), ("reminder#0#sms", "sms"), ("reminder#1#sms", "sms")]
    assert planned.sms_used == 3 and planned.put[0].invite == "ICS" and planned.put[1].invite is None
    assert planned.put[0].method == "REQUEST"


def test_reminders_already_past_are_not_planned_and_are_deleted():
    planned = plan(now=local(2027, 3, 23, 8, 0))  # booked an hour before
    assert [m.key for m in planned.put] == ["confirmation#email#0", "confirmation#sms#0"]
    assert set(planned.delete) == {"reminder#0#email", "reminder#0#sms", "reminder#1#sms"}


def test_a_cancellation_deletes_every_reminder_and_cancels_the_invite():
    planned = plan(kind="cancellation")
    assert [m.key for m in planned.put] == ["cancellation#email#0", "cancellation#sms#0"]
    assert planned.put[0].method == "CANCEL"
    assert set(planned.delete) == {"reminder#0#email", "reminder#0#sms", "reminder#1#sms"}


def test_no_sms_outside_the_allowed_countries_and_none_past_the_cap():
    assert all(m.channel == "email" for m in plan(country="FR").put)
    capped = plan(sms_used=5)
    assert [m.key for m in capped.put if m.channel == "sms"] == ["confirmation#sms#0"] and capped.sms_used == 6


def test_a_service_may_have_its_own_reminders():
    planned = plan(reminders=(Reminder(48 * 60, ("email",)),))
    assert [m.key for m in planned.put if m.kind == "reminder"] == ["reminder#0#email"]


def test_backoff_doubles():
    now = local(2027, 1, 1, 10, 0)
    assert [retry_at(now, n) - now for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_reminder_emails_carry_no_invite():
    reminder = next(m for m in plan().put if m.key == "reminder#0#email")
    assert reminder.invite is None and reminder.method is None
