"""The outbox: sent at once when possible, by the sweep otherwise; once, and never lost."""
from __future__ import annotations

import email
import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy

import pytest

from chalicelib.adapters.notify import LocalCopy
from chalicelib.scheduling.outbox import LEASE, MAX_ATTEMPTS
from chalicelib.usecases import booking as usecase
from chalicelib.usecases.delivery import sweep
from tests.conftest import FIXED_NOW

START = "2027-03-23T08:00:00Z"  # Tuesday 09:00 in Madrid


class Sender:
    """A fake SES or SNS: records what it was asked to send; can fail the first calls."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first, self.calls, self.sent = fail_first, 0, []
        self.lock = threading.Lock()

    def send(self, *args) -> None:
        with self.lock:
            self.calls += 1
            if self.calls <= self.fail_first:
                raise ConnectionError("provider unavailable")
            self.sent.append(args)

    def delivered(self, agents: bool = False) -> list[tuple[str, str]]:
        """What went to citizens (and, with ``agents``, the agents' invites too)."""
        return [(a[-1].booking_id, a[-1].key) for a in self.sent if agents or not a[-1].key.startswith("agent#")]

    def to_citizens(self) -> list:
        return [a for a in self.sent if not a[-1].key.startswith("agent#")]


@pytest.fixture
def senders(stack):
    stack.email, stack.sms = Sender(), Sender()
    return stack


def request(n: int = 0, start: str = START, phone: str | None = None, name: str = "Maria Puig") -> dict:
    return {"service_id": "e-office-assistance", "start": start, "channel": "video",
            "citizen": {"name": name, "email": f"c{n}@example.org", "phone": phone or f"+3461000{n:04d}",
                        "locale": "ca"}}


def book(stack, n: int = 0, **kwargs):
    return usecase.create_booking(stack.booking_deps(), "salou-oac", request(n, **kwargs), None)


def at(stack, instant: datetime) -> None:
    stack.clock = lambda: instant


def pending(stack, booking_id: str) -> dict[str, str]:
    return {r.sk: r.due_at for r in stack.outbox.for_booking(booking_id) if r.status == "pending"}


def test_confirmation_goes_at_once_and_reminders_wait_outside_quiet_hours(senders):
    created = book(senders)
    assert [m[-1].key for m in senders.email.to_citizens()] == ["confirmation#email#0"]
    agent_mail = [m for m in senders.email.sent if m[-1].key.startswith("agent#")]
    assert [m[-1].key for m in agent_mail] == [f"agent#{created.booking.agent_id}#0"]
    assert agent_mail[0][-1].method == "REQUEST" and agent_mail[0][1].endswith("@salou.example")
    assert [m[-1].key for m in senders.sms.sent] == ["confirmation#sms#0"]
    raw = senders.email.sent[0][2]
    parsed = email.message_from_bytes(raw, policy=policy.default)
    inline = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(inline) == 1 and inline[0].get_param("method") == "REQUEST"
    assert [p.get_filename() for p in parsed.walk() if p.get_filename()] == ["invite.ics"]
    assert pending(senders, created.booking.id) == {
        "reminder#0#email": "2027-03-22T08:00:00Z",  # 24 h before: Monday 09:00
        "reminder#0#sms": "2027-03-22T08:00:00Z",
        "reminder#1#sms": "2027-03-22T19:45:00Z",  # 2 h before is 07:00, quiet: Monday 20:45 instead
    }


def test_the_sweep_sends_reminders_when_due_and_only_once(senders):
    created = book(senders)
    at(senders, datetime(2027, 3, 22, 8, 0, tzinfo=UTC))
    assert sweep(senders.delivery()).sent == 2
    assert sweep(senders.delivery()).sent == 0
    at(senders, datetime(2027, 3, 22, 20, 0, tzinfo=UTC))
    assert sweep(senders.delivery()).sent == 1
    assert Counter(senders.email.delivered() + senders.sms.delivered())[(created.booking.id, "reminder#1#sms")] == 1
    assert pending(senders, created.booking.id) == {}


def test_cancelled_bookings_get_no_reminders_and_a_cancel_invite(senders):
    created = book(senders)
    usecase.cancel_booking(senders.booking_deps(), created.booking.id, created.token)
    cancel_mail = senders.email.to_citizens()[-1]
    assert senders.email.sent[-1][-1].key == f"agent#{created.booking.agent_id}#1"
    assert senders.email.sent[-1][-1].method == "CANCEL"
    assert cancel_mail[-1].key == "cancellation#email#1" and cancel_mail[-1].method == "CANCEL"
    assert b"method=CANCEL" in cancel_mail[2] or b'method="CANCEL"' in cancel_mail[2]
    at(senders, datetime(2027, 3, 23, 7, 0, tzinfo=UTC))
    assert sweep(senders.delivery()).sent == 0
    assert pending(senders, created.booking.id) == {}


def test_reminders_move_with_the_booking(senders):
    created = book(senders)
    usecase.reschedule_booking(senders.booking_deps(), created.booking.id, created.token,
                               {"start": "2027-03-25T11:00:00Z"})  # Thursday 12:00
    assert senders.email.to_citizens()[-1][-1].key == "change#email#1"
    assert pending(senders, created.booking.id) == {
        "reminder#0#email": "2027-03-24T11:00:00Z", "reminder#0#sms": "2027-03-24T11:00:00Z",
        "reminder#1#sms": "2027-03-25T09:00:00Z"}


def test_ten_sweeps_at_once_send_each_message_once(senders):
    deps = senders.booking_deps()
    deps.deliver = None  # nothing at once: everything waits for the sweeps
    for n in range(5):
        usecase.create_booking(deps, "salou-oac", request(n, start=f"2027-03-23T{8 + n:02d}:00:00Z"), None)
    at(senders, datetime(2027, 3, 23, 7, 0, tzinfo=UTC))
    due = {(m.booking_id, m.key) for m in senders.outbox.due(senders.now(), limit=100)}
    assert len(due) == 27  # 5 x (confirmation e-mail + SMS + agent invite, 24 h e-mail + SMS) + two 2 h SMS
    barrier = threading.Barrier(10)

    def one() -> None:
        barrier.wait()
        sweep(senders.delivery())

    threads = [threading.Thread(target=one) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = Counter(senders.email.delivered() + senders.sms.delivered())
    assert set(sent) == {d for d in due if not d[1].startswith("agent#")} and set(sent.values()) == {1}
    assert len(senders.email.sent) + len(senders.sms.sent) == len(due)


def test_a_crash_between_claim_and_send_is_sent_after_the_lease(senders):
    deps = senders.booking_deps()
    deps.deliver = None
    created = usecase.create_booking(deps, "salou-oac", request(), None)
    message = next(m for m in senders.outbox.due(FIXED_NOW) if m.key == "confirmation#email#0")
    assert senders.outbox.claim(message, FIXED_NOW, "crashed-sender") is not None  # ... and then it died
    at(senders, FIXED_NOW + LEASE - timedelta(seconds=1))
    sweep(senders.delivery())
    assert (created.booking.id, "confirmation#email#0") not in senders.email.delivered()
    at(senders, FIXED_NOW + LEASE + timedelta(seconds=1))
    sweep(senders.delivery())
    assert senders.email.delivered().count((created.booking.id, "confirmation#email#0")) == 1


def test_provider_failures_are_retried_with_backoff_and_the_booking_is_unaffected(stack):
    stack.email, stack.sms = Sender(fail_first=2), Sender(fail_first=2)
    created = book(stack)  # the immediate attempt fails for both
    assert created.booking.status == "confirmed"
    assert stack.email.sent == [] and stack.sms.sent == []
    at(stack, FIXED_NOW + timedelta(seconds=30))
    assert sweep(stack.delivery()).sent == 0  # not yet: backoff
    at(stack, FIXED_NOW + timedelta(minutes=1, seconds=1))
    sweep(stack.delivery())  # second attempt fails too
    at(stack, FIXED_NOW + timedelta(minutes=4))
    sweep(stack.delivery())
    assert stack.email.delivered() == [(created.booking.id, "confirmation#email#0")]
    assert stack.email.delivered(agents=True).count((created.booking.id, f"agent#{created.booking.agent_id}#0")) == 1
    assert stack.sms.delivered() == [(created.booking.id, "confirmation#sms#0")]
    again = usecase.get_booking(stack.booking_deps(), created.booking.id, created.token)[0]
    assert again.status == "confirmed" and again.sequence == 0


def book_and_fail_every_email(stack):
    """A booking whose e-mails fail at every attempt, swept until they run out of attempts."""
    stack.email, stack.sms = Sender(fail_first=100), Sender()
    created = book(stack)
    for minute in range(1, 200, 3):
        at(stack, FIXED_NOW + timedelta(minutes=minute))
        sweep(stack.delivery())
    return created


def test_after_the_last_attempt_a_message_is_parked_where_operators_see_it(stack):
    created = book_and_fail_every_email(stack)
    failures = [f for f in stack.outbox.failures() if f["booking_id"] == created.booking.id]
    assert [f["kind"] for f in failures] == ["confirmation", "confirmation"]  # the citizen's and the agent's
    assert all(f["attempts"] == MAX_ATTEMPTS for f in failures)
    assert "maria" not in str(failures).lower()


def test_sms_only_to_allowed_countries(senders):
    book(senders, phone="+33612345678")  # a French mobile: e-mail yes, SMS no
    assert len(senders.email.to_citizens()) == 1 and senders.sms.sent == []


@pytest.mark.parametrize(("deployment", "texted"), [(("ES",), False), (("ES", "FR"), True)])
def test_the_deployment_list_narrows_the_office_list(senders, demo_document, deployment, texted):
    demo_document["messages"]["sms_allowed_countries"] = ["ES", "FR"]
    senders.offices.put(demo_document, FIXED_NOW)
    senders.settings = replace(senders.settings, sms_allowed_countries=deployment)
    book(senders, phone="+33612345678")
    assert len(senders.email.to_citizens()) == 1 and bool(senders.sms.sent) == texted


def test_at_most_k_sms_per_booking(senders):
    created = book(senders)  # confirmation + 2 reminder SMS = 3 of 6
    deps = senders.booking_deps()
    usecase.reschedule_booking(deps, created.booking.id, created.token, {"start": "2027-03-24T08:00:00Z"})  # 6
    usecase.reschedule_booking(deps, created.booking.id, created.token, {"start": "2027-03-25T08:00:00Z"})
    records = senders.outbox.for_booking(created.booking.id)
    assert not any(r.sk == "change#sms#2" for r in records)
    assert any(r.sk == "change#email#2" for r in records)
    assert len(senders.sms.sent) <= 6


def test_an_idempotent_replay_sends_nothing_twice(senders):
    deps = senders.booking_deps()
    usecase.create_booking(deps, "salou-oac", request(), "same-key")
    usecase.create_booking(deps, "salou-oac", request(), "same-key")
    assert len(senders.email.to_citizens()) == 1 and len(senders.sms.sent) == 1


def test_through_the_emulator_ses_and_sns_with_a_local_copy(stack, tmp_path):
    stack.email, stack.sms = LocalCopy(stack.email, tmp_path), LocalCopy(stack.sms, tmp_path)
    created = book(stack, name="Eve <b>Bold</b>")
    mails = [m for m in tmp_path.glob("*.eml") if ".agent." not in m.name]
    assert len(mails) == 1 and len(list(tmp_path.glob("*.agent.*.eml"))) == 1
    parsed = email.message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html
    assert created.booking.id in (tmp_path / "sms.jsonl").read_text(encoding="utf-8")
    assert [r.status for r in stack.outbox.for_booking(created.booking.id) if r.sk.startswith("confirmation")] == [
        "sent", "sent"]


def test_a_reminder_found_after_the_appointment_began_is_dropped(senders):
    deps = senders.booking_deps()
    deps.deliver = None
    usecase.create_booking(deps, "salou-oac", request(), None)
    at(senders, datetime(2027, 3, 23, 9, 0, tzinfo=UTC))  # the sweep was down until after the appointment
    sweep(senders.delivery())
    assert [k for _, k in senders.sms.delivered()] == ["confirmation#sms#0"]
    assert [k for _, k in senders.email.delivered()] == ["confirmation#email#0"]


def test_an_sms_of_a_removed_office_is_parked_and_the_sweep_goes_on(senders):
    from chalicelib.adapters.dynamodb.models import OfficeRecord

    deps = senders.booking_deps()
    deps.deliver = None  # everything waits for the sweep
    created = usecase.create_booking(deps, "salou-oac", request(), None)
    OfficeRecord(*OfficeRecord.key("salou-oac")).delete()  # the office is taken out of service
    sweep(senders.delivery())  # does not raise
    assert (created.booking.id, "confirmation#email#0") in senders.email.delivered() and senders.sms.sent == []
    parked = [f for f in senders.outbox.failures() if f["channel"] == "sms"]
    assert len(parked) == 1 and parked[0]["error"].startswith("UnknownOffice")


def test_failed_messages_show_in_the_staff_agenda(stack):
    from chalicelib.scheduling.staff import Principal
    from chalicelib.usecases import staff as staff_usecase

    created = book_and_fail_every_email(stack)
    boss = Principal("salou-oac", "boss", "supervisor")
    warnings = staff_usecase.agenda(stack.staff_deps(), boss, None, None, None).warnings
    failed = [w for w in warnings if w["kind"] == "message_failed"]
    assert {w["booking_id"] for w in failed} == {created.booking.id} and {w["channel"] for w in failed} == {"email"}
