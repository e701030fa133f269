"""What the table holds after a booking: keys, retention, no personal data outside the booking."""
from __future__ import annotations

from datetime import timedelta

import boto3

from chalicelib.adapters.dynamodb.models import BookingRecord, CitizenRecord, IdempotencyRecord, Record
from chalicelib.adapters.dynamodb.table import TABLE, TTL_ATTRIBUTE
from chalicelib.usecases import booking

REQUEST = {"service_id": "e-office-assistance", "start": "2027-03-23T08:00:00Z", "channel": "video",
           "citizen": {"name": "Maria Puig", "email": "maria@example.org", "phone": "977309200", "locale": "ca"}}


def test_booking_records_expire_after_the_office_retention(stack):
    created = booking.create_booking(stack.booking_deps(), "salou-oac", REQUEST, "key-1")
    record = BookingRecord.get(*BookingRecord.key(created.booking.id))
    expected = created.booking.end + timedelta(days=90)
    assert record.expires_at == int(expected.timestamp())
    idempotency = [r for r in IdempotencyRecord.scan() if r.pk.startswith("IDEMPOTENCY#")]
    assert idempotency and idempotency[0].expires_at == int((stack.now() + timedelta(hours=24)).timestamp())
    citizens = [r for r in CitizenRecord.scan() if "#CITIZEN#" in r.pk]
    assert len(citizens) == 2 and all(c.expires_at == int(expected.timestamp()) for c in citizens)


def test_the_table_has_ttl_on_and_the_defined_indexes(stack):
    client = boto3.client("dynamodb", endpoint_url=stack.settings.aws_endpoint, region_name="eu-west-1")
    name = stack.settings.table_name
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED" and ttl["AttributeName"] == TTL_ATTRIBUTE
    indexes = {i["IndexName"] for i in client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]}
    assert indexes == {i["IndexName"] for i in TABLE["GlobalSecondaryIndexes"]}


def test_models_declare_the_keys_and_indexes_of_the_one_definition():
    declared = {i["IndexName"]: i["KeySchema"] for i in TABLE["GlobalSecondaryIndexes"]}
    types = {a["AttributeName"]: a["AttributeType"] for a in TABLE["AttributeDefinitions"]}
    for model in Record.__subclasses__():
        schema = model._get_schema()
        assert sorted(schema["key_schema"], key=str) == sorted(TABLE["KeySchema"], key=str)
        for index in schema["global_secondary_indexes"]:
            assert sorted(index["key_schema"], key=str) == sorted(declared[index["index_name"]], key=str)
        for attribute in schema["attribute_definitions"]:
            assert types[attribute["AttributeName"]] == attribute["AttributeType"]
    assert {i["index_name"] for i in BookingRecord._get_schema()["global_secondary_indexes"]} == {"gsi1", "gsi2"}


def raw_items(stack) -> list[dict]:
    client = boto3.client("dynamodb", endpoint_url=stack.settings.aws_endpoint, region_name="eu-west-1")
    return client.scan(TableName=stack.settings.table_name)["Items"]  # test-only full read


def test_personal_data_is_only_in_the_booking_and_in_messages_not_yet_sent(stack):
    created = booking.create_booking(stack.booking_deps(), "salou-oac", REQUEST, "key-2")
    for item in raw_items(stack):
        text = str(item)
        holds_personal_data = any(s in text for s in ("Maria", "maria@example.org", "977309200"))
        kind = item["pk"]["S"].split("#")[0]
        if kind == "OUTBOX":
            assert holds_personal_data == (item["status"]["S"] != "sent"), item["sk"]
        else:
            assert holds_personal_data == (kind == "BOOKING"), item["pk"]
    assert any(i["pk"]["S"] == f"OUTBOX#{created.booking.id}" and i["status"]["S"] == "sent" for i in raw_items(stack))
