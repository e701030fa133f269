"""The e-mail an agent gets with an invite (new, moved, cancelled or reassigned appointment)."""
from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from .content import Email

TEXT = {
    "ca": {"REQUEST": "Cita assignada", "CANCEL": "Cita retirada", "when": "Quan", "service": "Tràmit",
           "citizen": "Ciutadà/ana", "join": "Enllaç de moderació", "cancel_note": "Ja no teniu aquesta cita."},
    "es": {"REQUEST": "Cita asignada", "CANCEL": "Cita retirada", "when": "Cuándo", "service": "Trámite",
           "citizen": "Ciudadano/a", "join": "Enlace de moderación", "cancel_note": "Ya no tiene esta cita."},
    "en": {"REQUEST": "Appointment assigned", "CANCEL": "Appointment withdrawn", "when": "When",
           "service": "Service", "citizen": "Citizen", "join": "Moderator link",
           "cancel_note": "This appointment is no longer yours."},
}


def render_agent_email(facts: dict, method: str) -> Email:
    words = TEXT.get(facts.get("locale", "en"), TEXT["en"])
    start = datetime.fromisoformat(facts["start"]).astimezone(ZoneInfo(facts["timezone"]))
    end = datetime.fromisoformat(facts["end"]).astimezone(ZoneInfo(facts["timezone"]))
    when = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({facts['timezone']})"
    subject = f"{words[method]}: {facts['service_name']}, {start:%Y-%m-%d %H:%M}"
    lines = [(words["when"], when), (words["service"], facts["service_name"]),
             (words["citizen"], facts["citizen_name"])]
    if method == "REQUEST" and facts.get("video_url"):
        lines.append((words["join"], facts["video_url"]))
    text = "\n".join(f"{k}: {v}" for k, v in lines)
    if method == "CANCEL":
        text = f"{words['cancel_note']}\n\n{text}"
    rows = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in lines)
    body = (f"<!doctype html><html lang='{html.escape(facts.get('locale', 'en'))}'><body>"
            f"<h1>{html.escape(words[method])}</h1><table>{rows}</table></body></html>")
    return Email(subject=" ".join(subject.split()), text=text, html=body)
