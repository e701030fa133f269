"""The scheduled sweep, as EventBridge calls it."""
from datetime import UTC, datetime

from tests.api.test_bookings_api import book


def test_the_scheduled_function_sends_due_reminders(client, stack):
    book(client)
    stack.clock = lambda: datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # 24 h before
    result = client.lambda_.invoke("sweep_outbox", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="eu-west-1"))
    assert result.payload == {"sent": 2, "failed": 0, "skipped": 0}
