"""Shared fixtures: one locked emulator per test run, a fresh table per test."""
from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import yaml

from chalicelib import bootstrap, settings
from chalicelib.adapters.dynamodb.table import create_table
from devstack.emulator import FAKE_CREDENTIALS, EmulatorProcess

ROOT = Path(__file__).resolve().parent.parent
DEMO_OFFICE = ROOT / "config" / "offices" / "salou-oac.yaml"
FIXED_NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
_tables = itertools.count()


@pytest.fixture(scope="session")
def emulator():
    os.environ.update({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"})
    with EmulatorProcess() as emu:
        yield emu


@pytest.fixture
def demo_document() -> dict:
    return yaml.safe_load(DEMO_OFFICE.read_text(encoding="utf-8"))


def new_stack(emulator, document: dict) -> bootstrap.Container:
    """A container on a new table with ``document`` loaded and the clock at FIXED_NOW."""
    table = f"test-{os.getpid()}-{next(_tables)}"
    create_table(boto3.client("dynamodb", endpoint_url=emulator.url, region_name="eu-west-1"), table)
    config = settings.load({"SCHEDULER_STAGE": "test", "SCHEDULER_TABLE": table,
                            "SCHEDULER_AWS_ENDPOINT": emulator.url, "AWS_REGION": "eu-west-1"})
    ses = boto3.client("sesv2", endpoint_url=emulator.url, region_name="eu-west-1")
    for sender in ("no-reply@salou.example", config.sender_email):
        ses.create_email_identity(EmailIdentity=sender)
    container = bootstrap.build(config)
    container.clock = lambda: FIXED_NOW
    container.offices.put(document, FIXED_NOW)
    bootstrap.use(container)
    return container


def drop_stack(emulator, container: bootstrap.Container) -> None:
    """Delete the table: moto keeps every table in memory, and transactions copy theirs."""
    bootstrap.use(None)
    client = boto3.client("dynamodb", endpoint_url=emulator.url, region_name="eu-west-1")
    client.delete_table(TableName=container.settings.table_name)


@pytest.fixture
def stack(emulator, demo_document):
    container = new_stack(emulator, demo_document)
    yield container
    drop_stack(emulator, container)


@pytest.fixture
def client(stack):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as c:
        yield c
