"""Settings, read from the environment when asked for, never at import.

Chalice's test client sets a stage's variables only during a request, and
Lambda may reuse a process: so the composition root calls ``load()`` lazily.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

LOCAL_STAFF_SECRET = "local-stage-only-staff-secret-never-in-aws"


class ConfigurationError(RuntimeError):
    """The deployment is misconfigured; the API answers 503 until it is fixed."""


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    region: str
    aws_endpoint: str | None
    fixed_now: datetime | None
    public_url: str
    default_office: str
    video_base_url: str
    jitsi_app_id: str | None
    jitsi_secret: str | None
    sender_email: str
    sms_sender_id: str | None
    outbox_dir: str | None
    staff_jwt_issuer: str
    staff_jwt_secret: str | None
    staff_jwks_url: str | None
    frame_ancestors: tuple[str, ...] = ("'self'",)  # CSP sources that may embed the citizen pages
    secrets_path: str | None = None  # SSM Parameter Store path of the secrets, e.g. /citizen-scheduler/prod
    sms_allowed_countries: tuple[str, ...] = ("ES",)  # deployment default; each office file narrows it

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"


def load(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    stage = env.get("SCHEDULER_STAGE", "local")
    fixed = env.get("SCHEDULER_FIXED_NOW") or None
    fixed_now = None
    if fixed:
        if stage == "prod":
            raise ConfigurationError("SCHEDULER_FIXED_NOW is set in the prod stage; refusing to serve.")
        try:
            fixed_now = datetime.fromisoformat(fixed)
        except ValueError:
            raise ConfigurationError(f"SCHEDULER_FIXED_NOW is not an ISO 8601 instant: {fixed!r}") from None
        if fixed_now.tzinfo is None:
            raise ConfigurationError("SCHEDULER_FIXED_NOW needs a zone, e.g. 2027-03-01T08:00:00Z")
        fixed_now = fixed_now.astimezone(UTC)
    return Settings(
        stage=stage,
        table_name=env.get("SCHEDULER_TABLE", "scheduler"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1",
        aws_endpoint=env.get("SCHEDULER_AWS_ENDPOINT") or None,
        fixed_now=fixed_now,
        public_url=env.get("SCHEDULER_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        default_office=env.get("SCHEDULER_DEFAULT_OFFICE", "salou-oac"),
        video_base_url=env.get("SCHEDULER_VIDEO_BASE_URL", "https://meet.jit.si"),
        jitsi_app_id=env.get("SCHEDULER_JITSI_APP_ID") or None,
        jitsi_secret=env.get("SCHEDULER_JITSI_SECRET") or None,
        sender_email=env.get("SCHEDULER_SENDER_EMAIL", "no-reply@example.org"),
        sms_sender_id=env.get("SCHEDULER_SMS_SENDER_ID") or None,
        outbox_dir=env.get("SCHEDULER_OUTBOX_DIR") if stage == "local" else None,
        staff_jwt_issuer=env.get("SCHEDULER_STAFF_JWT_ISSUER", "citizen-scheduler-local"),
        # HS256 staff tokens exist only where no real identity provider does
        staff_jwt_secret=(env.get("SCHEDULER_STAFF_JWT_SECRET") or LOCAL_STAFF_SECRET) if stage in ("local", "test")
        else None,
        staff_jwks_url=env.get("SCHEDULER_STAFF_JWKS_URL") or None,
        frame_ancestors=tuple(env.get("SCHEDULER_FRAME_ANCESTORS", "").split()) or ("'self'",),
        secrets_path=(env.get("SCHEDULER_SECRETS_PATH") or "").rstrip("/") or None,
        sms_allowed_countries=tuple(env.get("SCHEDULER_SMS_ALLOWED_COUNTRIES", "ES").upper().replace(",", " ")
                                    .split()),
    )
