"""Many citizens click the same slot at once: the agent-day guard lets exactly one win.

Threads call the booking use case (what the route calls) against the locked
emulator, so each DynamoDB request is atomic as in AWS. A naive
check-then-write variant, kept here only, fails the same race.
"""
from __future__ import annotations

import copy
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.bookings import _to_record
from chalicelib.adapters.dynamodb.ledger import to_record
from chalicelib.adapters.dynamodb.models import BookingRecord, LedgerRecord
from chalicelib.scheduling.errors import Conflict
from chalicelib.usecases import booking as usecase
from tests.conftest import drop_stack, new_stack

ROUNDS, RACERS = 100, 50


@pytest.fixture
def single_agent_document(demo_document):
    doc = copy.deepcopy(demo_document)
    doc["services"].append({"id": "single-agent", "name": {k: "Single" for k in ("ca", "es", "en")},
                            "duration_minutes": 15, "step_minutes": 15, "buffer_after_minutes": 5,
                            "horizon_days": 120, "channels": ["video"]})
    doc["agents"][0]["services"].append("single-agent")
    return doc


def request(start: str, service: str, who: str) -> dict:
    digits = f"{abs(hash(who)) % 10**7:07d}"
    return {"service_id": service, "start": start, "channel": "video",
            "citizen": {"name": f"Citizen {who}", "email": f"{who}@example.org", "phone": f"+3461{digits}",
                        "locale": "es"}}


def race(pool: ThreadPoolExecutor, book, start: str, service: str, racers: int, tag: str = "") -> list:
    """``racers`` threads released together on one start; returns their outcomes."""
    barrier = threading.Barrier(racers)

    def one(i: int):
        barrier.wait()
        try:
            return book(request(start, service, f"{tag}t{i}"))
        except Conflict as conflict:
            return conflict

    return list(pool.map(one, range(racers)))


def stored_bookings(office_id: str) -> list[BookingRecord]:
    return [b for b in BookingRecord.scan() if b.pk.startswith("BOOKING#") and b.office_id == office_id]  # test-only


def guarded_book(stack):
    deps = stack.booking_deps()
    return lambda body: usecase.create_booking(deps, "salou-oac", body, None).booking


def naive_book(stack):
    """Check, then write with no condition: what the peers do, and why they double-book."""
    deps = stack.booking_deps()

    def book(body):
        office = deps.offices.get("salou-oac")
        service, start, channel, citizen, notes = usecase._parse_request(office, body)
        now = deps.clock()
        hold, hold_days = usecase.rules.hold_for(office, service, start)
        days = deps.offices.ledger(office.id, hold_days[0], hold_days[-1], consistent=True)
        slot = usecase._slot_at(office, service, start, now, days)
        if slot is None:
            raise Conflict("slot_taken", "taken")
        agent = slot.agent_ids[0]
        booking_id = deps.new_id()
        booking = usecase.Booking(booking_id, office.id, service.id, agent, "confirmed", channel, start, slot.end,
                                  citizen, notes, "0" * 64, None, 0, now, now, hold_days, hold)
        with TransactWrite(connection=BookingRecord._get_connection().connection) as tx:
            tx.save(_to_record(booking, 90))
            for day in usecase._holding(days, office.id, agent, hold_days, booking_id, hold):
                tx.save(to_record(day))
        return booking

    return book


START = "2027-03-23T08:00:00Z"  # Tuesday 09:00 in Madrid: every agent works


def test_fifty_racers_one_agent_exactly_one_wins_every_round(emulator, single_agent_document):
    with ThreadPoolExecutor(RACERS) as pool:
        for n in range(ROUNDS):
            stack = new_stack(emulator, single_agent_document)  # a fresh table: "exactly one" is checkable
            try:
                outcomes = race(pool, guarded_book(stack), START, "single-agent", RACERS, f"r{n}")
                winners = [o for o in outcomes if not isinstance(o, Conflict)]
                assert len(winners) == 1, f"round {n}: {len(winners)} winners"
                assert all(o.reason == "slot_taken" for o in outcomes if isinstance(o, Conflict))
                stored = stored_bookings("salou-oac")
                assert [b.pk for b in stored] == [f"BOOKING#{winners[0].id}"]
                holds = [h for r in LedgerRecord.query(LedgerRecord.partition("salou-oac")) for h in r.entries.split()]
                assert [h.split(":")[0] for h in holds] == [winners[0].id]
            finally:
                drop_stack(emulator, stack)


def test_twenty_racers_seven_agents_exactly_seven_bookings_on_seven_agents(stack):
    with ThreadPoolExecutor(20) as pool:
        outcomes = race(pool, guarded_book(stack), START, "general-information", 20)
    winners = [o for o in outcomes if not isinstance(o, Conflict)]
    assert len(winners) == 7
    assert len({w.agent_id for w in winners}) == 7
    assert len(stored_bookings("salou-oac")) == 7


def test_the_naive_check_then_write_fails_the_same_race(emulator, single_agent_document):
    """Proof that the race test can fail: without the condition, some round has several winners."""
    winners = Counter()
    with ThreadPoolExecutor(RACERS) as pool:
        for n in range(10):
            stack = new_stack(emulator, single_agent_document)
            try:
                outcomes = race(pool, naive_book(stack), START, "single-agent", RACERS, f"r{n}")
                winners[len([o for o in outcomes if not isinstance(o, Conflict)])] += 1
            finally:
                drop_stack(emulator, stack)
    assert any(count > 1 for count in winners), winners
