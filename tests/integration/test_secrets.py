"""Secrets come from SSM Parameter Store (the emulator's) in AWS stages, lazily and once per process."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import jwt
import pytest

from chalicelib import bootstrap, settings
from chalicelib.adapters.secrets import JITSI_SECRET, SecretStore, jitsi_video
from chalicelib.settings import ConfigurationError

START = datetime(2027, 3, 22, 8, tzinfo=UTC)
END = START + timedelta(minutes=30)
JITSI_KEY = "jitsi-shared-secret-of-32-bytes-or-more"
BOOTSTRAP_KEY = "another-jitsi-secret-of-32-bytes-or-more"
NO_CLOCK = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


@pytest.fixture
def ssm(emulator):
    return boto3.client("ssm", endpoint_url=emulator.url, region_name="eu-west-1")


@pytest.fixture
def path(ssm):
    """A fresh parameter path per test (the emulator lives for the whole run)."""
    return f"/citizen-scheduler/test-{uuid.uuid4().hex[:12]}"


class CountingClient:
    """A boto3 SSM client that counts GetParameter calls."""

    def __init__(self, client) -> None:
        self.client, self.calls = client, 0
        self.exceptions = client.exceptions

    def get_parameter(self, **kwargs):
        self.calls += 1
        assert kwargs["WithDecryption"] is True
        return self.client.get_parameter(**kwargs)


def aws_settings(emulator, path: str, **extra: str) -> settings.Settings:
    return settings.load({"SCHEDULER_STAGE": "prod", "SCHEDULER_SECRETS_PATH": path + "/",
                          "SCHEDULER_AWS_ENDPOINT": emulator.url, "AWS_REGION": "eu-west-1", **extra})


def test_a_secret_is_read_from_parameter_store_decrypted(emulator, ssm, path):
    ssm.put_parameter(Name=f"{path}/jitsi-secret", Value="from-ssm", Type="SecureString")
    store = SecretStore.from_settings(aws_settings(emulator, path))
    assert store.parameter_name(JITSI_SECRET) == f"{path}/jitsi-secret"
    assert store.require(JITSI_SECRET) == "from-ssm"


def test_a_secret_is_read_once_per_process(emulator, ssm, path):
    ssm.put_parameter(Name=f"{path}/jitsi-secret", Value="first", Type="SecureString")
    client = CountingClient(ssm)
    store = SecretStore("prod", path, lambda: client)
    assert [store.get(JITSI_SECRET) for _ in range(5)] == ["first"] * 5
    ssm.put_parameter(Name=f"{path}/jitsi-secret", Value="rotated", Type="SecureString", Overwrite=True)
    assert store.get(JITSI_SECRET) == "first" and client.calls == 1  # a new process sees "rotated"


def test_aws_stages_never_take_the_secret_from_the_environment(emulator, path):
    config = aws_settings(emulator, path, SCHEDULER_JITSI_SECRET="in-the-lambda-console")
    store = SecretStore.from_settings(config)
    assert store.get(JITSI_SECRET) is None  # not in SSM: absent, whatever the environment says
    with pytest.raises(ConfigurationError, match=f"{path}/jitsi-secret"):
        store.require(JITSI_SECRET)
    no_path = settings.load({"SCHEDULER_STAGE": "prod", "SCHEDULER_JITSI_SECRET": "in-the-lambda-console"})
    assert SecretStore.from_settings(no_path).get(JITSI_SECRET) is None


def test_local_stages_fall_back_to_the_environment():
    for stage in ("local", "test"):
        config = settings.load({"SCHEDULER_STAGE": stage, "SCHEDULER_JITSI_SECRET": "plain-env"})
        store = SecretStore(config.stage, config.secrets_path, lambda: pytest.fail("no SSM call expected"),
                            {JITSI_SECRET: config.jitsi_secret})
        assert store.get(JITSI_SECRET) == "plain-env"
        assert SecretStore.from_settings(config).get(JITSI_SECRET) == "plain-env"


def test_the_composition_root_calls_ssm_only_when_a_link_needs_the_secret(emulator, ssm, path):
    ssm.put_parameter(Name=f"{path}/jitsi-secret", Value=JITSI_KEY, Type="SecureString")
    config = aws_settings(emulator, path, SCHEDULER_JITSI_APP_ID="salou",
                          SCHEDULER_VIDEO_BASE_URL="https://meet.example.org")
    client = CountingClient(ssm)
    video = jitsi_video(config, SecretStore(config.stage, config.secrets_path, lambda: client))
    assert client.calls == 0  # built, nothing fetched: a slot listing never pays for the secret
    room = video.new_room()
    links = video.links(room, START, END, "Agent")
    video.links(video.new_room(), START, END, "Agent")
    assert client.calls == 1
    token = links.citizen_url.split("?jwt=", 1)[1]
    claims = jwt.decode(token, JITSI_KEY, algorithms=["HS256"], audience="jitsi",
                        options=NO_CLOCK)
    assert claims["room"] == room and claims["iss"] == "salou" and claims["sub"] == "meet.example.org"


def test_bootstrap_builds_jitsi_with_the_ssm_secret(emulator, ssm, path):
    ssm.put_parameter(Name=f"{path}/jitsi-secret", Value=BOOTSTRAP_KEY, Type="SecureString")
    container = bootstrap.build(aws_settings(emulator, path, SCHEDULER_JITSI_APP_ID="salou"))
    links = container.video.links(container.video.new_room(), START, END, "Agent")
    claims = jwt.decode(links.agent_url.split("?jwt=", 1)[1], BOOTSTRAP_KEY, algorithms=["HS256"],
                        audience="jitsi", options=NO_CLOCK)
    assert claims["context"]["user"]["moderator"] is True


def test_a_missing_secret_is_a_configuration_error_when_tokens_are_asked_for(emulator, path):
    video = jitsi_video(aws_settings(emulator, path, SCHEDULER_JITSI_APP_ID="salou"))
    with pytest.raises(ConfigurationError):
        video.links("room", START, END, "Agent")
    without_tokens = jitsi_video(aws_settings(emulator, path))  # no app id: public Jitsi, no secret needed
    assert "?jwt=" not in without_tokens.links("room", START, END, "Agent").citizen_url
