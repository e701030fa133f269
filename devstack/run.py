"""`make run`: emulator + table + demo offices + ``chalice local``, stopped cleanly on Ctrl-C or SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .emulator import FAKE_CREDENTIALS, Emulator

ROOT = Path(__file__).resolve().parent.parent
OFFICES = sorted((ROOT / "config" / "offices").glob("*.yaml"))


def local_environment(emulator_url: str, port: int) -> dict[str, str]:
    """What the app needs to reach the emulator (the stage's own values come from .chalice/config.json)."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "SCHEDULER_AWS_ENDPOINT": emulator_url,
        "SCHEDULER_TABLE": "scheduler-local",
        "SCHEDULER_STAGE": "local",
        "SCHEDULER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SCHEDULER_OUTBOX_DIR": str(ROOT / "var" / "outbox"),
    }


def verify_senders(emulator_url: str, addresses: list[str]) -> None:
    """The emulator's SES, like SES in its sandbox, sends only from verified identities."""
    import boto3

    ses = boto3.client("sesv2", endpoint_url=emulator_url, region_name="eu-west-1")
    for address in addresses:
        ses.create_email_identity(EmailIdentity=address)


def sweep_forever(stop: threading.Event, seconds: float) -> None:
    """What EventBridge does in AWS every 5 minutes, here every few seconds: reminders and retries."""
    from chalicelib.api.schedule import sync_all
    from chalicelib.bootstrap import container
    from chalicelib.usecases.delivery import sweep

    while not stop.wait(seconds):
        try:
            sync_all(container())
            report = sweep(container().delivery())
            if report.sent or report.failed:
                print(f"sweep: {report.sent} sent, {report.failed} failed", flush=True)
        except Exception as error:  # noqa: BLE001 - keep sweeping; the outbox keeps the messages
            print(f"sweep failed: {type(error).__name__}: {error}", flush=True)


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"chalice local exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"chalice local did not answer on {url}")


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    emulator = Emulator(port=int(os.environ.get("EMULATOR_PORT", "0"))).start()
    os.environ.update(local_environment(emulator.url, port))
    from chalicelib import bootstrap, cli

    bootstrap.use(None)
    cli.create_table()
    office_ids = [cli.load_office(str(path)) for path in OFFICES]
    offices = [bootstrap.container().offices.get(office_id) for office_id in office_ids]
    verify_senders(emulator.url, sorted({os.environ.get("SCHEDULER_SENDER_EMAIL", "no-reply@example.org"),
                                         *(o.messaging.sender_email for o in offices if o.messaging.sender_email)}))

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sweeper = threading.Thread(target=sweep_forever, name="sweep", daemon=True,
                               args=(stop, float(os.environ.get("SCHEDULER_SWEEP_SECONDS", "20"))))
    sweeper.start()
    chalice = subprocess.Popen(
        [str(Path(sys.executable).parent / "chalice"), "local", "--no-autoreload", "--stage", "local",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env={**os.environ}, start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/v1/offices/{office_ids[0]}", chalice)
        print("\nThe local stack is up (Ctrl-C stops everything):")
        for office_id in office_ids:
            print(f"  Booking page: {base}/book/{office_id}")
        print(f"  Staff page:   {base}/staff   (sign in with a token below)")
        for office_id in office_ids:
            print(f"  Office API:   {base}/v1/offices/{office_id}")
        print(f"  API document: {base}/v1/openapi.json")
        print(f"  Outbox:       {base}/dev/outbox   (e-mails also as .eml files in var/outbox/)")
        print(f"  AWS emulator (DynamoDB, SES, SNS): {emulator.url}")
        agent = next(iter(offices[0].agents))
        print(f"\nStaff tokens for {office_ids[0]} (12 hours; more with `python -m chalicelib.cli staff-token`):")
        print(f"  agent {agent}:  {cli.staff_token(agent, 'agent', office_ids[0])}")
        print(f"  supervisor:       {cli.staff_token('supervisor', 'supervisor', office_ids[0])}")
        print(f"  try: curl -H 'Authorization: Bearer <token>' {base}/v1/staff/agenda")
        print(flush=True)
        while not stop.is_set() and chalice.poll() is None:
            stop.wait(0.5)
    finally:
        if chalice.poll() is None:
            os.killpg(chalice.pid, signal.SIGTERM)
            try:
                chalice.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(chalice.pid, signal.SIGKILL)
                chalice.wait()
        emulator.stop()
        print("stopped: chalice local and the emulator are down, ports are free")
    return 0
