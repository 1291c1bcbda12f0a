"""An e-mail from a customer, read the way a person reads it: who wrote (address and name), what they wrote now
(the plain text, decoded from its charset and transfer encoding; an HTML-only mail turned into text; the quoted
history and the signature cut off), and what a reply in the same thread needs (Message-ID, References, Subject).

Pure: bytes in, an `InMail` out. A mail that cannot be read whole still gives an `InMail`, with `problem` saying
why, so the pull records it and a person opens it in the mailbox instead of it being lost."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from crisisplan import textgate

TEXT_MAX = 20_000  # characters of a mail's text kept (the input gate takes more; no complaint needs more)


@dataclass(frozen=True)
class InMail:
    """What crisisplan takes from one e-mail."""

    message_id: str  # as the header says, with its <>; a stable stand-in derived from the bytes when missing
    address: str  # the sender's address, lower case ("" when the From header is unreadable)
    name: str  # the sender's display name, or ""
    subject: str
    text: str  # what they wrote in this mail, without the quoted history
    at: datetime | None  # the Date header, when it can be read (aware)
    references: list[str] = field(default_factory=list)  # the thread so far, oldest first, with this one's parent
    automatic: bool = False  # an out-of-office answer, a bounce, a list: not a person writing to us
    problem: str = ""  # why it could not be read whole ("" when it could)


def read(raw: bytes) -> InMail:
    """One message as fetched from the mailbox (RFC 5322 bytes)."""
    problems: list[str] = []
    message = message_from_bytes(raw, policy=policy.default)
    message_id = _header(message, "Message-ID", problems).strip()
    if not re.fullmatch(r"<[^<>\s]{1,250}>", message_id):  # missing, malformed or too long to be a record key
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@crisisplan.invalid>"
    address, name = _sender(message, problems)
    subject = " ".join(_header(message, "Subject", problems).split())
    references = re.findall(r"<[^<>\s]+>", _header(message, "References", problems))
    parent = re.findall(r"<[^<>\s]+>", _header(message, "In-Reply-To", problems))
    if parent and parent[-1] not in references:
        references.append(parent[-1])
    text = ""
    try:
        text = textgate.clean(body_text(message)[:TEXT_MAX], "text")  # what the input gate keeps: no control chars
    except Exception as error:  # noqa: BLE001 - a broken MIME tree is the sender's, the pull goes on
        problems.append(f"its body cannot be read ({type(error).__name__}: {error})")
    if not text.strip() and not any(p.startswith("its body") for p in problems):
        problems.append("it has no text (only attachments, or empty)")
    return InMail(message_id, address, name, subject, text[:TEXT_MAX], _date(message), references,
                  _automatic(message, address), "; ".join(problems))


def _header(message: Message, name: str, problems: list[str]) -> str:
    """A header's decoded value; a header the parser cannot decode is kept as raw text and named a problem."""
    try:
        value = message.get(name)
        return str(value) if value is not None else ""
    except Exception as error:  # noqa: BLE001 - email raises many kinds on broken encoded words
        problems.append(f"its {name} header cannot be read ({error})")
        raw = message.get_all(name, failobj=[""])
        return str(raw[0]) if raw else ""


def _sender(message: Message, problems: list[str]) -> tuple[str, str]:
    value = _header(message, "From", problems)
    pairs = [(n, a) for n, a in getaddresses([value]) if "@" in a]
    if not pairs:
        problems.append(f"its sender cannot be read (From: {value[:80]!r})" if value else "it has no sender")
        return "", ""
    name, address = pairs[0]
    if len(address) > textgate.LINE_MAX:
        problems.append(f"its sender's address is {len(address)} characters long, more than an address can be")
        return "", ""
    return address.strip().lower(), textgate.clean(" ".join(name.split()).strip("'\" "), "name", 10**6,
                                                   one_line=True)[:textgate.LINE_MAX]


def _date(message: Message) -> datetime | None:
    try:
        when = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when and when.tzinfo else (when.replace(tzinfo=UTC) if when else None)


def _automatic(message: Message, address: str) -> bool:
    """Out-of-office replies, bounces and list mail (RFC 3834 `Auto-Submitted`, the bounce senders,
    `Precedence: bulk`): answering them would start a loop, counting them would inflate the load."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    local = address.partition("@")[0]
    return (auto not in ("", "no") or precedence in ("bulk", "junk", "list", "auto_reply")
            or local in ("mailer-daemon", "postmaster") or bool(message.get("X-Autoreply")))


def body_text(message: Message) -> str:
    """What the person wrote: the plain-text part (else the HTML part as text), decoded, history trimmed."""
    part = message.get_body(preferencelist=("plain", "html")) if isinstance(message, EmailMessage) else None
    if part is None:
        if message.get_content_maintype() != "text" and not message.is_multipart():
            return ""
        part = message if not message.is_multipart() else None
    if part is None:
        return ""
    content = _decoded(part)
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return trim_history(content)


def _decoded(part: Message) -> str:
    """A text part's words: charset and transfer encoding undone; an unknown or lying charset read as UTF-8 (else
    Latin-1) with what cannot be read replaced, rather than the mail refused."""
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1", errors="replace")


class _Text(HTMLParser):
    """HTML to the text a person sees: blocks become lines, scripts and styles vanish, quoted history
    (blockquote, Gmail's and Outlook's quote containers) is dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre"}
    HIDDEN = {"script", "style", "head", "title", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        if self.hidden or tag in self.HIDDEN or re.search(r"gmail_quote|divRplyFwdMsg|moz-cite-prefix|"
                                                          r"yahoo_quoted|OLK_SRC_BODY_SECTION", classes):
            if tag not in ("br", "hr", "img", "meta", "link", "input"):
                self.hidden.append(tag)
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            if self.hidden[-1] == tag:
                self.hidden.pop()
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The visible words of an HTML mail, a paragraph a line."""
    parser = _Text()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient; whatever it still refuses falls back to tag removal
        return html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# the line a mail client writes above the message it quotes, in the plan's languages and the usual clients
_ATTRIBUTION = re.compile(
    r"^\s*(On\b.{0,200}\bwrote:?"
    r"|El\b.{0,200}\bescribió:?"
    r"|Am\b.{0,200}\bschrieb.{0,40}:"
    r"|Le\b.{0,200}\ba écrit\s*:"
    r"|-{2,}\s*(Original Message|Mensaje original|Forwarded message|Mensaje reenviado)\s*-{2,}"
    r"|_{10,})\s*$", re.IGNORECASE)
# Outlook's header block above the quoted message: "From: …" followed by "Sent: …" (or Date, To…)
_HEADER_BLOCK = re.compile(r"^\s*\*?(From|De|Von)\*?:\s.+")
_HEADER_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Enviado|Fecha|Para|Gesendet|Datum|An)\*?:\s", re.IGNORECASE)


def trim_history(text: str) -> str:
    """The new words of a reply: cut at the quoted message (an attribution line, an Outlook header block, lines
    quoted with '>') and at the signature separator '-- '. A mail that is all quote is kept whole."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() == "--":
            break  # the signature separator "-- " (many clients drop its space)
        joined = " ".join(lines[index:index + 2])  # Gmail folds a long attribution over two lines
        if _ATTRIBUTION.match(line) or (line.strip().startswith("On ") and re.match(r"^\s*On\b.{0,200}\bwrote:\s*$",
                                                                                    joined)):
            break
        if _HEADER_BLOCK.match(line) and index + 1 < len(lines) and _HEADER_NEXT.match(lines[index + 1]):
            break
        if line.lstrip().startswith(">"):
            rest = [x for x in lines[index:] if x.strip()]
            if all(x.lstrip().startswith(">") for x in rest):  # the quote runs to the end: history, not inline
                break
            continue  # an inline quote between the customer's own answers
        kept.append(line.rstrip())
    trimmed = "\n".join(kept).strip()
    return trimmed if trimmed else text.strip()
