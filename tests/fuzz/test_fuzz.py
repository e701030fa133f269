"""Schemathesis over every operation of ``chalicelib/api/openapi.json``, in process, on the emulator.

The Chalice app runs behind a tiny WSGI adapter around ``chalice.local.LocalGateway`` (the
same gateway ``chalice local`` and ``chalice.test.Client`` use, minus the socket), on one table
seeded with the demo office, six bookings, six absences and two calendar feeds. Staff operations
get a valid staff JWT (an agent's or a supervisor's, in turn) from a schemathesis auth provider,
so their validation and rules run, not only the sign-in check; every other positive case on a
booking, an absence or a feed is pointed at a real one with its real secret. Requests come from
64 source addresses in turn, so the per-IP abuse limits do not turn the fuzz into a 429 test.

Checks: every schemathesis check that makes sense here, plus ``problem_json_errors`` (every 4xx
of the JSON API is ``application/problem+json`` with the RFC 9457 members; the HTML pages answer
HTML error pages, as documented). Left out: ``positive_data_acceptance`` (a schema-valid body can
still be refused with 400 for reasons a schema cannot carry: an e-mail domain that cannot exist,
``to`` before ``from``, a phone number that is not valid), and ``ignored_auth`` on operations
behind a secret link (manage and feed tokens), which answer a missing or wrong secret with the same
404 as an unknown resource on purpose (staff operations keep it: there no token must be a 401).

Deterministic (``derandomize``), no deadline; at least ``MIN_REQUESTS`` requests in all (about
3,000), in well under a minute on two cores.
"""
from __future__ import annotations

import base64
import itertools
import json
import os
from collections import Counter
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
import schemathesis
import yaml
from chalice.cli.factory import CLIFactory
from chalice.local import LocalGateway, LocalGatewayException
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from chalicelib import settings as settings_module
from chalicelib.adapters.staff_auth import StaffAuth, StaffAuthConfig
from chalicelib.api import docs
from tests.api.test_bookings_api import BOOK, body
from tests.conftest import DEMO_OFFICE, FIXED_NOW, drop_stack, new_stack

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 100  # generated per operation, on top of the schema's examples and the coverage phase's cases
MIN_REQUESTS = 1000
CLIENTS = 64  # source addresses the requests rotate over (TEST-NET-3)
PROBLEM_MEMBERS = {"type", "title", "status", "detail"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


class ChaliceWSGI:
    """WSGI in front of the Chalice app, the way ``chalice local`` serves it (stage ``local``)."""

    def __init__(self, stage: str = "local") -> None:
        from app import app

        config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name=stage)
        self.gateway = LocalGateway(app, config)
        self.environment = config.scope(config.chalice_stage, "api_handler").environment_variables
        self.statuses: Counter[tuple[str, int]] = Counter()

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def __call__(self, environ: dict[str, Any], start_response) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        # the raw request target (still percent-encoded), as chalice local's HTTP server sees it
        path = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "").encode("latin-1"))
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else None
        # a crowd, not one client: per-IP abuse limits would otherwise stop the fuzz at the door
        self.gateway.event_converter.LOCAL_SOURCE_IP = f"203.0.113.{self.requests % CLIENTS + 1}"
        with mock.patch.dict(os.environ, self.environment):  # the stage's variables, as chalice.test
            try:
                answer = self.gateway.handle_request(method=method, path=path, headers=headers, body=raw)
                status, out = answer["statusCode"], {**answer["headers"], **answer["multiValueHeaders"]}
                payload = answer["body"]
                if answer.get("isBase64Encoded"):
                    payload = base64.b64decode(payload)
            except LocalGatewayException as error:  # API Gateway's own answers (unknown path)
                status, out, payload = error.CODE, dict(error.headers), error.body
        self.statuses[(method, status)] += 1
        data = payload.encode("utf-8") if isinstance(payload, str) else (payload or b"")
        listed: list[tuple[str, str]] = []
        for name, value in out.items():
            listed.extend((name, str(v)) for v in (value if isinstance(value, list) else [value]))
        if payload is not None and not any(n.lower() == "content-type" for n, _ in listed):
            listed.append(("Content-Type", "application/json"))  # what chalice local and API Gateway add
        start_response(f"{status} {HTTPStatus(status).phrase}", listed)
        return [data]


def _staff_tokens(agent: str) -> list[str]:
    """An agent's and a supervisor's JWT, as the test stage's sign-in checks them (valid at FIXED_NOW)."""
    config = settings_module.load({"SCHEDULER_STAGE": "test"})
    issuer = StaffAuth(StaffAuthConfig(config.staff_jwt_issuer, local_secret=config.staff_jwt_secret))
    return [f"Bearer {issuer.issue_local('salou-oac', who, role, FIXED_NOW, timedelta(days=1))}"
            for who, role in ((agent, "agent"), ("boss", "supervisor"))]


AGENT = "agent-anna"
STAFF_TOKENS = _staff_tokens(AGENT)
_staff_turn = itertools.count()


class World:
    """The seeded table and the secrets a fuzzer could not guess."""

    def __init__(self, client) -> None:
        self.bookings: list[tuple[str, str]] = []
        for i in range(6):
            response = client.http.post(BOOK, body=json.dumps(body(
                start=f"2027-03-{23 + i // 2:02d}T{8 + i % 2:02d}:00:00Z", email=f"fuzz{i}@example.org",
                phone=f"+3461000{i:04d}")).encode(), headers={"Content-Type": "application/json"})
            assert response.status_code == 201, response.body
            created = response.json_body
            self.bookings.append((created["booking"]["id"], created["manage_token"]))
        self.absences = []
        for day in range(1, 7):
            response = client.http.post("/v1/staff/absences", headers={"Authorization": STAFF_TOKENS[0],
                                                                         "Content-Type": "application/json"},
                                        body=json.dumps({"start": f"2027-04-0{day}T08:00:00Z",
                                                         "end": f"2027-04-0{day}T09:00:00Z"}).encode())
            assert response.status_code == 201, response.body
            self.absences.append(response.json_body["absence"]["id"])
        self.feeds = {}
        for authorization, payload in zip(STAFF_TOKENS, ({}, {"office": True})):
            response = client.http.post("/v1/staff/calendar-token", body=json.dumps(payload).encode(),
                                        headers={"Authorization": authorization,
                                                 "Content-Type": "application/json"})
            assert response.status_code == 201, response.body
            feed_url = response.json_body["feed_url"]
            self.feeds["office" if payload else "agent"] = feed_url.rsplit("token=", 1)[1]
        self._turn, self._pick = itertools.count(), itertools.count()

    def aim(self, case) -> None:
        """Point every other positive case at a real booking, absence or feed, with its secret."""
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive or next(self._turn) % 2:
            return
        path, params = case.operation.path, case.path_parameters
        if "booking_id" in params:
            booking_id, secret = self.bookings[next(self._pick) % len(self.bookings)]
            params["booking_id"] = booking_id
            if path.startswith(("/v1/bookings/", "/manage/")):
                (case.headers or {}).pop("Authorization", None)
                case.query = {**(case.query or {}), "token": secret}
        elif "absence_id" in params:
            params["absence_id"] = self.absences[next(self._pick) % len(self.absences)]
        elif path == "/v1/agents/{agent_id}/calendar.ics":
            params["agent_id"] = AGENT
            case.query = {**(case.query or {}), "token": self.feeds["agent"]}
        elif path == "/v1/offices/{office_id}/calendar.ics":
            params["office_id"] = "salou-oac"
            case.query = {**(case.query or {}), "token": self.feeds["office"]}


SCHEMA = schemathesis.openapi.from_path(docs.DOCUMENT)
WSGI = ChaliceWSGI()
SCHEMA.app = WSGI
ANSWERS: Counter[tuple[str, int]] = Counter()  # (operation, status) of the generated cases


@SCHEMA.auth(refresh_interval=None).apply_to(path_regex="^/v1/staff/")
class StaffToken:
    """A valid staff JWT (agent and supervisor in turn) on every staff operation."""

    def get(self, case, context) -> str:
        return STAFF_TOKENS[next(_staff_turn) % len(STAFF_TOKENS)]

    def set(self, case, data: str, context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


def problem_json_errors(ctx, response, case) -> None:
    """Every 4xx of the JSON API is ``application/problem+json`` with type, title, status and detail."""
    if not 400 <= response.status_code < 500 or "pages" in (case.operation.definition.raw.get("tags") or []):
        return
    media = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    assert media == "application/problem+json", f"{response.status_code} answered as {media!r}"
    problem = json.loads(response.content)
    missing = PROBLEM_MEMBERS - problem.keys()
    assert not missing, f"problem without {sorted(missing)}: {problem}"
    assert problem["status"] == response.status_code, problem


@pytest.fixture(scope="module")
def world(emulator):
    from chalice.test import Client

    from app import app

    stack = new_stack(emulator, yaml.safe_load(DEMO_OFFICE.read_text(encoding="utf-8")))
    with Client(app, stage_name="local") as client:
        seeded = World(client)
    yield seeded
    drop_stack(emulator, stack)


# Secrets in links (manage token, feed token) answer a missing or wrong secret with the same 404 as an
# unknown resource, on purpose, where ``ignored_auth`` expects 401 or 403.
SECRET_LINK_SCHEMES = {"manageToken", "manageTokenQuery", "feedToken"}


@SCHEMA.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_holds_up_against_generated_requests(case, world):
    world.aim(case)
    excluded = [positive_data_acceptance]
    security = case.operation.definition.raw.get("security", [])
    schemes = {name for requirement in security for name in requirement}
    if schemes & SECRET_LINK_SCHEMES:
        excluded.append(ignored_auth)
    response = case.call_and_validate(excluded_checks=excluded, additional_checks=[problem_json_errors])
    ANSWERS[(case.operation.label, response.status_code)] += 1


def test_the_fuzzing_sent_enough_requests_and_no_server_error(request):
    """After the fuzz above (same module, same process): enough requests, and not one 5xx."""
    fuzzed = [item for item in request.session.items if item.module is request.module
              and item.originalname == test_the_api_holds_up_against_generated_requests.__name__]
    operations = sum(1 for item in docs.document()["paths"].values() for method in item if method in METHODS)
    if len(fuzzed) < operations or WSGI.requests == 0:
        pytest.skip("needs the fuzz of every operation in this process")
    statuses: Counter[int] = Counter()
    for (_, status), count in WSGI.statuses.items():
        statuses[status] += count
    print(f"\nfuzz: {WSGI.requests} requests over {len(fuzzed)} operations; "
          f"statuses {dict(sorted(statuses.items()))}")
    for label in sorted({label for label, _ in ANSWERS}):
        print(f"  {label}: " + ", ".join(f"{s}x{n}" for (op, s), n in sorted(ANSWERS.items()) if op == label))
    assert WSGI.requests >= MIN_REQUESTS
    assert not [key for key in WSGI.statuses if key[1] >= 500]
