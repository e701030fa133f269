"""E-mail through SES (sesv2, raw MIME) and SMS through SNS; a local copy for people trying it out."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..scheduling.outbox import Message


class SesEmail:
    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    def send(self, sender: str, recipient: str, raw: bytes, message: Message) -> None:
        self._client().send_email(FromEmailAddress=sender, Destination={"ToAddresses": [recipient]},
                                  Content={"Raw": {"Data": raw}})


class SnsSms:
    def __init__(self, client: Callable[[], Any], sender_id: str | None = None) -> None:
        self._client, self._sender_id = client, sender_id

    def send(self, phone: str, text: str, message: Message) -> None:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sender_id}
        self._client().publish(PhoneNumber=phone, Message=text, MessageAttributes=attributes)


class LocalCopy:
    """Local stage only: after the real call, keep what a citizen would receive under ``var/outbox/``
    (``.eml`` files, and ``sms.jsonl``), for the ``/dev/outbox`` view."""

    _lock = threading.Lock()

    def __init__(self, inner: Any, folder: Path) -> None:
        self._inner, self._folder = inner, folder

    def send(self, *args: Any) -> None:
        self._inner.send(*args)
        self._folder.mkdir(parents=True, exist_ok=True)
        message: Message = args[-1]
        name = f"{message.booking_id}.{message.key.replace('#', '.')}"
        if len(args) == 4:  # e-mail: sender, recipient, raw, message
            (self._folder / f"{name}.eml").write_bytes(args[2])
        else:  # sms: phone, text, message
            line = json.dumps({"name": name, "to": args[0], "text": args[1]}, ensure_ascii=False)
            with self._lock, (self._folder / "sms.jsonl").open("a", encoding="utf-8") as out:
                out.write(line + "\n")
