"""Operator commands: ``python -m chalicelib.cli COMMAND``.

  load-office FILE.yaml   validate an office file and store it in the table
  check-office FILE.yaml  validate only (no AWS access)
  create-table            create the table if it does not exist
  failed-messages         messages that ran out of attempts (no contents), as JSON lines
  staff-token AGENT_ID [--role supervisor] [--office ID]
                          a staff token for the local stage (HS256, local secret)
  run                     the local stack (what `make run` does)
"""
from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def read_office_file(path: str) -> dict[str, Any]:
    """Parse YAML and validate; exits with every problem as ``file: path: reason``."""
    import yaml

    from .scheduling.config import InvalidOfficeConfig, parse_office

    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SystemExit(f"{path}: {error}") from None
    try:
        parse_office(document)
    except InvalidOfficeConfig as error:
        raise SystemExit("\n".join(f"{path}: {problem}" for problem in error.problems)) from None
    return document


def load_office(path: str) -> str:
    from .bootstrap import container

    document = read_office_file(path)
    office = container().offices.put(document, datetime.now(UTC))
    return office.id


def staff_token(agent_id: str, role: str = "agent", office_id: str | None = None) -> str:
    from .adapters.staff_auth import StaffAuth, StaffAuthConfig
    from .settings import load

    settings = load()
    if not settings.staff_jwt_secret:
        raise SystemExit("staff-token issues local-stage tokens only (SCHEDULER_STAGE=local)")
    auth = StaffAuth(StaffAuthConfig(issuer=settings.staff_jwt_issuer, local_secret=settings.staff_jwt_secret))
    return auth.issue_local(office_id or settings.default_office, agent_id, role, datetime.now(UTC))


def create_table() -> None:
    import boto3

    from .adapters.dynamodb.table import create_table as create
    from .settings import load

    settings = load()
    client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.aws_endpoint)
    create(client, settings.table_name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("load-office", "check-office"):
        commands.add_parser(name).add_argument("file")
    commands.add_parser("create-table")
    commands.add_parser("failed-messages")
    token = commands.add_parser("staff-token")
    token.add_argument("agent_id")
    token.add_argument("--role", choices=["agent", "supervisor"], default="agent")
    token.add_argument("--office", default=None)
    commands.add_parser("run")
    args = parser.parse_args(argv)
    if args.command == "check-office":
        read_office_file(args.file)
        print(f"{args.file}: valid")
    elif args.command == "load-office":
        print(f"loaded office {load_office(args.file)}")
    elif args.command == "create-table":
        create_table()
    elif args.command == "failed-messages":
        import json

        from .bootstrap import container

        for failure in container().outbox.failures():
            print(json.dumps(failure))
    elif args.command == "staff-token":
        print(staff_token(args.agent_id, args.role, args.office))
    elif args.command == "run":
        from devstack.run import main as run

        return run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
