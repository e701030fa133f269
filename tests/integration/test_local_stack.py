"""`make run`: the whole local stack serves the demo offices, and SIGTERM leaves nothing behind."""
from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from tests.conftest import ROOT

UP_WITHIN = 90  # seconds; the emulator, the table, two offices and chalice local


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def read_until(lines: queue.Queue, marker: str, deadline: float) -> list[str]:
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError("the stack did not come up:\n" + "".join(seen[-40:]))


def test_make_run_serves_the_demo_and_stops_cleanly_on_sigterm():
    port = free_port()
    env = {**os.environ, "PORT": str(port), "SCHEDULER_FIXED_NOW": "2027-03-01T08:00:00Z"}
    process = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "run"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [*map(lines.put, process.stdout), lines.put(None)], daemon=True).start()
    try:
        printed = "".join(read_until(lines, "Staff tokens", time.monotonic() + UP_WITHIN))
        booking_page = re.search(r"Booking page: (\S+/book/salou-oac)", printed).group(1)
        emulator_port = int(re.search(r"AWS emulator \(DynamoDB, SES, SNS\): http://127\.0\.0\.1:(\d+)", printed)
                            .group(1))
        assert booking_page == f"http://127.0.0.1:{port}/book/salou-oac"
        with urllib.request.urlopen(booking_page, timeout=10) as page:
            assert page.status == 200 and "text/html" in page.headers["Content-Type"]
        slots_url = (f"http://127.0.0.1:{port}/v1/offices/salou-oac/services/e-office-assistance/slots"
                     "?from=2027-03-22&to=2027-03-22")
        with urllib.request.urlopen(slots_url, timeout=10) as answer:
            assert json.load(answer)["slots"][0]["start"] == "2027-03-22T08:00:00Z"  # 09:00 in Madrid
        assert listening(port) and listening(emulator_port)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    time.sleep(0.5)
    assert not listening(port) and not listening(emulator_port)
    try:
        os.killpg(process.pid, 0)  # anything left of the session it started?
        raise AssertionError("a process of the local stack outlived it")
    except ProcessLookupError:
        pass
