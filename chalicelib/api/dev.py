"""``GET /dev/outbox``: what citizens would have received, in the local stage only."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from ..bootstrap import container
from ..scheduling.errors import NotFound
from . import http

if TYPE_CHECKING:
    from email.message import EmailMessage

bp = Blueprint(__name__)


def _folder() -> Path:
    settings = container().settings
    if settings.stage != "local" or not settings.outbox_dir:
        raise NotFound("Not found.")
    return Path(settings.outbox_dir)


def _parse(raw: bytes) -> EmailMessage:  # the email package is loaded only here (local stage)
    import email
    from email import policy

    return email.message_from_bytes(raw, policy=policy.default)


@http.route(bp, "/dev/outbox", methods=["GET"])
def outbox() -> Response:
    folder = _folder()
    mails = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.exists() else []
    rows = []
    for path in mails:
        message = _parse(path.read_bytes())
        name = html.escape(path.stem)
        rows.append(f"<li><a href='/dev/outbox/{name}.eml'>{html.escape(str(message['Subject']))}</a> "
                    f"to {html.escape(str(message['To']))} · <a href='/dev/outbox/{name}.ics'>invite.ics</a></li>")
    sms_file = folder / "sms.jsonl"
    texts = [json.loads(line) for line in sms_file.read_text(encoding="utf-8").splitlines()] if sms_file.exists() else []
    sms = [f"<li>to {html.escape(t['to'])}: {html.escape(t['text'])}</li>" for t in reversed(texts)]
    page = ("<!doctype html><html lang='en'><meta charset='utf-8'><title>Local outbox</title>"
            "<h1>Local outbox</h1><p>What the emulator's SES and SNS were asked to send.</p>"
            f"<h2>E-mails ({len(rows)})</h2><ul>{''.join(rows)}</ul><h2>SMS ({len(sms)})</h2><ul>{''.join(sms)}</ul>")
    return Response(page, headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})


@http.route(bp, "/dev/outbox/{name}", methods=["GET"])
def outbox_file(name: str) -> Response:
    folder = _folder()
    stem, _, extension = name.rpartition(".")
    path = folder / f"{stem}.eml"
    if extension not in ("eml", "ics") or "/" in stem or stem.startswith(".") or not path.is_file():
        raise NotFound("No such message.")
    raw = path.read_bytes()
    if extension == "eml":
        return Response(raw.decode("utf-8", "replace"), headers={"Content-Type": "text/plain; charset=utf-8"})
    message = _parse(raw)
    invite = next((p for p in message.walk() if p.get_filename() == "invite.ics"), None)
    if invite is None:
        raise NotFound("This message has no invite.")
    return Response(invite.get_content() if isinstance(invite.get_content(), str) else invite.get_content().decode(),
                    headers={"Content-Type": "text/calendar; charset=utf-8"})
