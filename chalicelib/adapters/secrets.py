"""Secrets: SSM Parameter Store in AWS, plain environment variables in the local stage and tests.

A secret is read on first use, never at import nor when the composition root is built, and kept
for the life of the process (a Lambda execution environment): one ``GetParameter`` per cold start
that needs it, none for the requests that do not. Names live under ``SCHEDULER_SECRETS_PATH``
(``/citizen-scheduler/prod/jitsi-secret``), stored as ``SecureString`` and read with
``WithDecryption=True``. No secret is ever read from a file in the repository.

- ``dev`` and ``prod``: SSM only (a secret in a Lambda environment variable shows in the console
  and in ``GetFunctionConfiguration``); no path configured means no secret.
- ``local`` and ``test``: SSM when ``SCHEDULER_SECRETS_PATH`` is set (the emulator serves SSM
  too), otherwise the plain environment variable, as the settings read it
  (``SCHEDULER_JITSI_SECRET``).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..settings import ConfigurationError, Settings

JITSI_SECRET = "jitsi-secret"
ENVIRONMENT_NAMES = {JITSI_SECRET: "SCHEDULER_JITSI_SECRET"}
LOCAL_STAGES = ("local", "test")


class SecretStore:
    """``get(name)``: the secret's value or ``None``; ``require(name)``: the value or a 503-worthy error."""

    def __init__(self, stage: str, path: str | None, client: Callable[[], Any],
                 local_values: Mapping[str, str | None] | None = None) -> None:
        self._stage, self._path, self._client = stage, path, client
        self._local = dict(local_values or {})  # from the environment: used in local stages only
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretStore:
        def client() -> Any:
            import boto3

            return boto3.client("ssm", region_name=settings.region, endpoint_url=settings.aws_endpoint)

        return cls(settings.stage, settings.secrets_path, client, {JITSI_SECRET: settings.jitsi_secret})

    def parameter_name(self, name: str) -> str | None:
        return f"{self._path}/{name}" if self._path else None

    def get(self, name: str) -> str | None:
        if name not in self._cache:
            with self._lock:
                if name not in self._cache:
                    self._cache[name] = self._read(name)
        return self._cache[name]

    def require(self, name: str) -> str:
        value = self.get(name)
        if not value:
            where = self.parameter_name(name) or ENVIRONMENT_NAMES.get(name, name)
            raise ConfigurationError(f"the secret {name!r} is not configured (expected at {where})")
        return value

    def _read(self, name: str) -> str | None:
        parameter = self.parameter_name(name)
        if parameter is None:
            if self._stage in LOCAL_STAGES:
                return self._local.get(name) or None
            return None
        ssm = self._client()
        try:
            return ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"] or None
        except ssm.exceptions.ParameterNotFound:
            return None


class Deferred:
    """Stands for the object ``factory`` builds, building it on first attribute access.

    The composition root wraps what needs a secret in it, so a cold start that never needs the
    secret (a slot listing, a sweep) never calls SSM.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._built: list[Any] = []
        self._lock = threading.Lock()

    def _target(self) -> Any:
        if not self._built:
            with self._lock:
                if not self._built:
                    self._built.append(self._factory())
        return self._built[0]

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._target(), attribute)


def jitsi_video(settings: Settings, store: SecretStore | None = None) -> Deferred:
    """Jitsi Meet with its JWT secret when ``SCHEDULER_JITSI_APP_ID`` asks for tokens, built on first use."""

    def build() -> Any:
        from .video import JitsiMeet

        secret = None
        if settings.jitsi_app_id:
            secret = (store or SecretStore.from_settings(settings)).require(JITSI_SECRET)
        return JitsiMeet(settings.video_base_url, secret, settings.jitsi_app_id)

    return Deferred(build)
