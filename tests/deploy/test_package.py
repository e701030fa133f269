"""`make package` for the prod stage: cfn-lint passes, and the template holds what the deployment needs.

Packaging runs once per test session (chalice downloads Lambda's wheels the first time and caches
them in .chalice/deployments/; about 15 s after that).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.table import TABLE, TTL_ATTRIBUTE
from infra import package, template

ROOT = Path(__file__).resolve().parents[2]
MAX_ZIP_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> Path:
    return package.build("prod", tmp_path_factory.mktemp("build") / "package", update_policy_files=False)


@pytest.fixture(scope="module")
def sam(packaged) -> dict[str, Any]:
    return json.loads(packaged.read_text(encoding="utf-8"))


def resources(sam: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in sam["Resources"].items() if r.get("Type") == kind}


def test_cfn_lint_finds_nothing(packaged):
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(packaged)], check=False,
                          capture_output=True, text=True)
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")


def test_the_table_is_the_one_definition_with_recovery_encryption_and_ttl(sam):
    (table,) = resources(sam, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["KeySchema"] == TABLE["KeySchema"]
    assert props["GlobalSecondaryIndexes"] == TABLE["GlobalSecondaryIndexes"]
    assert props["AttributeDefinitions"] == TABLE["AttributeDefinitions"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["TableName"] == "scheduler-prod" and props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_the_scheduled_functions_run_every_5_and_15_minutes(sam):
    functions = resources(sam, "AWS::Serverless::Function")
    schedules = {f["Properties"]["Handler"]: [e["Properties"]["Schedule"]
                                              for e in f["Properties"].get("Events", {}).values()]
                 for f in functions.values()}
    assert schedules == {"app.app": [],
                         "chalicelib.api.schedule.sweep_outbox": ["rate(5 minutes)"],
                         "chalicelib.api.schedule.sync_busy_calendars": ["rate(15 minutes)"]}


def test_every_function_has_the_stage_environment_and_the_stacks_table(sam):
    config = template.stage_environment(template.load_config(), "prod")
    for name, function in resources(sam, "AWS::Serverless::Function").items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["SCHEDULER_TABLE"] == {"Ref": "SchedulerTable"}, name
        assert env["SCHEDULER_SECRETS_PATH"] == {"Ref": "SecretsPath"}, name
        for key in ("SCHEDULER_STAGE", "SCHEDULER_SENDER_EMAIL", "SCHEDULER_PUBLIC_URL",
                    "SCHEDULER_VIDEO_BASE_URL", "SCHEDULER_STAFF_JWT_ISSUER", "SCHEDULER_STAFF_JWKS_URL",
                    "SCHEDULER_SMS_ALLOWED_COUNTRIES"):
            assert env[key] == config[key], (name, key)
        assert env["SCHEDULER_STAGE"] == "prod" and "SCHEDULER_FIXED_NOW" not in env
        secrets = [key for key in env if "SECRET" in key and key != "SCHEDULER_SECRETS_PATH"]
        assert not secrets, "secrets come from SSM"
    assert sam["Parameters"]["SecretsPath"]["Default"] == config["SCHEDULER_SECRETS_PATH"]


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def _resources(statement: dict[str, Any]) -> list[Any]:
    found = statement.get("Resource", [])
    return found if isinstance(found, list) else [found]


def test_the_policies_are_least_privilege(sam):
    roles = resources(sam, "AWS::IAM::Role")
    assert set(roles) == {"ApiHandlerRole", "SweepOutboxRole", "SyncBusyCalendarsRole"}
    granted: dict[str, set[str]] = {}
    for name, role in roles.items():
        (policy,) = role["Properties"]["Policies"]
        statements = policy["PolicyDocument"]["Statement"]
        granted[name] = {action for s in statements for action in _actions(s)}
        for statement in statements:
            actions = _actions(statement)
            assert statement["Effect"] == "Allow"
            assert not any(a == "*" or a.endswith(":*") for a in actions), (name, actions)
            if statement.get("Resource") == "*":
                assert actions == ["sns:Publish"], (name, statement)  # SMS: phone numbers have no ARN
            if any(a.startswith("dynamodb:") for a in actions):
                for resource in _resources(statement):
                    assert resource != "*" and "SchedulerTable" in json.dumps(resource), (name, resource)
        assert {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} <= granted[name], name
    assert {"dynamodb:Query", "dynamodb:ConditionCheckItem", "dynamodb:PutItem"} <= granted["ApiHandlerRole"]
    assert {"ses:SendEmail", "sns:Publish", "ssm:GetParameter"} <= granted["ApiHandlerRole"]
    assert {"ses:SendEmail", "sns:Publish"} <= granted["SweepOutboxRole"]
    assert "ssm:GetParameter" not in granted["SweepOutboxRole"]
    # The calendar fetcher talks to the internet: it may not send anything or read secrets.
    assert not {a for a in granted["SyncBusyCalendarsRole"] if a.split(":")[0] in ("ses", "sns", "ssm")}


def test_email_may_only_come_from_the_sender_domains(sam):
    (policy,) = sam["Resources"]["ApiHandlerRole"]["Properties"]["Policies"]
    statement = next(s for s in policy["PolicyDocument"]["Statement"] if "ses:SendEmail" in _actions(s))
    assert "ses:FromAddress" in statement["Condition"]["StringLike"]
    assert sam["Parameters"]["SenderDomains"]["Default"] == "example.org"


def test_the_committed_policy_files_are_the_generated_ones():
    for name, document in template.policy_files().items():
        assert (ROOT / ".chalice" / name).read_text(encoding="utf-8") == template.dumps(document), (
            f".chalice/{name} is stale: run `make package` (or python -m infra.template) and commit it")


def test_errors_api_gateway_answers_itself_are_problem_json(sam):
    body = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED",
            "MISSING_AUTHENTICATION_TOKEN", "THROTTLED"} <= set(responses)
    for kind, response in responses.items():
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        text = response["responseTemplates"]["application/json"]
        rendered = json.loads(text.replace("$context.error.messageString", '"message"')
                              .replace("$context.requestId", "id"))
        assert {"type", "title", "detail"} <= set(rendered), kind
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"


def test_throttling_and_waf_stand_in_front_of_the_api(sam):
    settings = sam["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert settings[0]["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    (acl,) = resources(sam, "AWS::WAFv2::WebACL").values()
    names = [rule["Name"] for rule in acl["Properties"]["Rules"]]
    assert names[:2] == ["booking-attempts-per-ip", "requests-per-ip"]
    assert resources(sam, "AWS::WAFv2::WebACLAssociation")


def test_the_zip_holds_every_aws_service_and_locale_the_code_uses(packaged):
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "chalicelib").rglob("*.py"))
    services = set(re.findall(r"""(?:boto3\.client|_client)\(\s*["']([a-z0-9-]+)["']""", code))
    assert services and services <= set(package.BOTOCORE_SERVICES), services
    # PynamoDB calls the code makes that the policies do not grant would fail only in AWS.
    for call, action in ((".scan(", "Scan"), ("batch_write(", "BatchWriteItem"),
                         ("batch_get(", "BatchGetItem"), ("TransactGet", "GetItem")):
        assert call not in code, f"the code now uses {call}: grant dynamodb:{action} in infra/template.py"
    with zipfile.ZipFile(packaged.parent / "deployment.zip") as zipped:
        names = zipped.namelist()
    for service in package.BOTOCORE_SERVICES:
        assert any(n.startswith(f"botocore/data/{service}/") for n in names), service
    assert not any(n.startswith("botocore/data/ec2/") for n in names)
    for locale in ("root", "ca", "es", "en", "en_GB"):
        assert f"babel/locale-data/{locale}.dat" in names
    assert "babel/locale-data/de.dat" not in names
    # Bytecode for what the app loads: Lambda's /var/task is read-only, Python could not cache it there.
    for module in ("app", "chalicelib/bootstrap", "botocore/client", "pynamodb/models", "babel/dates"):
        folder, _, stem = module.rpartition("/")
        assert f"{folder + '/' if folder else ''}__pycache__/{stem}.cpython-311.pyc" in names, module


def test_the_deployment_zip_is_small_and_the_packaged_app_runs(packaged, tmp_path):
    zip_path = packaged.parent / "deployment.zip"
    assert zip_path.stat().st_size <= MAX_ZIP_BYTES
    with zipfile.ZipFile(zip_path) as zipped:
        zipped.extractall(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, '.')\n"
        "import datetime, app, boto3\n"
        f"for service in {package.BOTOCORE_SERVICES!r}: boto3.client(service, region_name='eu-west-1')\n"
        "from babel.dates import format_date, get_timezone_location\n"
        "day = datetime.date(2027, 3, 1)\n"
        "print([format_date(day, 'full', locale=l) for l in ('ca', 'es', 'en')], "
        "get_timezone_location('Europe/Madrid', locale='ca'))\n"
        "import chalicelib.adapters.dynamodb.offices, chalicelib.messages.content\n"
        f"assert boto3.__file__.startswith({str(tmp_path)!r}), boto3.__file__\n"
    )
    # -S -E: nothing from this virtualenv, only the zip's contents and the standard library.
    run = subprocess.run([sys.executable, "-S", "-E", "-c", probe], check=False, cwd=tmp_path,
                         capture_output=True, text=True,
                         env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert "dilluns, 1 de març del 2027" in run.stdout
