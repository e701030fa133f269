"""The prod deployment package: its zip size, how long packaging takes, and the packaged app's cold import.

Packages the prod stage as ``make package`` does (chalice package, then the pruning pass), into a
temporary folder; unzips the deployment package and times ``import app`` there in fresh
interpreters (the zip's packages come first on the path), against boto3 + pynamodb + icalendar
alone, with the helpers of ``bench/imports.py``.
"""
from __future__ import annotations

import tempfile
import time
import zipfile
from pathlib import Path

from bench.imports import ratio
from bench.report import emit

MB = 1024 * 1024


def main() -> None:
    from infra import package

    with tempfile.TemporaryDirectory(prefix="bench-package-") as folder:
        started = time.perf_counter()
        sam = package.build("prod", Path(folder) / "package", update_policy_files=False)
        seconds = time.perf_counter() - started
        zip_path = sam.parent / "deployment.zip"
        with zipfile.ZipFile(zip_path) as zipped:
            unzipped = sum(info.file_size for info in zipped.infolist())
            zipped.extractall(Path(folder) / "app")
        emit("package.deployment_zip_size", round(zip_path.stat().st_size / MB, 1), "MB", "<= 20",
             unzipped_mb=round(unzipped / MB, 1), lambda_unzipped_limit_mb=250)
        emit("package.build_time", round(seconds, 1), "s", None,
             note="chalice package (wheels cached in .chalice/deployments) + pruning")
        ratio(Path(folder) / "app", "package")


if __name__ == "__main__":
    main()
