"""The composition root: builds the adapters once, lazily, from settings.

Tests swap the whole container with ``use(container)``.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import settings as settings_module
from .settings import Settings
from .usecases.booking import Deps

_lock = threading.Lock()
_current: Container | None = None


@dataclass
class Container:
    settings: Settings
    offices: Any
    bookings: Any
    video: Any
    clock: Callable[[], datetime]
    new_id: Callable[[], str] = field(default=lambda: _new_id())
    new_token: Callable[[], str] = field(default=lambda: secrets.token_hex(32))  # 256 bits

    def now(self) -> datetime:
        return self.clock()

    def booking_deps(self) -> Deps:
        return Deps(offices=self.offices, bookings=self.bookings, clock=self.clock, new_id=self.new_id,
                    new_token=self.new_token, video=self.video, public_url=self.settings.public_url)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _new_id() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32 (sortable by creation)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def build(settings: Settings) -> Container:
    from .adapters.dynamodb import models
    from .adapters.dynamodb.bookings import BookingStore
    from .adapters.dynamodb.offices import OfficeStore
    from .adapters.video import JitsiMeet

    models.configure(settings.table_name, settings.region, settings.aws_endpoint)
    fixed = settings.fixed_now
    clock = (lambda: fixed) if fixed is not None else (lambda: datetime.now(UTC))
    video = JitsiMeet(settings.video_base_url, settings.jitsi_secret, settings.jitsi_app_id)
    return Container(settings=settings, offices=OfficeStore(), bookings=BookingStore(), video=video, clock=clock)


def container() -> Container:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = build(settings_module.load())
    return _current


def use(replacement: Container | None) -> None:
    """Install a container (tests), or ``None`` to build from settings again."""
    global _current
    _current = replacement
