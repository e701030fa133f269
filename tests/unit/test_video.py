"""Jitsi Meet video links: room names and optional JWT tokens."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from chalicelib.adapters.video import JitsiMeet, VideoLinks, VideoProvider

SECRET = "s3cret-shared-with-prosody-0123456789"
APP_ID = "scheduler"
START = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
END = START + timedelta(minutes=20)
NO_CLOCK = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


def fixed_bytes(n: int) -> bytes:
    return bytes(range(n))


def decode(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", options=NO_CLOCK)


def token_of(url: str) -> str:
    (token,) = parse_qs(urlsplit(url).query)["jwt"]
    return token


def test_room_is_deterministic_from_injected_bytes() -> None:
    room = JitsiMeet(random_bytes=fixed_bytes).new_room()
    assert room == base64.b32encode(bytes(range(20))).decode().lower()
    assert room == JitsiMeet(random_bytes=fixed_bytes).new_room()


def test_room_asks_for_160_bits_and_encodes_them_all() -> None:
    asked: list[int] = []

    def spy(n: int) -> bytes:
        asked.append(n)
        return b"\xff" * n

    room = JitsiMeet(random_bytes=spy).new_room()
    assert asked == [20]
    assert len(room) == 32  # 32 base32 characters * 5 bits = 160 bits >= 128
    assert room == room.lower() and room.isalnum() and "=" not in room
    assert base64.b32decode(room.upper()) == b"\xff" * 20


def test_rooms_from_real_randomness_differ() -> None:
    provider = JitsiMeet()
    rooms = {provider.new_room() for _ in range(50)}
    assert len(rooms) == 50


def test_short_random_bytes_are_refused() -> None:
    with pytest.raises(ValueError):
        JitsiMeet(random_bytes=lambda n: b"\x00" * 8).new_room()


def test_room_and_links_carry_no_office_or_personal_data() -> None:
    provider = JitsiMeet(random_bytes=fixed_bytes)
    room = provider.new_room()
    links = provider.links(room, START, END, "Agent Smith")
    for value in ("office", "tarragona", "smith"):
        assert value not in room.lower()
    assert "smith" not in links.citizen_url.lower()


def test_links_without_jwt_are_plain_and_equal() -> None:
    provider = JitsiMeet(random_bytes=fixed_bytes)
    room = provider.new_room()
    links = provider.links(room, START, END, "Agent Smith")
    assert links == VideoLinks(
        citizen_url=f"https://meet.jit.si/{room}", agent_url=f"https://meet.jit.si/{room}"
    )


def test_base_url_trailing_slash_tolerated() -> None:
    links = JitsiMeet(base_url="https://video.example.org/").links("abc", START, END, "A")
    assert links.citizen_url == "https://video.example.org/abc"


def test_jitsi_satisfies_protocol() -> None:
    provider: VideoProvider = JitsiMeet()
    assert isinstance(provider.new_room(), str)


def make_jwt_provider() -> JitsiMeet:
    return JitsiMeet(
        base_url="https://video.example.org/", jwt_secret=SECRET, jwt_app_id=APP_ID, random_bytes=fixed_bytes
    )


def test_jwt_links_point_at_room_and_carry_tokens() -> None:
    provider = make_jwt_provider()
    room = provider.new_room()
    links = provider.links(room, START, END, "Agent Smith")
    for url in (links.citizen_url, links.agent_url):
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "video.example.org", f"/{room}")
    assert links.citizen_url != links.agent_url


def test_jwt_claims_are_signed_and_bounded_around_the_appointment() -> None:
    provider = make_jwt_provider()
    room = provider.new_room()
    links = provider.links(room, START, END, "Agent Smith")
    for url in (links.citizen_url, links.agent_url):
        claims = decode(token_of(url))
        assert claims["aud"] == "jitsi"
        assert claims["iss"] == APP_ID
        assert claims["sub"] == "video.example.org"
        assert claims["room"] == room
        assert claims["nbf"] == int((START - timedelta(minutes=15)).timestamp())
        assert claims["exp"] == int((END + timedelta(minutes=60)).timestamp())
        assert isinstance(claims["nbf"], int) and isinstance(claims["exp"], int)
        assert claims.get("iat", claims["nbf"]) == claims["nbf"]  # never the real clock


def test_tokens_are_deterministic_so_no_clock_is_read() -> None:
    a = make_jwt_provider().links("room", START, END, "Agent")
    b = make_jwt_provider().links("room", START, END, "Agent")
    assert a == b


def test_moderator_flags_differ_and_citizen_is_anonymous() -> None:
    links = make_jwt_provider().links("room", START, END, "Agent Smith")
    citizen = decode(token_of(links.citizen_url))["context"]["user"]
    agent = decode(token_of(links.agent_url))["context"]["user"]
    assert citizen["moderator"] is False
    assert agent == {"name": "Agent Smith", "moderator": True}
    assert "Smith" not in str(citizen)


def test_wrong_secret_or_audience_is_rejected() -> None:
    links = make_jwt_provider().links("room", START, END, "Agent")
    token = token_of(links.citizen_url)
    with pytest.raises(jwt.InvalidSignatureError):
        other = "another-secret-of-sufficient-length!"
        jwt.decode(token, other, algorithms=["HS256"], audience="jitsi", options=NO_CLOCK)
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, SECRET, algorithms=["HS256"], audience="other", options=NO_CLOCK)


def test_token_is_rejected_outside_its_window() -> None:
    token = token_of(make_jwt_provider().links("room", START, END, "Agent").citizen_url)
    with pytest.raises(jwt.ExpiredSignatureError):  # appointments in 2025 are long over by the test clock
        jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_iat": False})


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        make_jwt_provider().links("room", START.replace(tzinfo=None), END.replace(tzinfo=None), "Agent")


def test_jwt_secret_requires_app_id() -> None:
    with pytest.raises(ValueError):
        JitsiMeet(jwt_secret=SECRET)


def test_jwt_is_imported_lazily() -> None:
    code = (
        "import sys, datetime as d; from chalicelib.adapters.video import JitsiMeet; "
        "t = d.datetime(2025, 1, 1, tzinfo=d.timezone.utc); "
        "JitsiMeet().links('r', t, t, 'a'); assert 'jwt' not in sys.modules"
    )
    root = Path(__file__).resolve().parents[2]
    paths = [str(root), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
