"""Citizen messages: e-mail (text + HTML), the MIME message around it, and SMS texts.

Pure: no I/O beyond reading the package's templates and the tz database, no clock, no
environment, no AWS. ``jinja2`` and ``babel`` are imported lazily so importing this
module stays cheap on a cold start.

All translated text lives in :data:`CATALOG` (one dict per locale); the text and HTML
e-mail templates render the same sentences, so both parts always say the same thing.
The HTML template is autoescaped; the text template is not (it is not HTML).

SMS texts are GSM-7 only (no UCS-2, which would cut a single SMS to 70 characters) and
never exceed one 160-unit SMS: :func:`render_sms` tries a few variants from richest to
plainest and keeps the first that fits (see the comment there).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

KINDS = ("confirmation", "change", "cancellation", "reminder")
LOCALES = ("ca", "es", "en")
CHANNELS = ("video", "phone", "in_person")
INVITE_METHODS = ("REQUEST", "CANCEL", "PUBLISH")
INVITE_FILENAME = "invite.ics"
SMS_MAX = 160  # GSM-7 units in one (non-concatenated) SMS

TEMPLATES = Path(__file__).parent / "templates"

# Catalan uses the "vós" form recommended for the administration; Spanish "usted".
# SMS strings ("sms_*") must stay within GSM-7 (tested): no "·", "ç", "á", "í", "ó", "ú".
CATALOG: dict[str, dict[str, Any]] = {
    "ca": {
        "headline": {
            "confirmation": "Cita confirmada",
            "change": "Cita canviada",
            "cancellation": "Cita anul·lada",
            "reminder": "Recordatori",
        },
        "greeting": "Hola, {name}:",
        "intro": {
            "confirmation": "La vostra cita ha quedat confirmada.",
            "change": "La vostra cita s'ha canviat. Aquesta és la nova data i hora:",
            "cancellation": "La vostra cita s'ha anul·lat.",
            "reminder": "Us recordem que teniu aquesta cita properament:",
        },
        "service": "Servei",
        "when": "Data i hora",
        "how": "Modalitat",
        "channel": {
            "video": "Videotrucada",
            "phone": "Telefònica – l'oficina us trucarà a l'hora de la cita.",
            "in_person": "Presencial ({office})",
        },
        "channel_name": {"video": "Videotrucada", "phone": "Telefònica", "in_person": "Presencial"},
        "join": "Enllaç per entrar a la videotrucada",
        "manage": "Per canviar o anul·lar la cita",
        "rebook": "Si voleu demanar una cita nova, poseu-vos en contacte amb l'oficina.",
        "contact": "Contacte de l'oficina",
        "email": "Correu electrònic",
        "phone": "Telèfon",
        "zone": "hora de {city}",
        "zone_elided": "hora d'{city}",
        "sms": {
            "confirmation": "Cita confirmada: {date} a les {time}.",
            "change": "Cita canviada al {date} a les {time}.",
            "cancellation": "Ja no teniu la cita del {date} a les {time}.",
            "reminder": "Recordatori: teniu cita el {date} a les {time}.",
        },
        "sms_short": {  # terse lead-in for the link; cancellations have no link
            "confirmation": "Cita confirmada {date} {time}:",
            "change": "Cita canviada al {date} {time}:",
            "reminder": "Recordatori cita {date} {time}:",
        },
        "sms_video": "Videotrucada:",
        "sms_video_in_email": "Videotrucada: vegeu el correu.",
        "sms_phone": "Us trucarem.",
        "sms_manage": "Gestioneu-la:",
        "sms_see_email": "Detalls al correu.",
        "sms_rebook": "Nova cita: {phone}",
        "sms_date": "dd/MM",
    },
    "es": {
        "headline": {
            "confirmation": "Cita confirmada",
            "change": "Cita modificada",
            "cancellation": "Cita cancelada",
            "reminder": "Recordatorio",
        },
        "greeting": "Hola, {name}:",
        "intro": {
            "confirmation": "Su cita está confirmada.",
            "change": "Su cita se ha modificado. Esta es la nueva fecha y hora:",
            "cancellation": "Su cita se ha cancelado.",
            "reminder": "Le recordamos que tiene esta cita próximamente:",
        },
        "service": "Servicio",
        "when": "Fecha y hora",
        "how": "Modalidad",
        "channel": {
            "video": "Videollamada",
            "phone": "Telefónica – la oficina le llamará a la hora de la cita.",
            "in_person": "Presencial ({office})",
        },
        "channel_name": {"video": "Videollamada", "phone": "Telefónica", "in_person": "Presencial"},
        "join": "Enlace para entrar en la videollamada",
        "manage": "Para cambiar o cancelar la cita",
        "rebook": "Si desea pedir una nueva cita, póngase en contacto con la oficina.",
        "contact": "Contacto de la oficina",
        "email": "Correo electrónico",
        "phone": "Teléfono",
        "zone": "hora de {city}",
        "zone_elided": "hora de {city}",
        "sms": {
            "confirmation": "Cita confirmada: {date} a las {time}.",
            "change": "Cita modificada al {date} a las {time}.",
            "cancellation": "Cita cancelada: {date} a las {time}.",
            "reminder": "Recuerde su cita del {date} a las {time}.",
        },
        "sms_short": {
            "confirmation": "Cita confirmada {date} {time}:",
            "change": "Cita modificada {date} {time}:",
            "reminder": "Recordatorio cita {date} {time}:",
        },
        "sms_video": "Videollamada:",
        "sms_video_in_email": "Videollamada: vea su correo.",
        "sms_phone": "Le llamaremos.",
        "sms_manage": "Cambiar o cancelar:",
        "sms_see_email": "Detalles en su correo.",
        "sms_rebook": "Nueva cita: {phone}",
        "sms_date": "dd/MM",
    },
    "en": {
        "headline": {
            "confirmation": "Appointment confirmed",
            "change": "Appointment changed",
            "cancellation": "Appointment cancelled",
            "reminder": "Reminder",
        },
        "greeting": "Hello {name},",
        "intro": {
            "confirmation": "Your appointment is confirmed.",
            "change": "Your appointment has been changed. This is the new date and time:",
            "cancellation": "Your appointment has been cancelled.",
            "reminder": "This is a reminder of your upcoming appointment:",
        },
        "service": "Service",
        "when": "Date and time",
        "how": "Type",
        "channel": {
            "video": "Video call",
            "phone": "By phone – the office will call you at the time of the appointment.",
            "in_person": "In person ({office})",
        },
        "channel_name": {"video": "Video call", "phone": "By phone", "in_person": "In person"},
        "join": "Link to join the video call",
        "manage": "To change or cancel the appointment",
        "rebook": "If you would like a new appointment, please contact the office.",
        "contact": "Office contact details",
        "email": "E-mail",
        "phone": "Phone",
        "zone": "{city} time",
        "zone_elided": "{city} time",
        "sms": {
            "confirmation": "Appointment confirmed: {date} at {time}.",
            "change": "Appointment changed to {date} at {time}.",
            "cancellation": "Appointment cancelled: {date} at {time}.",
            "reminder": "Reminder: appointment on {date} at {time}.",
        },
        "sms_short": {
            "confirmation": "Confirmed {date} {time}:",
            "change": "Changed to {date} {time}:",
            "reminder": "Reminder {date} {time}:",
        },
        "sms_video": "Video call:",
        "sms_video_in_email": "Video call: see your e-mail.",
        "sms_phone": "We will call you.",
        "sms_manage": "Change or cancel:",
        "sms_see_email": "Details in your e-mail.",
        "sms_rebook": "New appointment: {phone}",
        "sms_date": "d MMM",
    },
}
"""Every user-facing string, per locale. ``{...}`` fields are filled with plain text."""

TIME_FORMAT = "HH:mm"  # 24-hour clock in every locale: unambiguous for offices in Spain


@dataclass(frozen=True)
class MessageFacts:
    """Everything a citizen message says. Times are aware; ``timezone`` is the office's."""

    kind: str  # one of KINDS
    locale: str  # "ca" | "es" | "en"
    office_name: str
    office_email: str
    office_phone: str
    service_name: str  # already in the right language
    citizen_name: str
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    timezone: str  # IANA, e.g. "Europe/Madrid"
    channel: str  # "video" | "phone" | "in_person"
    video_url: str | None
    manage_url: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown message kind {self.kind!r}")
        if self.locale not in LOCALES:
            raise ValueError(f"unsupported locale {self.locale!r}")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.end < self.start:
            raise ValueError("end is before start")


@dataclass(frozen=True)
class Email:
    """A rendered e-mail: one-line subject, plain-text body and HTML body."""

    subject: str
    text: str
    html: str


# --------------------------------------------------------------------------- helpers

_CONTROL_CATEGORIES = ("Cc", "Zl", "Zp")


def _one_line(value: str) -> str:
    """Replace control characters (CR, LF, NUL, ...) and line separators with spaces."""
    cleaned = "".join(" " if unicodedata.category(ch) in _CONTROL_CATEGORIES else ch for ch in value)
    return re.sub(r"\s{2,}", " ", cleaned).strip()


def _is_web_url(url: str | None) -> bool:
    return bool(url) and re.match(r"https?://[^\s<>\"']+\Z", url or "", re.IGNORECASE) is not None


@functools.lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _city(zone: ZoneInfo, locale: str) -> str:
    from babel.dates import get_timezone_location

    return str(get_timezone_location(zone, locale=locale, return_city=True))  # "Madrid", "Canarias"


def _zone_hint(zone: ZoneInfo, locale: str) -> str:
    city = _city(zone, locale)
    strings = CATALOG[locale]
    elide = city[:1].lower() in "aeiouàèéíòóúh"
    return (strings["zone_elided"] if elide else strings["zone"]).format(city=city)


def _local(facts: MessageFacts) -> tuple[datetime, datetime, ZoneInfo]:
    zone = ZoneInfo(facts.timezone)
    return facts.start.astimezone(zone), facts.end.astimezone(zone), zone


def _when_long(facts: MessageFacts) -> str:
    """E.g. ``dimarts, 30 de març del 2027, 09:00–09:30 (hora de Madrid)``."""
    from babel.dates import format_date, format_time

    start, end, zone = _local(facts)
    day = format_date(start, format="full", locale=facts.locale)
    t0 = format_time(start, TIME_FORMAT, locale=facts.locale)
    t1 = format_time(end, TIME_FORMAT, locale=facts.locale)
    times = t0 if t1 == t0 else f"{t0}–{t1}"
    return f"{day}, {times} ({_zone_hint(zone, facts.locale)})"


def _when_short(facts: MessageFacts) -> str:
    """E.g. ``dt., 30 de març, 09:00`` for subjects."""
    from babel.dates import format_skeleton, format_time

    start, _, _ = _local(facts)
    day = format_skeleton("MMMEd", start, locale=facts.locale)
    return f"{day}, {format_time(start, TIME_FORMAT, locale=facts.locale)}"


# --------------------------------------------------------------------------- e-mail


def render_email(facts: MessageFacts) -> Email:
    """Render the subject, text and HTML bodies of one citizen e-mail."""
    strings = CATALOG[facts.locale]
    kind = facts.kind
    cancelled = kind == "cancellation"
    subject = _one_line(f"{strings['headline'][kind]}: {facts.service_name}, {_when_short(facts)}")

    # A cancelled appointment only names its channel: no "we will call you", no join link.
    channel_strings = strings["channel_name" if cancelled else "channel"]
    channel = channel_strings[facts.channel].format(office=facts.office_name)
    join = None
    if facts.channel == "video" and facts.video_url and not cancelled:
        join = {"label": strings["join"], "url": facts.video_url, "href": _is_web_url(facts.video_url)}
    manage = None
    if not cancelled:
        manage = {"label": strings["manage"], "url": facts.manage_url, "href": _is_web_url(facts.manage_url)}

    context = {
        "lang": facts.locale,
        "subject": subject,
        "greeting": strings["greeting"].format(name=facts.citizen_name),
        "intro": strings["intro"][kind],
        "rows": [
            (strings["service"], facts.service_name),
            (strings["when"], _when_long(facts)),
            (strings["how"], channel),
        ],
        "join": join,
        "manage": manage,
        "rebook": strings["rebook"] if cancelled else None,
        "contact": strings["contact"],
        "office_name": facts.office_name,
        "office_email": facts.office_email,
        "office_phone": facts.office_phone,
        "tel_href": re.sub(r"[^0-9+]", "", facts.office_phone),
        "email_label": strings["email"],
        "phone_label": strings["phone"],
    }
    env = _env()
    text = env.get_template("email.txt").render(context)
    html = env.get_template("email.html").render(context)
    return Email(subject=subject, text=text, html=html)


def _address(display_name: str, addr_spec: str) -> Address:
    if any(unicodedata.category(ch) in _CONTROL_CATEGORIES or ch.isspace() for ch in addr_spec):
        raise ValueError("e-mail address contains whitespace or control characters")
    return Address(display_name=_one_line(display_name), addr_spec=addr_spec)


def build_mime(
    email: Email,
    sender: str,
    sender_name: str,
    recipient: str,
    recipient_name: str,
    invite: bytes | None,
    method: str | None,
    message_id: str,
    date: datetime | None = None,
) -> bytes:
    """Assemble the MIME message (CRLF line ends) for SES ``SendRawEmail``.

    Without an invite: ``multipart/alternative`` (text/plain, text/html). With one::

        multipart/mixed
          multipart/alternative
            text/plain; charset=utf-8
            text/html; charset=utf-8
            text/calendar; charset=utf-8; method=REQUEST|CANCEL   (inline: Outlook reads this)
          application/ics; name=invite.ics   (attachment: other clients offer this)

    Display names and the subject lose control characters (so CR/LF cannot inject
    headers) and are RFC 2047-encoded when not ASCII. Addresses with whitespace or
    control characters are refused with ``ValueError``. ``Date`` is set only when
    ``date`` is given (SES adds one otherwise): this function never reads the clock.
    """
    if (invite is None) != (method is None):
        raise ValueError("invite and method go together")
    if method is not None and method not in INVITE_METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    msgid = message_id.strip().removeprefix("<").removesuffix(">")
    if not re.fullmatch(r"[!-;=?-~]+@[!-;=?-~]+", msgid):
        raise ValueError("message_id must look like local@domain, printable ASCII without <>")

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(sender_name, sender)
    msg["To"] = _address(recipient_name, recipient)
    msg["Subject"] = _one_line(email.subject)
    msg["Message-ID"] = f"<{msgid}>"
    if date is not None:
        if date.tzinfo is None or date.utcoffset() is None:
            raise ValueError("date must be an aware datetime")
        msg["Date"] = format_datetime(date)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please

    # quoted-printable keeps every line 7-bit and short, whatever the language.
    msg.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if invite is not None:
        invite.decode("utf-8")  # RFC 5545 text is UTF-8; refuse anything else early
        # base64 keeps the invite's CRLF line ends byte for byte.
        msg.add_alternative(
            invite, maintype="text", subtype="calendar", cte="base64",
            params={"charset": "utf-8", "method": method},
        )
        msg.make_mixed()
        msg.add_attachment(
            invite, maintype="application", subtype="ics", filename=INVITE_FILENAME,
            disposition="attachment", params={"name": INVITE_FILENAME},
        )
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the stdlib repeats it on parts; it belongs on top only
    return msg.as_bytes(policy=policy.SMTP)


# --------------------------------------------------------------------------- SMS

# GSM 03.38 (3GPP TS 23.038) default alphabet. ESC (0x1B) is left out: it only
# introduces the extension table. Note 0x09 is capital "Ç"; lowercase "ç" is not in it.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # each costs 2 units (ESC + code)

_GSM7_SUBSTITUTES = {
    "·": ".", "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "\u00a0": " ", "ç": "c",
}


def is_gsm7(text: str) -> bool:
    """True when ``text`` can be sent in the GSM-7 alphabet (basic set or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def gsm7_length(text: str) -> int:
    """Septets ``text`` takes in GSM-7 (extension characters count 2). ``ValueError`` if not GSM-7."""
    if not is_gsm7(text):
        raise ValueError("text is not GSM-7")
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def _fold_gsm7(text: str) -> str:
    """Best-effort GSM-7 version of free text (drops accents GSM-7 lacks, e.g. á -> a)."""
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
            continue
        ch = _GSM7_SUBSTITUTES.get(ch, ch)
        if is_gsm7(ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and is_gsm7(base) else "?")
    return "".join(out)


def _fits(text: str) -> bool:
    return is_gsm7(text) and gsm7_length(text) <= SMS_MAX


def render_sms(facts: MessageFacts) -> str:
    """One GSM-7 SMS (at most 160 units): what happened, the local date and time, a link.

    The manage link of a realistic deployment is ~130 characters (a 26-character id and a
    64-hex token), which leaves ~30 for everything else; a Jitsi link with a JWT is longer
    than a whole SMS. So no citizen or office name, and the candidates below go from
    richest to plainest; the first that fits one SMS wins:

    1. sentence + channel hint (+ join link for video reminders) + manage link
    2. sentence + manage link
    3. terse headline + manage link
    4. sentence + channel hint + "details in your e-mail"
    5. sentence + "details in your e-mail"

    Cancellations carry no manage link; they offer the office phone for a new booking.
    Links go in only when they are GSM-7 and have no whitespace. Candidate 5 is always
    short (< 80 units), so every message fits.
    """
    from babel.dates import format_date, format_time

    strings = CATALOG[facts.locale]
    start, _, _ = _local(facts)
    date = _fold_gsm7(format_date(start, strings["sms_date"], locale=facts.locale))
    time = _fold_gsm7(format_time(start, TIME_FORMAT, locale=facts.locale))
    sentence = _fold_gsm7(strings["sms"][facts.kind].format(date=date, time=time))

    candidates: list[list[str]] = []
    if facts.kind == "cancellation":
        phone = _fold_gsm7(_one_line(facts.office_phone))
        if phone:
            candidates.append([sentence, strings["sms_rebook"].format(phone=phone)])
        candidates.append([sentence])
    else:
        manage_ok = _is_web_url(facts.manage_url) and is_gsm7(facts.manage_url)
        video_ok = (
            facts.channel == "video" and _is_web_url(facts.video_url) and is_gsm7(facts.video_url or "")
        )
        hint = {
            "video": strings["sms_video_in_email"],
            "phone": strings["sms_phone"],
            "in_person": None,
        }[facts.channel]
        manage = [strings["sms_manage"], facts.manage_url]
        if facts.kind == "reminder" and video_ok:
            # A reminder's most useful link is the one that joins the call.
            join = [strings["sms_video"], facts.video_url or ""]
            if manage_ok:
                candidates.append([sentence, *join, *manage])
            candidates.append([sentence, *join])
        if manage_ok:
            candidates.append([sentence, *([hint] if hint else []), *manage])
            candidates.append([sentence, *manage])
            short = _fold_gsm7(strings["sms_short"][facts.kind].format(date=date, time=time))
            candidates.append([short, facts.manage_url])
        if hint:
            candidates.append([sentence, hint, strings["sms_see_email"]])
        candidates.append([sentence, strings["sms_see_email"]])

    for parts in candidates:
        text = " ".join(parts)
        if _fits(text):
            return text
    return candidates[-1][0][:SMS_MAX]  # unreachable with the catalog above; kept as a guard
