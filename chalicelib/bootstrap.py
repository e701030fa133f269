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
from pathlib import Path
from typing import Any

from . import settings as settings_module
from .settings import Settings
from .usecases.booking import Deps
from .usecases.delivery import Delivery, deliver
from .usecases.limits import sms_gate
from .usecases.staff import StaffDeps

_lock = threading.Lock()
_current: Container | None = None


@dataclass
class Container:
    settings: Settings
    offices: Any
    bookings: Any
    video: Any
    clock: Callable[[], datetime]
    outbox: Any = None
    email: Any = None
    sms: Any = None
    staff: Any = None
    staff_auth: Any = None
    limits: Any = None
    new_id: Callable[[], str] = field(default=lambda: _new_id())
    new_token: Callable[[], str] = field(default=lambda: secrets.token_urlsafe(24))  # 192 bits, 32 chars

    def now(self) -> datetime:
        return self.clock()

    def delivery(self) -> Delivery:
        from .observability import metric

        return Delivery(outbox=self.outbox, email=self.email, sms=self.sms, clock=self.clock,
                        new_claim=lambda: secrets.token_hex(8),
                        metric=lambda name, value, unit="Count", office_id=None: metric(name, value, unit, office_id),
                        sms_refusal=sms_gate(self.limits, self.offices, self.clock,
                                             lambda name, value, unit="Count", office_id=None: metric(
                                                 name, value, unit, office_id)))

    def staff_deps(self) -> StaffDeps:
        return StaffDeps(booking=self.booking_deps(), staff=self.staff, outbox=self.outbox)

    def booking_deps(self) -> Deps:
        return Deps(offices=self.offices, bookings=self.bookings, clock=self.clock, new_id=self.new_id,
                    new_token=self.new_token, video=self.video, public_url=self.settings.public_url,
                    sender_email=self.settings.sender_email, deliver=lambda messages: deliver(self.delivery(), messages),
                    limits=self.limits, sms_countries=frozenset(self.settings.sms_allowed_countries))


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _new_id() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32 (sortable by creation)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def build(settings: Settings) -> Container:
    from .adapters.dynamodb import models
    from .adapters.dynamodb.bookings import BookingStore
    from .adapters.dynamodb.limits import LimitStore
    from .adapters.dynamodb.offices import OfficeStore
    from .adapters.dynamodb.outbox import OutboxStore
    from .adapters.dynamodb.staff import StaffStore
    from .adapters.notify import LocalCopy, SesEmail, SnsSms
    from .adapters.secrets import jitsi_video
    from .adapters.staff_auth import StaffAuth, StaffAuthConfig

    models.configure(settings.table_name, settings.region, settings.aws_endpoint)
    fixed = settings.fixed_now
    clock = (lambda: fixed) if fixed is not None else (lambda: datetime.now(UTC))
    video = jitsi_video(settings)  # JitsiMeet, built on first use; its JWT secret from SSM in AWS
    email: Any = SesEmail(_client("sesv2", settings))
    sms: Any = SnsSms(_client("sns", settings), settings.sms_sender_id)
    if settings.outbox_dir:
        email, sms = LocalCopy(email, Path(settings.outbox_dir)), LocalCopy(sms, Path(settings.outbox_dir))
    staff_auth = StaffAuth(StaffAuthConfig(issuer=settings.staff_jwt_issuer, local_secret=settings.staff_jwt_secret,
                                           jwks_url=settings.staff_jwks_url))
    return Container(settings=settings, offices=OfficeStore(), bookings=BookingStore(), video=video, clock=clock,
                     outbox=OutboxStore(), email=email, sms=sms, staff=StaffStore(), staff_auth=staff_auth,
                     limits=LimitStore())


def _client(service: str, settings: Settings) -> Callable[[], Any]:
    """A boto3 client built on first use (most requests send nothing)."""
    made: list[Any] = []

    def get() -> Any:
        if not made:
            import boto3

            made.append(boto3.client(service, region_name=settings.region, endpoint_url=settings.aws_endpoint))
        return made[0]

    return get


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
