"""Video links for remote appointments: a provider interface and Jitsi Meet.

Room names are random (160 bits) and carry no personal data nor office ids.
For a self-hosted Jitsi with token authentication, each link carries a
short-lived HS256 JWT valid only around the appointment.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

ROOM_BYTES = 20  # 160 random bits
TOKEN_OPENS_BEFORE = timedelta(minutes=15)
TOKEN_CLOSES_AFTER = timedelta(minutes=60)
GUEST_NAME = "Guest"


@dataclass(frozen=True)
class VideoLinks:
    """The citizen's link and the agent's (moderator) link for one room."""

    citizen_url: str
    agent_url: str  # moderator link where the provider has one, else same as citizen_url


class VideoProvider(Protocol):
    """A video-call provider: makes unguessable rooms and links into them."""

    def new_room(self) -> str:
        """Return a new opaque, unguessable room name."""
        ...

    def links(self, room: str, start: datetime, end: datetime, agent_name: str) -> VideoLinks:
        """Return the links for ``room``, an appointment from ``start`` to ``end``."""
        ...


class JitsiMeet:
    """Jitsi Meet (public or self-hosted), optionally with JWT token authentication."""

    def __init__(
        self,
        base_url: str = "https://meet.jit.si",
        jwt_secret: str | None = None,
        jwt_app_id: str | None = None,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        base = base_url.rstrip("/")
        host = urlsplit(base).hostname
        if not host:
            raise ValueError(f"base_url has no host: {base_url!r}")
        if jwt_secret and not jwt_app_id:
            raise ValueError("jwt_app_id is required with jwt_secret")
        self._base = base
        self._host = host
        self._secret = jwt_secret or None
        self._app_id = jwt_app_id
        self._random_bytes = random_bytes

    def new_room(self) -> str:
        """Return 160 random bits as lowercase base32 without padding (32 characters)."""
        raw = self._random_bytes(ROOM_BYTES)
        if len(raw) < ROOM_BYTES:
            raise ValueError(f"random_bytes returned {len(raw)} bytes, need {ROOM_BYTES}")
        return base64.b32encode(raw[:ROOM_BYTES]).decode("ascii").rstrip("=").lower()

    def links(self, room: str, start: datetime, end: datetime, agent_name: str) -> VideoLinks:
        """Return the room URL; with a JWT secret, a guest token and a moderator token."""
        url = f"{self._base}/{room}"
        if self._secret is None:
            return VideoLinks(citizen_url=url, agent_url=url)
        citizen = self._token(room, start, end, {"name": GUEST_NAME, "moderator": False})
        agent = self._token(room, start, end, {"name": agent_name, "moderator": True})
        return VideoLinks(citizen_url=f"{url}?jwt={citizen}", agent_url=f"{url}?jwt={agent}")

    def _token(self, room: str, start: datetime, end: datetime, user: dict[str, Any]) -> str:
        import jwt  # lazy: keeps cold starts cheap when no token is needed

        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if end < start:
            raise ValueError("end is before start")
        nbf = int((start - TOKEN_OPENS_BEFORE).timestamp())
        claims = {
            "aud": "jitsi",
            "iss": self._app_id,
            "sub": self._host,
            "room": room,
            "iat": nbf,  # never read the clock: issued "as of" the opening time
            "nbf": nbf,
            "exp": int((end + TOKEN_CLOSES_AFTER).timestamp()),
            "context": {"user": user},
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")
