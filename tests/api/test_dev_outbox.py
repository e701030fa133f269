"""The local outbox view: what a citizen would receive, in the local stage only."""
from dataclasses import replace

from chalicelib.adapters.notify import LocalCopy
from tests.api.test_bookings_api import book


def test_the_view_lists_mails_with_their_invite_and_sms(client, stack, tmp_path):
    stack.settings = replace(stack.settings, stage="local", outbox_dir=str(tmp_path))
    stack.email, stack.sms = LocalCopy(stack.email, tmp_path), LocalCopy(stack.sms, tmp_path)
    created = book(client)
    page = client.http.get("/dev/outbox")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    text = page.body.decode()
    assert "Cita confirmada" in text and "E-mails (2)" in text and "SMS (1)" in text  # the agent gets one too
    stem = f"{created['booking']['id']}.confirmation.email.0"
    invite = client.http.get(f"/dev/outbox/{stem}.ics")
    assert invite.status_code == 200 and b"METHOD:REQUEST" in invite.body
    assert client.http.get(f"/dev/outbox/{stem}.eml").status_code == 200
    assert client.http.get("/dev/outbox/..%2F..%2Fetc%2Fpasswd.eml").status_code == 404


def test_the_view_does_not_exist_outside_the_local_stage(client, stack, tmp_path):
    stack.settings = replace(stack.settings, stage="prod", outbox_dir=str(tmp_path))
    assert client.http.get("/dev/outbox").status_code == 404
