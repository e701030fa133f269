"""Cold import of ``app`` in a fresh interpreter, as a ratio to boto3 + pynamodb + icalendar alone."""
from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from bench.report import emit

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15
PROBE = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"


def cold(statement: str, cwd: Path = ROOT) -> float:
    runs = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", PROBE.format(statement)], cwd=cwd, check=True,
                             capture_output=True, text=True).stdout
        runs.append(float(out.strip().splitlines()[-1]) * 1000)
    return statistics.median(runs)


# What a first slot request loads on top of ``app`` (imported lazily, so not at cold start).
REQUEST_PATH = "import chalicelib.adapters.dynamodb.offices"


def ratio(app_dir: Path, label: str) -> None:
    baseline = cold("import boto3, pynamodb.models, icalendar")
    app = cold("import app", cwd=app_dir)
    emit(f"{label}.cold_import_ratio", round(app / baseline, 2), "ratio", "<= 1.3",
         app_ms=round(app, 1), baseline_ms=round(baseline, 1), runs=RUNS)
    first = cold(f"import app; {REQUEST_PATH}", cwd=app_dir)
    emit(f"{label}.cold_import_ratio_with_first_request_modules", round(first / baseline, 2), "ratio", None,
         app_ms=round(first, 1), baseline_ms=round(baseline, 1), runs=RUNS)


def main() -> None:
    ratio(ROOT, "app")


if __name__ == "__main__":
    main()
