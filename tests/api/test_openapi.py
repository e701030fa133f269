"""The OpenAPI document: valid 3.1, in step with the app's routes, and what the routes really answer.

Every response below goes through ``Contract.check``: its status must be documented for that
operation, its Content-Type one the document lists, its JSON body valid against the documented
schema (JSON Schema 2020-12, ``$ref`` resolved inside the document), its required headers present,
and every 4xx of the JSON API ``application/problem+json``.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from chalice.local import RouteMatcher
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from chalicelib.adapters.notify import LocalCopy
from chalicelib.api import docs
from chalicelib.settings import ConfigurationError
from tests.api.test_bookings_api import BOOK, TUESDAY_9, TUESDAY_930, auth, body
from tests.api.test_staff_api import token

DOCUMENT_URI = "urn:citizen-scheduler:openapi"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
JSON_TYPES = {"application/json", "application/problem+json"}
PAGES = "pages"
SLOTS = "/v1/offices/salou-oac/services/e-office-assistance/slots"


def _escape(token_: str) -> str:
    return token_.replace("~", "~0").replace("/", "~1")


class Contract:
    """The document as a checker of real responses."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
        self.matcher = RouteMatcher(list(document["paths"]))
        self.seen: set[tuple[str, str, int]] = set()

    def _resolve(self, item: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
        while "$ref" in item:
            pointer = item["$ref"].removeprefix("#")
            item = self.document
            for part in pointer.strip("/").split("/"):
                item = item[part.replace("~1", "/").replace("~0", "~")]
        return item, pointer

    def validate(self, instance: Any, pointer: str) -> None:
        """Validate ``instance`` against the schema at ``pointer`` inside the document."""
        validator = Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, f"does not match {pointer}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])

    def template(self, path: str) -> str:
        return self.matcher.match_route(path).route

    def check(self, method: str, path: str, response: Any) -> Any:
        method = method.lower()
        template = self.template(path)
        status = response.status_code
        self.seen.add((method, template, status))
        headers = {k.lower(): v for k, v in response.headers.items()}
        # no Content-Type: API Gateway and ``chalice local`` send ``application/json``
        media = headers.get("content-type", "application/json" if response.body else "").split(";")[0].strip()
        operation = self.document["paths"][template].get(method)
        if operation is None:  # a method the path does not have: Chalice's 405, as problem+json
            assert status == 405, (method, path, status, response.body)
            assert media == "application/problem+json", headers
            assert {m.upper() for m in self.document["paths"][template] if m in METHODS} == {
                m.strip() for m in headers["allow"].split(",")}
            self.validate(json.loads(response.body), "/components/schemas/Problem")
            return response
        responses = operation["responses"]
        code = next((c for c in (str(status), f"{status // 100}XX", "default") if c in responses), None)
        assert code is not None, f"{method.upper()} {template}: undocumented {status}: {response.body!r}"
        pointer = f"/paths/{_escape(template)}/{method}/responses/{code}"
        spec, pointer = self._resolve(responses[code], pointer)
        if 400 <= status < 500 and PAGES not in operation.get("tags", []):
            assert media == "application/problem+json", (method, path, status, headers)
        content = spec.get("content")
        if not content:
            assert not response.body, (method, path, status, response.body)
        else:
            assert media in content, f"{method.upper()} {template} {status}: {media!r} not in {list(content)}"
            if media in JSON_TYPES:
                self.validate(json.loads(response.body), f"{pointer}/content/{_escape(media)}/schema")
        for name, header in spec.get("headers", {}).items():
            header, header_pointer = self._resolve(header, f"{pointer}/headers/{_escape(name)}")
            if name.lower() not in headers:
                assert not header.get("required"), f"{method.upper()} {template} {status}: no {name} header"
                continue
            value: Any = headers[name.lower()]
            if header.get("schema", {}).get("type") == "integer":
                value = int(value)
            self.validate(value, f"{header_pointer}/schema")
        return response


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(docs.document())


class Api:
    """``client.http`` whose every answer is checked against the contract."""

    def __init__(self, client, contract: Contract) -> None:
        self.client, self.contract = client, contract

    def call(self, method: str, path: str, payload: Any = None, headers: dict | None = None,
             raw: bytes | None = None) -> Any:
        headers = dict(headers or {})
        data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else b"")
        if payload is not None:
            headers.setdefault("Content-Type", "application/json")
        response = self.client.http.request(method.upper(), path, headers=headers, body=data)
        return self.contract.check(method, path, response)

    def get(self, path: str, headers: dict | None = None) -> Any:
        return self.call("get", path, headers=headers)

    def post(self, path: str, payload: Any = None, headers: dict | None = None,
             raw: bytes | None = None) -> Any:
        return self.call("post", path, payload, headers, raw)

    def json(self, response) -> Any:
        return json.loads(response.body)


@pytest.fixture
def api(client, contract) -> Api:
    return Api(client, contract)


def _book(api: Api, **kwargs) -> dict:
    response = api.post(BOOK, body(**kwargs))
    assert response.status_code == 201, response.body
    return api.json(response)


# -- the document itself ---------------------------------------------------------------------------
def test_the_document_is_valid_openapi_3_1():
    document = docs.document()
    assert document["openapi"].startswith("3.1.")
    validate_openapi(document)


def test_every_route_of_the_app_is_in_the_document_and_nothing_else():
    from app import app

    in_app = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    in_document = {(path, method) for path, item in docs.document()["paths"].items()
                   for method in item if method in METHODS}
    assert in_app - in_document == set(), "routes missing from chalicelib/api/openapi.json"
    assert in_document - in_app == set(), "documented operations the app does not have"


def test_every_json_error_is_documented_as_problem_json():
    document = docs.document()
    contract = Contract(document)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            codes = operation["responses"]
            assert any(c.startswith(("2", "3")) for c in codes), (path, method)
            for code, spec in codes.items():
                spec, _ = contract._resolve(spec, "")
                if code.startswith("4") and PAGES not in operation.get("tags", []):
                    assert list(spec["content"]) == ["application/problem+json"], (path, method, code)


def test_operations_declare_their_security():
    paths = docs.document()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            if path.startswith("/v1/staff/"):
                assert operation["security"] == [{"staffBearer": []}], path
            if path.startswith("/v1/bookings/"):
                schemes = {name for requirement in operation["security"] for name in requirement}
                assert schemes == {"manageToken", "manageTokenQuery"}, path
    schemes = docs.document()["components"]["securitySchemes"]
    assert schemes["staffBearer"] == {**schemes["staffBearer"], "type": "http", "scheme": "bearer",
                                      "bearerFormat": "JWT"}


def test_the_document_is_served_as_json(api):
    response = api.get("/v1/openapi.json")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == docs.document()
    assert api.post("/v1/openapi.json").status_code == 405


# -- public routes ---------------------------------------------------------------------------------
def test_office_services_and_slots(api):
    office = api.json(api.get("/v1/offices/salou-oac?lang=es"))
    assert office["id"] == "salou-oac" and office["locales"] == ["ca", "es", "en"]
    services = api.json(api.get("/v1/offices/salou-oac/services"))["services"]
    assert {s["id"] for s in services} >= {"e-office-assistance", "municipal-register"}
    slots = api.get("/v1/offices/salou-oac/services/e-office-assistance/slots?from=2027-03-23&to=2027-03-23")
    assert TUESDAY_9 in [s["start"] for s in api.json(slots)["slots"]]
    assert api.get("/v1/offices/salou-oac?lang=fr").status_code == 400
    assert api.get("/v1/offices/nowhere").status_code == 404
    assert api.get("/v1/offices/salou-oac/services?lang=de").status_code == 400
    assert api.get("/v1/offices/nowhere/services").status_code == 404
    bad = api.get("/v1/offices/salou-oac/services/e-office-assistance/slots?from=23/03/2027&to=2027-13-01")
    assert [e["field"] for e in api.json(bad)["errors"]] == ["from", "to"]
    assert api.get("/v1/offices/salou-oac/services/e-office-assistance/slots?from=2027-03-01&to=2027-06-01"
                   ).status_code == 400
    assert api.get("/v1/offices/salou-oac/services/weddings/slots").status_code == 404
    assert api.call("delete", "/v1/offices/salou-oac").status_code == 405


def test_dates_far_from_now_and_overlong_ids_are_refused_before_any_storage_call(api, emulator):
    emulator.recorder.clear()
    emulator.recorder.enabled = True
    try:
        for path, status in [(f"{SLOTS}?from=0001-01-01", 400), (f"{SLOTS}?from=9999-12-31", 400),
                             (f"/v1/offices/{'a' * 300}", 404), (f"/v1/offices/{'a' * 300}/services", 404)]:
            assert api.get(path).status_code == status, path
        assert emulator.recorder.dynamodb() == []  # DynamoDB refuses keys over 2 KB (moto does not)
    finally:
        emulator.recorder.enabled = False
    far = api.json(api.get(f"{SLOTS}?from=1969-12-31&to=3000-01-01"))
    assert [e["field"] for e in far["errors"]] == ["from", "to"]


def test_the_middleware_rewrites_chalice_errors_and_nothing_else(contract):
    from types import SimpleNamespace

    from chalice import Response

    from chalicelib.api.middleware import problem_errors

    request = SimpleNamespace(method="PATCH")
    chalice_405 = Response({"Code": "MethodNotAllowedError", "Message": "Unsupported method: PATCH"},
                           status_code=405, headers={"Allow": "GET, POST"})
    rewritten = problem_errors(request, lambda _: chalice_405)
    assert rewritten.headers["Content-Type"] == "application/problem+json"
    assert rewritten.headers["Allow"] == "GET, POST"
    assert rewritten.body["status"] == 405 and "GET, POST" in rewritten.body["detail"]
    contract.validate(rewritten.body, "/components/schemas/Problem")

    def crash(_):
        raise RuntimeError("boom")

    crashed = problem_errors(request, crash)
    assert crashed.status_code == 500 and "boom" not in json.dumps(crashed.body)
    contract.validate(crashed.body, "/components/schemas/Problem")
    for untouched in (Response({"ok": True}), Response("<h1>404</h1>", status_code=404,
                                                      headers={"Content-Type": "text/html"})):
        assert problem_errors(request, lambda _, r=untouched: r) is untouched


def test_a_misconfigured_stage_is_a_503_problem(api, stack):
    def broken(office_id):
        raise ConfigurationError("no table")

    stack.offices.get = broken
    response = api.get("/v1/offices/salou-oac")
    assert response.status_code == 503 and "table" not in api.json(response)["detail"]


# -- bookings ----------------------------------------------------------------------------------------
def test_booking_lifecycle_and_its_errors(api):
    key = {"Idempotency-Key": "conformance-1"}
    created = api.post(BOOK, body(notes="Porta el DNI"), key)
    assert created.status_code == 201 and created.headers["Location"].startswith("/v1/bookings/")
    data = api.json(created)
    booking_id, secret = data["booking"]["id"], data["manage_token"]
    assert api.post(BOOK, body(notes="Porta el DNI"), key).status_code == 201  # replay
    assert api.post(BOOK, body(start=TUESDAY_930), key).status_code == 422
    assert api.post(BOOK, body(), {"Idempotency-Key": "x" * 129}).status_code == 400
    invalid = api.json(api.post(BOOK, {"service_id": "", "start": "soon", "citizen": "Ann"}))
    assert {e["field"] for e in invalid["errors"]} == {"service_id", "start", "citizen"}
    assert api.post(BOOK, raw=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    taken = api.json(api.post(BOOK, body(start="2027-03-23T08:10:00Z", email="b@example.org",
                                         phone="+34610000002")))
    assert taken["reason"] == "slot_taken" and len(taken["alternatives"]) == 3
    assert api.post("/v1/offices/nowhere/bookings", body()).status_code == 404
    unsupported = api.post(BOOK, raw=b"service_id=x",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert unsupported.status_code == 415

    path = f"/v1/bookings/{booking_id}"
    assert api.json(api.get(path, auth(secret)))["booking"]["notes"] == "Porta el DNI"
    assert api.get(f"{path}?token={secret}").status_code == 200
    assert api.get(path).status_code == 404
    assert api.get(path, auth("0" * 43)).status_code == 404
    invite = api.get(f"{path}/invite.ics", auth(secret))
    assert invite.status_code == 200 and b"METHOD:REQUEST" in invite.body
    assert api.get(f"{path}/invite.ics").status_code == 404
    assert api.post(f"{path}/reschedule", {"start": "next week"}, auth(secret)).status_code == 400
    assert api.post(f"{path}/reschedule", {"start": "2027-03-23T08:10:00Z"}, auth(secret)).status_code == 409
    wrong = auth("f" * 43)
    assert api.post(f"{path}/reschedule", {"start": "2027-03-24T10:00:00Z"}, wrong).status_code == 404
    moved = api.json(api.post(f"{path}/reschedule", {"start": "2027-03-24T10:00:00Z"}, auth(secret)))
    assert moved["booking"]["sequence"] == 1
    assert api.post(f"{path}/cancel", headers=auth("f" * 43)).status_code == 404
    assert api.json(api.post(f"{path}/cancel", headers=auth(secret)))["booking"]["status"] == "cancelled"
    assert api.json(api.post(f"{path}/cancel", headers=auth(secret)))["reason"] == "not_active"
    assert api.post(f"{path}/cancel", raw=b"x", headers={**auth(secret), "Content-Type": "text/plain"}
                    ).status_code == 415
    assert api.call("put", path, headers=auth(secret)).status_code == 405


# -- staff and feeds ---------------------------------------------------------------------------------
def test_staff_routes(api, stack):
    mine = _book(api)
    booking_id = mine["booking"]["id"]
    agent = mine["booking"]["agent"]["id"]
    me, boss = token(stack, agent=agent), token(stack, agent="boss", role="supervisor")
    other = next(a for a in ("agent-anna", "agent-jordi") if a != agent)

    agenda = api.json(api.get("/v1/staff/agenda?from=2027-03-23&to=2027-03-23", me))
    assert [b["id"] for b in agenda["bookings"]] == [booking_id]
    assert api.get("/v1/staff/agenda").status_code == 401
    assert api.get("/v1/staff/agenda", {"Authorization": "Bearer nonsense"}).status_code == 401
    assert api.get(f"/v1/staff/agenda?agent_id={other}", me).status_code == 403
    assert api.get("/v1/staff/agenda?from=2027-03-23&to=2027-01-01", me).status_code == 400
    assert api.get("/v1/staff/agenda", token(stack, office="nowhere")).status_code == 404

    status = f"/v1/staff/bookings/{booking_id}/status"
    assert api.json(api.post(status, {"status": "completed"}, me))["reason"] == "not_started"
    assert api.post(status, {"status": "gone"}, me).status_code == 400
    assert api.post(status, {"status": "completed"}).status_code == 401
    assert api.post(status, {"status": "completed"}, token(stack, agent=other)).status_code == 403
    assert api.post("/v1/staff/bookings/01HZZZZZZZZZZZZZZZZZZZZZZZ/status", {"status": "completed"},
                    me).status_code == 404
    assert api.post(status, raw=b"x", headers={**me, "Content-Type": "text/plain"}).status_code == 415

    reassign = f"/v1/staff/bookings/{booking_id}/reassign"
    assert api.post(reassign, {}, me).status_code == 403
    assert api.post(reassign, {"agent_id": "nobody"}, boss).status_code == 400
    assert api.post(reassign, {"agent_id": agent}, boss).status_code == 409  # no *other* agent named
    moved = api.json(api.post(reassign, headers=boss))["booking"]
    assert moved["agent"]["id"] != agent and moved["needs_reassignment"] is False

    absence = api.post("/v1/staff/absences", {"start": "2027-03-24T08:00:00Z", "end": "2027-03-24T10:00:00Z"},
                       me)
    assert absence.status_code == 201
    absence_id = api.json(absence)["absence"]["id"]
    assert api.post("/v1/staff/absences", {"start": "2027-03-24T10:00:00Z", "end": "2027-03-24T08:00:00Z"},
                    me).status_code == 400
    assert api.post("/v1/staff/absences", {"agent_id": other, "start": "2027-03-24T08:00:00Z",
                                           "end": "2027-03-24T09:00:00Z"}, me).status_code == 403
    assert [a["id"] for a in api.json(api.get("/v1/staff/absences", me))["absences"]] == [absence_id]
    assert api.get(f"/v1/staff/absences?agent_id={other}", me).status_code == 403
    assert api.call("delete", f"/v1/staff/absences/{absence_id}", headers=token(stack, agent=other)
                    ).status_code == 403
    assert api.call("delete", f"/v1/staff/absences/{absence_id}", headers=me).status_code == 204
    assert api.call("delete", f"/v1/staff/absences/{absence_id}", headers=me).status_code == 404
    assert api.call("delete", f"/v1/staff/absences/{absence_id}").status_code == 401

    stack.clock = lambda: datetime(2027, 3, 23, 8, 10, tzinfo=UTC)
    now = token(stack, agent=moved["agent"]["id"], now=stack.now())
    assert api.json(api.post(status, {"status": "no_show"}, now))["booking"]["status"] == "no_show"
    assert api.json(api.post(status, {"status": "no_show"}, now))["reason"] == "not_active"


def test_calendar_feeds(api, stack):
    mine = _book(api)
    agent = mine["booking"]["agent"]["id"]
    me, boss = token(stack, agent=agent), token(stack, agent="boss", role="supervisor")
    assert api.post("/v1/staff/calendar-token", {"office": True}, me).status_code == 403
    assert api.post("/v1/staff/calendar-token", {"agent_id": 5}, me).status_code == 400
    assert api.post("/v1/staff/calendar-token").status_code == 401
    issued = api.json(api.post("/v1/staff/calendar-token", headers=me))
    office_feed = api.json(api.post("/v1/staff/calendar-token", {"office": True}, boss))
    for url in (issued["feed_url"], office_feed["feed_url"]):
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}"
        feed = api.get(path)
        assert feed.status_code == 200 and b"METHOD:PUBLISH" in feed.body
        assert api.get(path, {"If-None-Match": feed.headers["ETag"]}).status_code == 304
        assert api.get(parts.path).status_code == 404
        assert api.get(f"{parts.path}?token=salou-oac.wrong").status_code == 404


# -- dev and pages -------------------------------------------------------------------------------------
def test_dev_outbox(api, stack, tmp_path):
    assert api.get("/dev/outbox").status_code == 404  # not the local stage
    stack.settings = replace(stack.settings, stage="local", outbox_dir=str(tmp_path))
    stack.email, stack.sms = LocalCopy(stack.email, tmp_path), LocalCopy(stack.sms, tmp_path)
    created = _book(api)
    assert api.get("/dev/outbox").status_code == 200
    stem = f"{created['booking']['id']}.confirmation.email.0"
    assert api.get(f"/dev/outbox/{stem}.eml").status_code == 200
    assert api.get(f"/dev/outbox/{stem}.ics").status_code == 200
    assert api.get("/dev/outbox/nothing.eml").status_code == 404


def test_pages(api, stack):
    created = _book(api)
    assert api.get("/").headers["Location"].startswith("/book/")
    assert api.get("/book/salou-oac").status_code == 200
    assert api.get("/book/nowhere").status_code == 404
    assert api.get("/book/salou-oac/brand.css").status_code == 200
    assert api.get("/book/nowhere/brand.css").status_code == 404
    assert api.get(f"/manage/{created['booking']['id']}?token={created['manage_token']}").status_code == 200
    assert api.get(f"/manage/{created['booking']['id']}?token=wrong").status_code == 404
    assert api.get("/static/common.js").status_code == 200
    assert api.get("/static/nothing.js").status_code == 404
    assert api.post("/").status_code == 405
    assert api.get("/staff").status_code == 200
    assert api.post("/staff").status_code == 405


# -- bugs the fuzz found below the API layer, fixed; these keep them fixed ---------------------------------
def test_a_phone_booking_is_booked(client):
    response = client.http.post(BOOK, body=json.dumps({**body(), "channel": "phone"}).encode(),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.body


def test_a_non_boolean_office_flag_is_refused(client, stack):
    response = client.http.post("/v1/staff/calendar-token", body=b'{"office": "yes"}',
                                headers={**token(stack), "Content-Type": "application/json"})
    assert response.status_code == 400, response.body


def test_a_non_string_agent_id_is_refused(client, stack):
    response = client.http.post("/v1/staff/absences",
                                headers={**token(stack), "Content-Type": "application/json"},
                                body=json.dumps({"agent_id": False, "start": "2027-03-24T08:00:00Z",
                                                 "end": "2027-03-24T09:00:00Z"}).encode())
    assert response.status_code == 400, response.body


def test_an_instant_near_year_one_is_refused(client):
    response = client.http.post(BOOK, body=json.dumps(body(start="0001-01-01T00:00:00Z")).encode(),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.body


def test_an_absence_before_1970_is_refused(client, stack):
    response = client.http.post("/v1/staff/absences",
                                headers={**token(stack), "Content-Type": "application/json"},
                                body=json.dumps({"start": "1969-12-31T23:00:00Z",
                                                 "end": "1970-01-01T01:00:00Z"}).encode())
    assert response.status_code == 400, response.body


# -- every operation was seen both ways ----------------------------------------------------------------
def test_every_operation_was_exercised_on_a_happy_and_an_error_path(request, contract):
    """Runs last in this module: each documented operation answered a 2xx/3xx above, each path a 4xx."""
    scenarios = [item for item in request.session.items
                 if item.module is request.module and item.name != request.node.name
                 and item.name.startswith("test_") and "api" in getattr(item, "fixturenames", ())]
    if not scenarios or any(item.nodeid not in _RAN for item in scenarios):
        pytest.skip("needs every scenario of this module to have run in this process")
    document = contract.document
    for path, item in document["paths"].items():
        for method in (m for m in item if m in METHODS):
            assert any(m == method and p == path and s < 400 for m, p, s in contract.seen), (method, path)
        assert any(p == path and 400 <= s < 500 for _, p, s in contract.seen), path


_RAN: set[str] = set()


@pytest.fixture(autouse=True)
def _record_run(request):
    yield
    _RAN.add(request.node.nodeid)
