"""The deployment's CloudFormation pieces, generated from the code's own definitions.

``python -m infra.template --stage prod --output build/merge-prod.json`` writes

- the merge template for ``chalice package --merge-template``: the table (from the one definition in
  ``chalicelib/adapters/dynamodb/table.py``: keys, GSIs, TTL, point-in-time recovery, encryption),
  each function's name and the environment values that only the stack knows (the table's name by
  ``Ref``), API Gateway throttling, problem+json gateway responses, and a WAF web ACL;
- ``.chalice/policy-*.json``: one least-privilege IAM policy per function.

Why policy files and not an override of the roles in the merge template: with ``"autogen_policy":
false`` Chalice gives each function its own role (``ApiHandlerRole``, ``SweepOutboxRole``,
``SyncBusyCalendarsRole``) whose only policy is the file ``iam_policy_file`` names, settable per
function in ``config.json``, and it refuses to package without that file. Overriding the roles'
``Policies`` from the merge template would still need the files (as dead placeholders), and would
replace Chalice's list wholesale: Chalice's merge (``TemplateDeepMerger`` in ``chalice/package.py``)
merges objects key by key but replaces lists. The files hold CloudFormation intrinsics
(``Fn::Sub``, ``Fn::GetAtt``), which Chalice copies verbatim into the roles: they only make sense in
this stack, which is how the app is deployed (``chalice deploy`` is not supported; the table is a
stack resource). Since nothing adds to them, each file restates the CloudWatch Logs permissions.

The files are committed (Chalice reads them on every ``chalice package``); ``tests/deploy`` checks
that they are what this script writes.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # ``python infra/template.py`` as well as ``python -m infra.template``
    sys.path.insert(0, str(ROOT))

from chalice.utils import to_cfn_resource_name

from chalicelib.adapters.dynamodb.table import TABLE, TTL_ATTRIBUTE

CONFIG = ROOT / ".chalice" / "config.json"
TABLE_ID = "SchedulerTable"
API_ID = "RestAPI"  # Chalice's logical id for the REST API
PROBLEM = "application/problem+json"

# Chalice function name -> (logical id in the SAM template, policy file, what the policy grants).
FUNCTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "api_handler": ("APIHandler", "policy-api.json", ("table", "email", "sms", "secrets")),
    # The sweep sends what the outbox holds; every fact it needs (links included) is in the item.
    "sweep_outbox": ("SweepOutbox", "policy-sweep.json", ("table", "email", "sms")),
    # Fetches agents' published calendars from the internet: the table only, nothing that can send.
    "sync_busy_calendars": ("SyncBusyCalendars", "policy-calendars.json", ("table",)),
}

# DynamoDB actions the code performs. TransactWriteItems is not an IAM action of its own: each item of
# a transaction is authorized as the action it stands for (Put -> PutItem, Update -> UpdateItem,
# Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem); see "Using IAM with DynamoDB
# transactions" in the DynamoDB developer guide. No Scan and no BatchWriteItem: nothing at run time
# uses them (the benches batch-write with their own credentials).
ITEM_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                "dynamodb:ConditionCheckItem")
QUERY_ACTIONS = ("dynamodb:Query",)


def load_config() -> dict[str, Any]:
    return json.loads(CONFIG.read_text(encoding="utf-8"))


def stage_environment(config: dict[str, Any], stage: str) -> dict[str, str]:
    """The environment Chalice gives the stage's functions (top level, then the stage's own)."""
    if stage not in config.get("stages", {}):
        raise SystemExit(f"no stage {stage!r} in {CONFIG}")
    stage_env = config["stages"][stage].get("environment_variables", {})
    return {**config.get("environment_variables", {}), **stage_env}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def table_resource(table_name: str, stage: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "TableName": table_name,
        **copy.deepcopy(TABLE),
        "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},  # KMS, with the AWS managed key aws/dynamodb
        "DeletionProtectionEnabled": stage == "prod",
        # A ceiling on what abuse can cost; far above what the offices need (see the README, "First line of defence").
        "OnDemandThroughput": {"MaxReadRequestUnits": {"Ref": "TableMaxReadRequestUnits"},
                               "MaxWriteRequestUnits": {"Ref": "TableMaxWriteRequestUnits"}},
        "Tags": [{"Key": "application", "Value": "citizen-scheduler"}, {"Key": "stage", "Value": stage}],
    }
    if properties["BillingMode"] != "PAY_PER_REQUEST":
        raise ValueError("the template assumes an on-demand table")
    # Personal data lives here: never let a stack update or deletion drop it.
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


def policy_document(grants: tuple[str, ...]) -> dict[str, Any]:
    """One function's policy. Every name comes from the stack, so one file serves every stage."""
    log_group = ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                 ":log-group:/aws/lambda/${AWS::StackName}-*")
    statements: list[dict[str, Any]] = [{
        # Restated: nothing else gives the functions their logs (names set in the merge template).
        "Sid": "OwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [_sub(log_group), _sub(log_group + ":*")],
    }]
    if "table" in grants:
        statements += [
            {"Sid": "TableItems", "Effect": "Allow", "Action": list(ITEM_ACTIONS),
             "Resource": [{"Fn::GetAtt": [TABLE_ID, "Arn"]}]},
            {"Sid": "TableQueries", "Effect": "Allow", "Action": list(QUERY_ACTIONS),
             "Resource": [{"Fn::GetAtt": [TABLE_ID, "Arn"]}, _sub(f"${{{TABLE_ID}.Arn}}/index/*")]},
        ]
    if "email" in grants:
        # SES authorizes a send against the sending identity's ARN (and, in the sandbox, the recipients'
        # too). CloudFormation cannot prefix each item of a list parameter with this region and account
        # (Fn::Join's delimiter and Fn::Sub's string take no functions), so the resource is this
        # account's identities in this region, and the condition keeps the From address inside the
        # SenderDomains parameter: *@<domain> for each.
        statements.append({
            "Sid": "SendEmail", "Effect": "Allow", "Action": ["ses:SendEmail", "ses:SendRawEmail"],
            "Resource": _sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
            "Condition": {"StringLike": {"ses:FromAddress": {"Fn::Split": [",", {"Fn::Sub": [
                "*@${Domains}", {"Domains": {"Fn::Join": [",*@", {"Ref": "SenderDomains"}]}}]}]}}},
        })
    if "sms" in grants:
        # Resource "*" is required: SNS authorizes a Publish to a phone number against "*" (a phone
        # number has no ARN). "*" also covers the account's topics: this stack has none; give any
        # other topic a resource policy naming its publishers. Each office's daily SMS cap bounds cost.
        statements.append({"Sid": "SendSms", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": "*"})
    if "secrets" in grants:
        statements.append({
            "Sid": "ReadSecrets", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": _sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
                             ":parameter${SecretsPath}/*"),
        })
    return {"Version": "2012-10-17", "Statement": statements}


def _problem_template(slug: str, title: str, status: int | None, detail: str | None) -> str:
    """A Velocity template writing RFC 9457 problem+json, as the app's own errors are."""
    status_field = f'"status": {status}, ' if status else ""
    # $context.error.messageString is API Gateway's message, quoted for JSON.
    detail_value = json.dumps(detail) if detail else "$context.error.messageString"
    return (f'{{"type": "/problems/{slug}", "title": "{title}", {status_field}"detail": {detail_value}, '
            '"request_id": "$context.requestId"}')


# Errors API Gateway answers itself, before or instead of the function (the app's middleware cannot).
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str, str | None]] = {
    "DEFAULT_4XX": (None, "error", "Request refused", None),
    "DEFAULT_5XX": (None, "unavailable", "Service unavailable", None),
    "UNAUTHORIZED": (401, "unauthorized", "Unauthorized", None),
    "ACCESS_DENIED": (403, "forbidden", "Forbidden", None),
    # A path or method the API does not have: API Gateway's "Missing Authentication Token" 403.
    # It is a 404 in the app (chalice local) and to every client, so it is one here too.
    "MISSING_AUTHENTICATION_TOKEN": (404, "not-found", "Not found", "There is nothing at this address."),
    "THROTTLED": (429, "too-many-requests", "Too many requests", "Too many requests; try again shortly."),
    "QUOTA_EXCEEDED": (429, "too-many-requests", "Too many requests", "Too many requests; try again later."),
    "WAF_FILTERED": (403, "forbidden", "Forbidden", None),
    "REQUEST_TOO_LARGE": (413, "too-large", "Request too large", None),
    "INTEGRATION_TIMEOUT": (504, "timeout", "Gateway timeout",
                            "No answer in time; it may still have been done: check before retrying."),
}


def gateway_responses() -> dict[str, Any]:
    """The OpenAPI extension for them: inside the API's definition, because CloudFormation updates a
    REST API with a body by overwriting it, which would drop separately defined gateway responses."""
    responses = {}
    for kind, (status, slug, title, detail) in GATEWAY_RESPONSES.items():
        template = _problem_template(slug, title, status, detail)
        response: dict[str, Any] = {
            "responseParameters": {"gatewayresponse.header.Content-Type": f"'{PROBLEM}'",
                                   "gatewayresponse.header.Cache-Control": "'no-store'"},
            # API Gateway picks the template by the request's Accept; application/json is its fallback.
            "responseTemplates": {"application/json": template, PROBLEM: template},
        }
        if status:
            response["statusCode"] = str(status)
        responses[kind] = response
    return responses


def web_acl() -> dict[str, Any]:
    """Per-IP rate limits in front of the API: all requests, and booking attempts on their own."""
    too_many = json.dumps({"type": "/problems/too-many-requests", "title": "Too many requests", "status": 429,
                           "detail": "Too many requests from your address; wait a few minutes."})

    def rate_rule(name: str, priority: int, limit: str, scope: dict[str, Any] | None) -> dict[str, Any]:
        statement: dict[str, Any] = {"Limit": {"Ref": limit}, "AggregateKeyType": "IP",
                                     "EvaluationWindowSec": 300}
        if scope:
            statement["ScopeDownStatement"] = scope
        block = {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "too-many",
                                    "ResponseHeaders": [{"Name": "Retry-After", "Value": "300"}]}}
        return {"Name": name, "Priority": priority, "Statement": {"RateBasedStatement": statement},
                "Action": {"Block": block}, "VisibilityConfig": visibility(name)}

    def visibility(name: Any) -> dict[str, Any]:
        return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}

    def matches(field: dict[str, Any], value: str, where: str) -> dict[str, Any]:
        return {"ByteMatchStatement": {"FieldToMatch": field, "SearchString": value,
                                       "PositionalConstraint": where,
                                       "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}

    bookings = {"AndStatement": {"Statements": [matches({"Method": {}}, "POST", "EXACTLY"),
                                                matches({"UriPath": {}}, "/bookings", "ENDS_WITH")]}}
    acl = {
        "Type": "AWS::WAFv2::WebACL",
        "Condition": "WafEnabled",
        "Properties": {
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "CustomResponseBodies": {"too-many": {"ContentType": "APPLICATION_JSON", "Content": too_many}},
            "Rules": [
                rate_rule("booking-attempts-per-ip", 0, "WafBookingsPerIpPer5Minutes", bookings),
                rate_rule("requests-per-ip", 1, "WafRequestsPerIpPer5Minutes", None),
                {"Name": "aws-ip-reputation", "Priority": 2, "OverrideAction": {"None": {}},
                 "Statement": {"ManagedRuleGroupStatement": {
                     "VendorName": "AWS", "Name": "AWSManagedRulesAmazonIpReputationList"}},
                 "VisibilityConfig": visibility("aws-ip-reputation")},
            ],
            "VisibilityConfig": visibility(_sub("${AWS::StackName}-api")),
        },
    }
    association = {
        "Type": "AWS::WAFv2::WebACLAssociation",
        "Condition": "WafEnabled",
        "Properties": {
            # ${RestAPI.Stage}: SAM's reference to the stage it creates, which also orders the two.
            "ResourceArn": _sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/"
                                f"${{{API_ID}}}/stages/${{{API_ID}.Stage}}"),
            "WebACLArn": {"Fn::GetAtt": ["ApiWebAcl", "Arn"]},
        },
    }
    return {"ApiWebAcl": acl, "ApiWebAclAssociation": association}


def parameters(env: dict[str, str]) -> dict[str, Any]:
    sender = env.get("SCHEDULER_SENDER_EMAIL", "no-reply@example.org")
    return {
        "SenderDomains": {
            "Type": "CommaDelimitedList", "Default": sender.rpartition("@")[2],
            "Description": "Domains (verified in SES in this region) the offices send from; the functions "
                           "may send from addresses in these only. Default: the stage's sender domain.",
        },
        "SecretsPath": {
            "Type": "String", "Default": env.get("SCHEDULER_SECRETS_PATH", "/citizen-scheduler"),
            "AllowedPattern": "^(/[A-Za-z0-9_.-]+)+$",
            "Description": "SSM Parameter Store path of the secrets (SecureString): <path>/jitsi-secret.",
        },
        "ApiThrottlingRateLimit": {"Type": "Number", "Default": 50, "MinValue": 1,
                                   "Description": "API Gateway: steady requests per second, all clients."},
        "ApiThrottlingBurstLimit": {"Type": "Number", "Default": 100, "MinValue": 1,
                                    "Description": "API Gateway: burst of requests, all clients."},
        "EnableWaf": {"Type": "String", "Default": "true", "AllowedValues": ["true", "false"],
                      "Description": "Put a WAF web ACL (per-IP rate limits, IP reputation) before the API."},
        "WafRequestsPerIpPer5Minutes": {"Type": "Number", "Default": 600, "MinValue": 10,
                                        "Description": "WAF: requests one IP may make in 5 minutes."},
        "WafBookingsPerIpPer5Minutes": {"Type": "Number", "Default": 20, "MinValue": 10,
                                        "Description": "WAF: booking attempts per IP in 5 min."},
        "TableMaxReadRequestUnits": {"Type": "Number", "Default": 2000, "MinValue": 1,
                                     "Description": "DynamoDB on-demand ceiling: read units/s."},
        "TableMaxWriteRequestUnits": {"Type": "Number", "Default": 1000, "MinValue": 1,
                                      "Description": "DynamoDB on-demand ceiling: write units/s."},
    }


def merge_template(stage: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    config = config or load_config()
    env = stage_environment(config, stage)
    if "SCHEDULER_TABLE" not in env:
        raise SystemExit(f"stage {stage!r} has no SCHEDULER_TABLE in {CONFIG}")
    resources: dict[str, Any] = {TABLE_ID: table_resource(env["SCHEDULER_TABLE"], stage)}
    retention = config["stages"][stage].get("log_retention_in_days", config.get("log_retention_in_days"))
    for name, (logical_id, _, _) in FUNCTIONS.items():
        if retention:
            # Chalice names the API handler's log group after ${ApiHandler}, which does not exist
            # (the function is APIHandler); by name, the group also exists before its function runs.
            resources[to_cfn_resource_name(name) + "LogGroup"] = {"Properties": {
                "LogGroupName": _sub("/aws/lambda/${AWS::StackName}-" + name)}}
        resources[logical_id] = {"Properties": {
            # Named, so that the policies can name their log groups: <stack>-<function>.
            "FunctionName": _sub("${AWS::StackName}-" + name),
            # Merged key by key into what Chalice writes from config.json: these two only the stack knows.
            "Environment": {"Variables": {"SCHEDULER_TABLE": {"Ref": TABLE_ID},
                                          "SCHEDULER_SECRETS_PATH": {"Ref": "SecretsPath"}}},
        }}
    resources[API_ID] = {"Properties": {
        "MethodSettings": [{
            "ResourcePath": "/*", "HttpMethod": "*",
            "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
        }],
        # Merged key by key into the OpenAPI document Chalice writes.
        "DefinitionBody": {"x-amazon-apigateway-gateway-responses": gateway_responses()},
    }}
    resources.update(web_acl())
    return {
        "Description": f"Citizen office scheduler ({stage}): API, scheduled sweeps, one DynamoDB table.",
        "Parameters": parameters(env),
        "Conditions": {"WafEnabled": {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}},
        "Resources": resources,
        "Outputs": {
            "TableName": {"Value": {"Ref": TABLE_ID}},
            "TableArn": {"Value": {"Fn::GetAtt": [TABLE_ID, "Arn"]}},
        },
    }


def policy_files() -> dict[str, dict[str, Any]]:
    """File name (in .chalice/) -> policy document."""
    return {policy: policy_document(grants) for _, policy, grants in FUNCTIONS.values()}


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_policy_files(folder: Path = CONFIG.parent) -> list[Path]:
    """Write the policy files (only those that changed, so a clean tree stays clean)."""
    written = []
    for name, document in policy_files().items():
        path = folder / name
        text = dumps(document)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def write_merge_template(stage: str, output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(dumps(merge_template(stage)), encoding="utf-8")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--output", type=Path, required=True, help="where to write the merge template (JSON)")
    args = parser.parse_args(argv)
    write_merge_template(args.stage, args.output)
    for path in write_policy_files():
        print(f"updated {path.relative_to(ROOT)}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
