"""PynamoDB models on the single table. Key builders live here, once.

``configure`` points every model at a table and endpoint; PynamoDB caches a
connection per model class, so it also drops those caches.
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


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


def configure(table_name: str, region: str, host: str | None) -> None:
    _Meta.table_name = table_name
    _Meta.region = region
    _Meta.host = host
    for model in (Record, *Record.__subclasses__()):
        model._connection = None
