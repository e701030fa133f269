"""Citizen messages: translated e-mails, MIME structure, header injection, HTML escaping, SMS."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from html.parser import HTMLParser

import pytest

from chalicelib.messages.content import (
    CATALOG,
    CHANNELS,
    GSM7_BASIC,
    GSM7_EXTENSION,
    KINDS,
    LOCALES,
    Email,
    MessageFacts,
    build_mime,
    gsm7_length,
    is_gsm7,
    render_email,
    render_sms,
)

WINTER = datetime(2027, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 CET
SUMMER = datetime(2027, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST (DST began on 28 March)
VIDEO = "https://meet.example.org/oac-7Hq2mZk4Wv9Rt3Yp?lang=ca&x=1"
MANAGE = "https://cita.salou.cat/manage/01J9Z8Y7X6W5V4T3S2R1Q0P9N8?token=" + "0123456789abcdef" * 4
_SHORT = "https://cita.salou.cat/m/01J9Z8Y7X6W5V4T3S2R1Q0P9N8?t="
MANAGE_100 = _SHORT + "a1b2c3d4e5f6" * 3 + "0123456789"  # 100 characters
OFFICE = "Oficina d'Atenció Ciutadana de Salou"
OFFICE_EMAIL = "oac@salou.cat"
OFFICE_PHONE = "+34 977 309 200"

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:x@scheduler\r\nSUMMARY:Padró municipal — Oficina\r\n"
    "DTSTART:20270330T070000Z\r\nDTEND:20270330T073000Z\r\nDTSTAMP:20270301T000000Z\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()

SUBJECTS = {
    "ca": {"confirmation": "Cita confirmada", "change": "Cita canviada",
           "cancellation": "Cita anul·lada", "reminder": "Recordatori"},
    "es": {"confirmation": "Cita confirmada", "change": "Cita modificada",
           "cancellation": "Cita cancelada", "reminder": "Recordatorio"},
    "en": {"confirmation": "Appointment confirmed", "change": "Appointment changed",
           "cancellation": "Appointment cancelled", "reminder": "Reminder"},
}
BODIES = {  # what happened, as the body says it
    "ca": {"confirmation": "ha quedat confirmada", "change": "nova data i hora",
           "cancellation": "s'ha anul·lat", "reminder": "Us recordem"},
    "es": {"confirmation": "está confirmada", "change": "nueva fecha y hora",
           "cancellation": "se ha cancelado", "reminder": "Le recordamos"},
    "en": {"confirmation": "is confirmed", "change": "new date and time",
           "cancellation": "has been cancelled", "reminder": "reminder of your upcoming"},
}
GREETINGS = {"ca": "Hola, Laia Puig i Soler:", "es": "Hola, Laia Puig i Soler:", "en": "Hello Laia Puig i Soler,"}
DATES = {
    WINTER: {"ca": "dimarts, 23 de març del 2027", "es": "martes, 23 de marzo de 2027",
             "en": "Tuesday, March 23, 2027"},
    SUMMER: {"ca": "dimarts, 30 de març del 2027", "es": "martes, 30 de marzo de 2027",
             "en": "Tuesday, March 30, 2027"},
}
PHONE_CALL = {"ca": "l'oficina us trucarà", "es": "la oficina le llamará", "en": "the office will call you"}
MANAGE_LABEL = {"ca": "Per canviar o anul·lar la cita", "es": "Para cambiar o cancelar la cita",
                "en": "To change or cancel the appointment"}
REBOOK = {"ca": "cita nova", "es": "nueva cita", "en": "new appointment"}
SMS_DATES = {"ca": "23/03", "es": "23/03", "en": "23 Mar"}


def facts(**changes: object) -> MessageFacts:
    base = MessageFacts(
        kind="confirmation",
        locale="ca",
        office_name=OFFICE,
        office_email=OFFICE_EMAIL,
        office_phone=OFFICE_PHONE,
        service_name="Padró municipal",
        citizen_name="Laia Puig i Soler",
        start=WINTER,
        end=WINTER + timedelta(minutes=30),
        timezone="Europe/Madrid",
        channel="video",
        video_url=VIDEO,
        manage_url=MANAGE,
    )
    return replace(base, **changes)


class _Html(HTMLParser):
    """The visible text, link targets and tags of an HTML document."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.attrs_seen: list[tuple[str, str | None]] = []
        self.lang: str | None = None
        self.feed(source)
        self.close()
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs_seen.extend(attrs)
        values = dict(attrs)
        if tag == "a":
            self.hrefs.append(values["href"] or "")
        if tag == "html":
            self.lang = values.get("lang")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- e-mail content


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("start", [WINTER, SUMMER], ids=["CET", "CEST"])
def test_email_says_what_happened_when_and_how(kind: str, locale: str, start: datetime) -> None:
    f = facts(kind=kind, locale=locale, start=start, end=start + timedelta(minutes=30))
    email = render_email(f)
    html = _Html(email.html)
    text = _flat(email.text)

    assert email.subject.startswith(SUBJECTS[locale][kind] + ": ")
    assert "Padró municipal" in email.subject and "09:00" in email.subject
    assert "\n" not in email.subject and "\r" not in email.subject
    assert html.lang == locale
    for body in (text, html.text):
        assert GREETINGS[locale] in body
        assert BODIES[locale][kind] in body
        assert "Padró municipal" in body
        assert DATES[start][locale] in body
        assert "09:00" in body and "09:30" in body  # local time, whatever the UTC offset
        assert "08:00" not in body and "07:00" not in body
        assert OFFICE in body and OFFICE_EMAIL in body and OFFICE_PHONE in body
    assert f"mailto:{OFFICE_EMAIL}" in html.hrefs

    if kind == "cancellation":
        for body in (text, html.text):
            assert MANAGE not in body and MANAGE_LABEL[locale] not in body
            assert VIDEO not in body  # a cancelled call has no link to join
            assert REBOOK[locale] in body
        assert MANAGE not in html.hrefs and VIDEO not in html.hrefs
    else:
        for body in (text, html.text):
            assert MANAGE in body and MANAGE_LABEL[locale] in body
            assert VIDEO in body
        assert MANAGE in html.hrefs and VIDEO in html.hrefs


@pytest.mark.parametrize("locale", LOCALES)
def test_phone_appointments_say_the_office_will_call(locale: str) -> None:
    email = render_email(facts(locale=locale, channel="phone", video_url=None))
    assert PHONE_CALL[locale] in email.text
    assert PHONE_CALL[locale] in _Html(email.html).text
    assert VIDEO not in email.text
    cancelled = render_email(facts(locale=locale, channel="phone", video_url=None, kind="cancellation"))
    assert PHONE_CALL[locale] not in cancelled.text
    assert CATALOG[locale]["channel_name"]["phone"] in cancelled.text


@pytest.mark.parametrize("locale", LOCALES)
def test_in_person_names_the_office_and_has_no_join_link(locale: str) -> None:
    email = render_email(facts(locale=locale, channel="in_person", video_url=None))
    how = CATALOG[locale]["channel"]["in_person"].format(office=OFFICE)
    assert how in email.text
    assert CATALOG[locale]["join"] not in email.text


def test_zone_hint_elides_in_catalan() -> None:
    assert "(hora de Madrid)" in render_email(facts()).text
    assert "(hora d'Andorra)" in render_email(facts(timezone="Europe/Andorra")).text
    assert "(Madrid time)" in render_email(facts(locale="en")).text
    canary = render_email(facts(locale="es", timezone="Atlantic/Canary")).text
    assert "08:00" in canary and "(hora de Canarias)" in canary


def test_html_escapes_citizen_text_and_text_part_keeps_it_literal() -> None:
    evil = "<script>alert(1)</script>"
    email = render_email(facts(citizen_name=evil, service_name='Padró "<b>x</b>"', office_name="A & B"))
    assert "<script>" not in email.html and "<b>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "A &amp; B" in email.html
    assert "script" not in _Html(email.html).tags
    assert evil in _Html(email.html).text  # escaped, so it shows as text
    assert evil in email.text  # plain text is not HTML: no entities
    assert "&lt;" not in email.text and "&amp;" not in email.text


def test_html_has_no_external_resources_or_tracking() -> None:
    for kind in KINDS:
        page = _Html(render_email(facts(kind=kind)).html)
        assert not {"img", "script", "link", "iframe", "style", "object"} & set(page.tags)
        assert not [name for name, _ in page.attrs_seen if name in ("src", "srcset", "background")]
        assert all(h.startswith(("https://", "mailto:", "tel:")) for h in page.hrefs)


def test_links_that_are_not_web_urls_are_not_clickable() -> None:
    email = render_email(facts(manage_url="javascript:alert(1)", video_url="javascript:alert(2)"))
    page = _Html(email.html)
    assert not [h for h in page.hrefs if h.startswith("javascript")]


def test_same_sentences_in_text_and_html() -> None:
    for locale in LOCALES:
        email = render_email(facts(locale=locale, kind="change"))
        html = _Html(email.html).text
        for line in email.text.splitlines():
            for piece in line.rstrip(":").split(": "):  # "Label: value" is a table row in HTML
                assert _flat(piece) in html


@pytest.mark.parametrize(
    "changes",
    [{"kind": "noshow"}, {"locale": "fr"}, {"channel": "fax"},
     {"start": datetime(2027, 3, 30, 9, 0)}, {"end": WINTER - timedelta(minutes=1)}],
)
def test_facts_are_checked(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        facts(**changes)


def test_catalog_is_complete_in_every_locale() -> None:
    def shape(value: object) -> object:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        return type(value)

    reference = shape(CATALOG["en"])
    assert set(CATALOG) == set(LOCALES)
    for locale in LOCALES:
        assert shape(CATALOG[locale]) == reference
        assert set(CATALOG[locale]["headline"]) == set(KINDS)
        assert set(CATALOG[locale]["channel"]) == set(CATALOG[locale]["channel_name"]) == set(CHANNELS)


def test_importing_stays_cheap() -> None:
    code = (
        "import sys, chalicelib.messages.content\n"
        "assert 'jinja2' not in sys.modules and 'babel' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- MIME


def _mime(email: Email | None = None, **kwargs: object) -> bytes:
    args: dict[str, object] = {
        "sender": "cites@salou.cat",
        "sender_name": "Ajuntament de Salou",
        "recipient": "laia@example.com",
        "recipient_name": "Laia Puig i Soler",
        "invite": ICS,
        "method": "REQUEST",
        "message_id": "01J9Z8Y7X6W5V4T3S2R1Q0P9N8.0@cita.salou.cat",
    }
    args.update(kwargs)
    return build_mime(email or render_email(facts()), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_mime_structure_with_invite(method: str) -> None:
    email = render_email(facts(kind="cancellation" if method == "CANCEL" else "confirmation"))
    raw = _mime(email, method=method)
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF everywhere
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    raw.decode("ascii")  # 7-bit clean: SES wants encoded parts

    msg = message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()

    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == email.text  # text lines are CRLF on the wire
    assert html.get_content().replace("\r\n", "\n") == email.html

    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == method
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_content_disposition() in (None, "inline")
    assert calendar.get_payload(decode=True) == ICS

    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() in ("application/ics", "text/calendar")
    assert attachment.get_payload(decode=True) == ICS

    assert msg["Subject"] == email.subject
    assert msg["Message-ID"] == "<01J9Z8Y7X6W5V4T3S2R1Q0P9N8.0@cita.salou.cat>"
    assert msg["Date"] is None  # never read from the clock
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["MIME-Version"] == "1.0"
    assert all(part["MIME-Version"] is None for part in msg.walk() if part is not msg)
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Ajuntament de Salou", "cites@salou.cat")


def test_mime_without_invite_is_just_alternative() -> None:
    msg = message_from_bytes(_mime(invite=None, method=None), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]


def test_date_is_set_only_when_given() -> None:
    when = datetime(2027, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    msg = message_from_bytes(_mime(date=when), policy=policy.default)
    assert msg["Date"].datetime == when
    with pytest.raises(ValueError):
        _mime(date=datetime(2027, 3, 1, 10, 0))


@pytest.mark.parametrize(
    "kwargs",
    [{"method": None}, {"invite": None}, {"method": "PUBLISHX"}, {"message_id": "no-at-sign"},
     {"message_id": "a b@c"}, {"message_id": "a@b>\r\nBcc: x@y"}, {"invite": b"\xff\xfe"},
     {"recipient": "laia@example.com\r\nBcc: victim@example.com"}, {"sender": "a b@c.d"}],
)
def test_bad_mime_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _mime(**kwargs)


def test_message_id_may_come_with_angle_brackets() -> None:
    msg = message_from_bytes(_mime(message_id="<abc.1@cita.salou.cat>"), policy=policy.default)
    assert msg["Message-ID"] == "<abc.1@cita.salou.cat>"


def test_crlf_in_names_and_subject_cannot_inject_headers() -> None:
    injected = "Eve\r\nBcc: victim@example.com"
    email = Email(subject="Hi\r\nBcc: victim2@example.com\nX-Evil: 1", text="t", html="<p>h</p>")
    raw = _mime(email, recipient_name=injected, sender_name="Office\rBcc: v3@example.com\x00\x1b")

    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\r\nX-Evil:" not in head
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert not msg.defects
    assert len(msg.get_all("To")) == 1
    (to,) = msg["To"].addresses
    assert to.addr_spec == "laia@example.com"
    assert to.display_name == "Eve Bcc: victim@example.com"
    (sender,) = msg["From"].addresses
    assert sender.addr_spec == "cites@salou.cat"
    assert msg["Subject"] == "Hi Bcc: victim2@example.com X-Evil: 1"


def test_non_ascii_names_are_rfc2047_encoded() -> None:
    raw = _mime(recipient_name="Núria Çaldés, \"la gran\"", sender_name="Ajuntament de l'Hospitalet")
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")
    assert b"=?utf-8?" in head
    msg = message_from_bytes(raw, policy=policy.default)
    (to,) = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Núria Çaldés, \"la gran\"", "laia@example.com")


# --------------------------------------------------------------------------- SMS


@pytest.mark.parametrize("manage_url", [MANAGE_100, MANAGE, MANAGE + "&" + "x" * 200],
                         ids=["100", "127", "long"])
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_sms_fits_one_gsm7_message(kind: str, locale: str, channel: str, manage_url: str) -> None:
    f = facts(kind=kind, locale=locale, channel=channel, manage_url=manage_url,
              office_name="Oficina Municipal d'Atenció Ciutadana (OMAC)",
              citizen_name="Maria Àngels Ñúñez",
              video_url=VIDEO if channel == "video" else None)
    sms = render_sms(f)
    assert is_gsm7(sms), sms
    assert len(sms) <= 160 and gsm7_length(sms) <= 160, sms
    assert "09:00" in sms and SMS_DATES[locale] in sms
    assert "Maria" not in sms and "OMAC" not in sms  # no personal data, no long office name
    if kind == "cancellation":
        assert "http" not in sms and OFFICE_PHONE in sms
    elif len(manage_url) <= 127:
        # a link always fits with realistic URLs: the manage link or, for video reminders, the join link
        assert manage_url in sms or (kind == "reminder" and channel == "video" and VIDEO in sms)
    else:  # too long for one SMS: no manage link, the e-mail has it
        assert manage_url not in sms
        if kind == "reminder" and channel == "video":
            assert VIDEO in sms
        else:
            assert "http" not in sms and CATALOG[locale]["sms_see_email"] in sms


def test_sms_with_100_char_link_keeps_the_full_sentence() -> None:
    assert len(MANAGE_100) == 100
    for locale in LOCALES:
        for kind in ("confirmation", "change", "reminder"):
            sms = render_sms(facts(kind=kind, locale=locale, channel="in_person", manage_url=MANAGE_100))
            date, time = SMS_DATES[locale], "09:00"
            assert sms.startswith(CATALOG[locale]["sms"][kind].format(date=date, time=time)), sms
            assert sms.endswith(MANAGE_100)


def test_sms_uses_the_office_zone() -> None:
    assert "09:00" in render_sms(facts(start=SUMMER, end=SUMMER + timedelta(minutes=30)))
    assert "08:00" in render_sms(facts(timezone="Atlantic/Canary"))


def test_sms_drops_links_that_are_not_gsm7_or_web() -> None:
    assert "http" not in render_sms(facts(manage_url="https://cita.example.org/gestió/1", channel="phone"))
    assert "javascript" not in render_sms(facts(manage_url="javascript:alert(1)", channel="phone"))


def test_sms_folds_non_gsm7_phone_numbers() -> None:
    sms = render_sms(facts(kind="cancellation", office_phone="977\u00a0309\u2013200\r\n"))
    assert is_gsm7(sms) and "977 309-200" in sms


def test_sms_catalog_strings_are_gsm7() -> None:
    for locale in LOCALES:
        strings = CATALOG[locale]
        texts = [*strings["sms"].values(), *strings["sms_short"].values()]
        texts += [v for k, v in strings.items() if k.startswith("sms_") and isinstance(v, str)]
        for text in texts:
            assert is_gsm7(text), (locale, text)


def test_is_gsm7() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points minus ESC
    assert len(GSM7_EXTENSION) == 10
    assert is_gsm7("Hola! Cita a les 09:00, 30/03. @£$¥ èéùìò Ç Øø Åå ÄÖÑÜ äöñü à ¿¡ §")
    assert is_gsm7("Ja és l'hora: recordatori.\n")
    assert is_gsm7("{[~]}|^\\€")
    assert is_gsm7("")
    assert not is_gsm7("anul·lada")  # middle dot
    assert not is_gsm7("ç")  # only capital Ç is in GSM 03.38
    for ch in "áíóúâêôãõ`\t😀–’":
        assert not is_gsm7(ch), ch
    assert gsm7_length("abc") == 3
    assert gsm7_length("€[x]") == 7
    with pytest.raises(ValueError):
        gsm7_length("á")
