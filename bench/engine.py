"""Pure engine time: 60 days x 7 agents x 1,000 bookings (no I/O), median of repeated runs."""
from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bench.report import emit
from chalicelib.scheduling.availability import find_slots
from chalicelib.scheduling.config import parse_office
from chalicelib.scheduling.holidays import closed_dates

ROOT = Path(__file__).resolve().parent.parent
FIRST, DAYS, BOOKINGS, RUNS = date(2027, 3, 1), 60, 1000, 41


def main() -> None:
    office = parse_office(yaml.safe_load((ROOT / "config/offices/salou-oac.yaml").read_text(encoding="utf-8")))
    tz = ZoneInfo(office.timezone)
    agents = list(office.agents)
    workdays = [FIRST + timedelta(days=i) for i in range(DAYS) if (FIRST + timedelta(days=i)).weekday() < 5]
    busy: dict[str, list[tuple[int, int]]] = {a: [] for a in agents}
    for n in range(BOOKINGS):
        day = workdays[n % len(workdays)]
        agent = agents[(n // len(workdays)) % len(agents)]
        slot = n // (len(workdays) * len(agents))
        start = int(datetime(day.year, day.month, day.day, 9, tzinfo=tz).timestamp()) + slot * 1800
        busy[agent].append((start, start + 1800))
    last = FIRST + timedelta(days=DAYS - 1)
    closed = closed_dates(office.holidays, FIRST, last)
    now = datetime(2027, 2, 20, 8, tzinfo=UTC)
    for service_id in ("general-information", "e-office-assistance"):
        service = office.services[service_id]
        timings, found = [], 0
        for _ in range(RUNS):
            started = time.perf_counter()
            found = len(find_slots(office, service, FIRST, last, now, closed, busy))
            timings.append((time.perf_counter() - started) * 1000)
        emit("engine.find_slots_60d_7agents_1000bookings", round(statistics.median(timings), 2), "ms",
             "<= 20", service=service_id, slots=found, runs=RUNS)


if __name__ == "__main__":
    main()
