"""The composition root: builds the adapters once, lazily, from settings.

Tests swap the whole container with ``use(container)``.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import settings as settings_module
from .settings import Settings

_lock = threading.Lock()
_current: Container | None = None


@dataclass
class Container:
    settings: Settings
    offices: object
    clock: Callable[[], datetime]
    extras: dict = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()


def build(settings: Settings) -> Container:
    from .adapters.dynamodb import models
    from .adapters.dynamodb.offices import OfficeStore

    models.configure(settings.table_name, settings.region, settings.aws_endpoint)
    fixed = settings.fixed_now
    clock = (lambda: fixed) if fixed is not None else (lambda: datetime.now(UTC))
    return Container(settings=settings, offices=OfficeStore(), clock=clock)


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
