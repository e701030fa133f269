"""Scheduled work: the outbox sweep (reminders, retries, expired leases) every 5 minutes."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from ..bootstrap import container
from ..usecases.delivery import sweep

bp = Blueprint(__name__)
log = logging.getLogger("scheduler.sweep")


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_outbox(event: object) -> dict:
    report = sweep(container().delivery())
    log.info("sweep", extra={"sent": report.sent, "failed": report.failed, "skipped": report.skipped})
    return {"sent": report.sent, "failed": report.failed, "skipped": report.skipped}
