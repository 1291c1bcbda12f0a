"""E-mails to subscribers: a post as plain text and HTML, with the headers mail clients use to thread,
drop repeats (a stable Message-ID per post and subscriber) and unsubscribe in one click (RFC 8058).

The words around the post (footer, leave link, the confirmation e-mail) are the `email` section of the
plan's catalogue in the subscriber's language (`templates/<locale>/catalogue.yaml`), passed in as `words`."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.quoprimime import body_encode
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import urlsplit

from crisisplan.comms.channels import render
from crisisplan.plan.schema import PlanSettings


def domain(settings: PlanSettings) -> str:
    """The status page's host name: the domain of Message-IDs, List-Id and the default sender."""
    org = settings.organisation
    return urlsplit(org.status_url or org.help_url).hostname or "crisisplan.invalid"


def base_url(settings: PlanSettings) -> str:
    """Where the status page lives (the help site when the plan names none), without a trailing slash."""
    org = settings.organisation
    return (org.status_url or org.help_url).rstrip("/")


def confirm_url(settings: PlanSettings, token: str) -> str:
    """The link in a confirmation e-mail that opens the confirm button."""
    return f"{base_url(settings)}/subscribe/confirm/{token}"


def unsubscribe_url(settings: PlanSettings, token: str) -> str:
    """The one-click leave link of every e-mail (and its List-Unsubscribe header)."""
    return f"{base_url(settings)}/subscribe/leave/{token}"


def message_id(settings: PlanSettings, post_id: int, subscriber_id: int) -> str:
    """The same for every try of one post to one subscriber: a repeat is recognisably a repeat."""
    return f"<post-{post_id}.subscriber-{subscriber_id}@{domain(settings)}>"


def _html_page(title: str, body_html: str, footer_html: str) -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f'<body style="font-family:sans-serif;max-width:40em;margin:auto;color:#1a1a1a">'
            f"<h1 style=\"font-size:1.3em\">{html.escape(title)}</h1>{body_html}"
            f'<hr><p style="font-size:.85em;color:#444">{footer_html}</p></body></html>')


# Text goes quoted-printable, which spam filters prefer to base64.
UTF8 = Charset("utf-8")
UTF8.header_encoding = UTF8.body_encoding = QP


def _message(sender: str, to: str, subject: str, when: datetime, msg_id: str, text: str,
             html_text: str) -> MIMEMultipart:
    message = MIMEMultipart("alternative")
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = to
    # a Header, not its encoded text: folded as one, so the Subject never starts with an empty line
    message["Subject"] = Header(subject, UTF8 if not subject.isascii() else "us-ascii", header_name="Subject")
    message["Date"] = format_datetime(when)
    message["Message-ID"] = msg_id
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a status update
    message.attach(MIMEText(text, "plain", UTF8))
    message.attach(MIMEText(html_text, "html", UTF8))
    return message


@dataclass(frozen=True)
class PostMail:
    """What one post's e-mail has in common for every subscriber, encoded once: a post to 10,000
    subscribers is 10,000 messages, and only the address, the Message-ID and the leave link differ."""

    settings: PlanSettings
    locale: str
    words: Mapping[str, str]  # the catalogue's `email` words in `locale`
    subject: str  # encoded header value
    list_id: str
    boundary: str
    text_head: str  # quoted-printable, whole lines: QP works line by line, so parts concatenate
    html_head: str
    published_at: datetime


def _qp(text: str) -> str:
    return body_encode(text.encode("utf-8").decode("latin-1"), eol="\r\n")


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, UTF8).encode()


def prepare_post(*, markdown: str, title: str, locale: str, settings: PlanSettings, words: Mapping[str, str],
                 published_at: datetime) -> PostMail:
    """The subject is the post's bold first line, else the incident's title."""
    rendering = render(markdown, "email")
    subject = rendering.subject or title
    w, org, page = words, settings.organisation.name, base_url(settings)
    text = f"{rendering.text}\n\n-- \n{w['why'].format(org=org)}\n{w['page']}: {page}\n"
    footer = (f"{html.escape(w['why'].format(org=org))}<br><a href=\"{html.escape(page)}\">{html.escape(w['page'])}"
              "</a> ·\n")
    page_html = _html_page(subject, rendering.html, footer + "\0")
    list_id = f"{w['list_name'].format(org=org)} <status.{domain(settings)}>"
    return PostMail(settings, locale, words, _header(subject), _header(list_id),
                    "=_crisisplan_" + secrets.token_hex(12), _qp(text), _qp(page_html.split("\0")[0]),
                    published_at)


def post_bytes(mail: PostMail, *, sender: str, to: str, post_id: int, subscriber_id: int, token: str) -> bytes:
    """One subscriber's message, on the wire (CRLF lines), parts in the order mail clients prefer."""
    w, leave = mail.words, unsubscribe_url(mail.settings, token)
    name, address = parseaddr(sender)
    head = [f"From: {formataddr((name, address), charset='utf-8')}", f"To: {to}", f"Subject: {mail.subject}",
            f"Date: {format_datetime(mail.published_at)}",
            f"Message-ID: {message_id(mail.settings, post_id, subscriber_id)}",
            "Auto-Submitted: auto-generated",  # no out-of-office replies to a status update
            f"List-Id: {mail.list_id}", f"List-Unsubscribe: <{leave}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click", "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{mail.boundary}"']
    part = '--{b}\r\nContent-Type: text/{kind}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    text_tail = _qp(f"{w['leave']}: {leave}\n")
    html_tail = _qp(f'<a href="{html.escape(leave)}">{html.escape(w["leave"])}</a></p></body></html>\n')
    return ("\r\n".join(head) + "\r\n\r\n" + part.format(b=mail.boundary, kind="plain") + mail.text_head + text_tail
            + part.format(b=mail.boundary, kind="html") + mail.html_head + html_tail
            + f"--{mail.boundary}--\r\n").encode("ascii")


def confirmation_message(*, settings: PlanSettings, words: Mapping[str, str], sender: str, to: str, token: str,
                         components: list[str], subscriber_id: int, now: datetime,
                         locale: str | None = None) -> MIMEMultipart:
    """Asks the address's owner to confirm; `words` are the catalogue's `email` words in their language, and the
    components are named in it too."""
    w = words
    org = settings.organisation.name
    labels = {c.name: c.label_in(locale or settings.default_locale, settings.fallback_locale)
              for c in settings.components}
    what = ", ".join(labels.get(c, c) for c in components) or w["everything"]
    link = confirm_url(settings, token)
    subject = w["confirm_subject"].format(org=org)
    body = w["confirm_body"].format(org=org, what=what)
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n"))
    button = f'<p><a href="{html.escape(link)}"><strong>{html.escape(w["confirm_button"])}</strong></a></p>'
    return _message(sender, to, subject, now, f"<confirm-{subscriber_id}.{int(now.timestamp())}@{domain(settings)}>",
                    f"{body}\n\n{link}\n\n{w['confirm_ignore']}\n",
                    _html_page(subject, paragraphs + button, html.escape(w["confirm_ignore"])))


def thread(message: MIMEMultipart, in_reply_to: str, references: list[str]) -> None:
    """Make `message` an answer to the e-mail `in_reply_to` (RFC 5322 3.6.4): In-Reply-To names it, References
    is the thread so far (its References, then it), so every mail client files the answer under the question.
    Auto-Submitted goes: a person answered a person."""
    chain = [r for r in references if r != in_reply_to][-20:] + [in_reply_to]  # long threads: the newest
    message["In-Reply-To"] = in_reply_to
    message["References"] = " ".join(chain)
    del message["Auto-Submitted"]


def reply_subject(subject: str) -> str:
    """'Re: ' and their subject, once however long the thread ('Re: Re: Re:' and 'RE:', 'AW:', 'RV:' collapse)."""
    bare = re.sub(r"^\s*((re|aw|rv|sv|antw|fwd?)\s*(\[\d+\])?\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return f"Re: {bare.strip()}" if bare.strip() else "Re:"


def notice_message(*, settings: PlanSettings, sender: str, to: str, subject: str, text: str, key: str,
                   now: datetime) -> MIMEMultipart:
    """A short e-mail to a person of the plan (an approval waits, a deadline slips), text and HTML."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.strip().split("\n\n"))
    return _message(sender, to, subject, now, f"<{key}@{domain(settings)}>", text, _html_page(subject, paragraphs, ""))
