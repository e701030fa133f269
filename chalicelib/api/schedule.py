"""Scheduled work: the outbox sweep (reminders, retries, expired leases) every 5 minutes."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from .. import observability
from ..bootstrap import container
from ..usecases.busy_sync import sync_office
from ..usecases.delivery import sweep

bp = Blueprint(__name__)
log = logging.getLogger("scheduler.sweep")


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_outbox(event: object) -> dict:
    observability.configure()
    report = sweep(container().delivery())
    log.info("sweep", extra={"sent": report.sent, "failed": report.failed, "skipped": report.skipped})
    return {"sent": report.sent, "failed": report.failed, "skipped": report.skipped}


@bp.schedule(Rate(15, unit=Rate.MINUTES))
def sync_busy_calendars(event: object) -> dict:
    return sync_all(container())


def sync_all(c) -> dict:
    """Every office's agents' busy calendars; private addresses only in the local stage."""
    from ..adapters.calendar_fetch import fetch_calendar

    local = c.settings.stage in ("local", "test")
    totals = {"agents": 0, "failed": 0, "days_written": 0}
    for office_id in c.offices.ids():
        report = sync_office(c.offices.get(office_id), c.staff, c.clock,
                             lambda url: fetch_calendar(url, allow_private=local))
        totals = {k: totals[k] + getattr(report, k) for k in totals}
    log.info("busy calendars", extra=totals)
    return totals
