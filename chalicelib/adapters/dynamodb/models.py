"""PynamoDB models on the single table. Key builders live here, once.

``configure`` points every model at a table and endpoint; PynamoDB caches a
connection per model class, so it also drops those caches.
"""
from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.connection import Connection
from pynamodb.connection.base import MetaTable
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .table import TABLE


class _Meta:
    table_name = "scheduler"
    region = "eu-west-1"
    host: str | None = None
    max_pool_connections = 50
    connect_timeout_seconds = 5
    read_timeout_seconds = 10


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


def iso(instant: datetime) -> str:
    """How every stored instant is written: UTC, to the second, with ``Z`` (sort keys compare as text)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Record(Model):
    Meta = _Meta
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class OfficeRecord(Record):
    """The office's validated configuration document (JSON)."""

    document = UnicodeAttribute()
    public_holidays = UnicodeAttribute(null=True)  # "FIRST-LAST:YYYY-MM-DD,..." from the holidays package
    version = NumberAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(office_id: str) -> tuple[str, str]:
        return f"OFFICE#{office_id}", "CONFIG"


class OfficeListRecord(Record):
    """One item per office under a single key, so the scheduled jobs can list offices without a Scan."""

    @staticmethod
    def key(office_id: str) -> tuple[str, str]:
        return "OFFICES", office_id


class LedgerRecord(Record):
    """What holds one agent on one local date: ``id:start-end`` entries in epoch
    minutes, space-separated (compact, so a month reads in one small Query).

    It is also the double-booking guard: every change writes it with a
    condition on ``version``, so of two racing writers one fails.
    """

    entries = UnicodeAttribute(default="")
    version = NumberAttribute(default=0)

    @staticmethod
    def partition(office_id: str) -> str:
        return f"OFFICE#{office_id}#LEDGER"

    @staticmethod
    def sort(day: str, agent_id: str) -> str:
        return f"{day}#{agent_id}"


class BookingRecord(Record):
    """A booking. Personal data lives here only, and expires (TTL) after the retention period."""

    office_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    status = UnicodeAttribute()
    channel = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    citizen_name = UnicodeAttribute()
    citizen_email = UnicodeAttribute()
    citizen_phone = UnicodeAttribute()
    locale = UnicodeAttribute()
    notes = UnicodeAttribute(null=True)
    token_hash = UnicodeAttribute()
    video_room = UnicodeAttribute(null=True)
    sequence = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    hold = UnicodeAttribute()  # "start-end" epoch seconds, buffers included
    hold_days = UnicodeAttribute()  # local dates of the ledger items holding it, space-separated
    sms_used = NumberAttribute(default=0)
    expires_at = NumberAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_agent = Gsi1()
    by_office = Gsi2()

    @staticmethod
    def key(booking_id: str) -> tuple[str, str]:
        return f"BOOKING#{booking_id}", "BOOKING"


class CitizenRecord(Record):
    """A citizen's active bookings at one office (key: a hash of the e-mail or phone).

    ``active`` holds booking ids; the booking transaction adds to it on the
    condition that fewer than N are held, which stops slot hoarding without a
    read on the happy path. Ids of past or cancelled bookings are pruned when
    the condition fails.
    """

    active = UnicodeSetAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    @staticmethod
    def key(office_id: str, digest: str) -> tuple[str, str]:
        return f"OFFICE#{office_id}#CITIZEN#{digest}", "ACTIVE"


class IdempotencyRecord(Record):
    """A create request's key: the request's hash and the response it got, for 24 hours."""

    request_hash = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    response = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(office_id: str, key: str) -> tuple[str, str]:
        return f"IDEMPOTENCY#{office_id}#{key}", "IDEMPOTENCY"


_shared: Connection | None = None


def configure(table_name: str, region: str, host: str | None) -> None:
    """Point every model at the table, through one shared connection.

    PynamoDB builds a botocore client per model class (about 0.1 s each, and
    racing threads each build their own); one client serves them all.
    """
    global _shared
    _Meta.table_name = table_name
    _Meta.region = region
    _Meta.host = host
    _shared = Connection(region=region, host=host, max_pool_connections=_Meta.max_pool_connections,
                         connect_timeout_seconds=_Meta.connect_timeout_seconds,
                         read_timeout_seconds=_Meta.read_timeout_seconds)
    _shared.client  # noqa: B018 - build it now, once, before any thread races for it
    _shared.add_meta_table(MetaTable({"TableName": table_name, **TABLE}))  # every index, from the one definition
    for model in (Record, *Record.__subclasses__()):
        model._connection = None
        model._get_connection().connection = _shared


def shared_connection() -> Connection:
    if _shared is None:
        configure(_Meta.table_name, _Meta.region, _Meta.host)
    assert _shared is not None
    return _shared


class OutboxRecord(Record):
    """A message to send. While waiting it carries ``due_pk``/``due_at`` (the sparse ``due``
    index); once sent they go, and so do the recipient and the contents."""

    office_id = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    due_pk = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    claim = UnicodeAttribute(null=True)
    recipient = UnicodeAttribute(null=True)
    recipient_name = UnicodeAttribute(null=True)
    facts = UnicodeAttribute(null=True)
    invite = UnicodeAttribute(null=True)
    method = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()
    due = DueIndex()

    @staticmethod
    def key(booking_id: str, message_key: str) -> tuple[str, str]:
        return f"OUTBOX#{booking_id}", message_key


class AbsenceRecord(Record):
    """A staff-declared absence; its hold sits in the agent's ledger items as ``A-<id>``."""

    agent_id = UnicodeAttribute()
    start = NumberAttribute()  # epoch seconds
    end = NumberAttribute()
    hold_days = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def partition(office_id: str) -> str:
        return f"OFFICE#{office_id}#ABSENCE"


class FeedRecord(Record):
    """The hash of a calendar feed's secret token (``sk``: an agent id, or ``*office``)."""

    token_hash = UnicodeAttribute()
    rotated_at = UnicodeAttribute()

    @staticmethod
    def key(office_id: str, owner: str) -> tuple[str, str]:
        return f"OFFICE#{office_id}#FEED", owner


class SyncRecord(Record):
    """An agent's busy-calendar import: what it last held, and how the last fetch went."""

    days = UnicodeAttribute(default="")  # local dates holding imported busy time, space-separated
    last_success = UnicodeAttribute(null=True)
    last_attempt = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)

    @staticmethod
    def key(office_id: str, agent_id: str) -> tuple[str, str]:
        return f"OFFICE#{office_id}#SYNC", agent_id


class LimitRecord(Record):
    """A fixed-window counter (``pk``: what is limited and a hash of who; ``sk``: the window)."""

    count = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @staticmethod
    def key(scope: str, subject: str, window: str) -> tuple[str, str]:
        return f"LIMIT#{scope}#{subject}", window
