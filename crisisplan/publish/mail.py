"""Sending e-mail over SMTP for the outbox: one connection a batch, settings from the environment.

    CRISISPLAN_SMTP_HOST      default localhost
    CRISISPLAN_SMTP_PORT      default 25 (587 is usual with STARTTLS)
    CRISISPLAN_SMTP_STARTTLS  1 to upgrade the connection before logging in
    CRISISPLAN_SMTP_USER, CRISISPLAN_SMTP_PASSWORD   when the server wants a login
    CRISISPLAN_MAIL_FROM      default "<organisation> <status@<status page's domain>>"
"""

from __future__ import annotations

import contextlib
import json
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email.policy import compat32
from email.utils import parseaddr
from typing import Any

from crisisplan.comms import email
from crisisplan.comms.catalogue import catalogue_of
from crisisplan.plan.schema import PlanSettings
from crisisplan.store.db import Database
from crisisplan.store.models import IncidentRow, OutboxRow, PostRow

TIMEOUT_S = 20
WIRE = compat32.clone(linesep="\r\n")  # smtplib sends bytes as they are: lines must already end in CRLF
PROBE_TTL_S = 600  # how long what the SMTP server offers is believed without asking again
_UTF8_PLACEHOLDER = "smtputf8-recipient@invalid"  # stands in for a UTF-8 address while the message is built
_offers: dict[tuple[str, int], tuple[float, bool | None]] = {}


class Undeliverable(Exception):
    """An address no attempt can deliver to (a broken domain, or a UTF-8 name without SMTPUTF8)."""


def envelope_address(address: str, smtputf8: bool) -> str:
    """The address as SMTP carries it: the domain in IDNA (ASCII, xn--…), the part before @ as it is, which
    must be ASCII unless the server takes SMTPUTF8 (RFC 6531)."""
    local, _, domain = address.rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise Undeliverable(f"the domain of {address} is not a valid internationalised domain name") from None
    if not local.isascii() and not smtputf8:
        raise Undeliverable(f"{address} has characters beyond ASCII before the @, and the SMTP server does not "
                            "offer SMTPUTF8")
    return f"{local}@{ascii_domain}"


def offers_smtputf8(settings: PlanSettings) -> bool | None:
    """Whether the configured SMTP server announces SMTPUTF8 (None when it cannot be reached); asked at most
    every ten minutes, because a subscription form asks it."""
    s = SmtpSettings.from_env(settings)
    key, now = (s.host, s.port), time.monotonic()
    known = _offers.get(key)
    if known is not None and now - known[0] < PROBE_TTL_S and known[1] is not None:
        return known[1]
    try:
        with smtplib.SMTP(s.host, s.port, timeout=5) as connection:
            connection.ehlo()
            if s.starttls and connection.has_extn("starttls"):
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            answer: bool | None = connection.has_extn("smtputf8")
    except (smtplib.SMTPException, OSError):
        answer = None
    _offers[key] = (now, answer)
    return answer


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str

    @classmethod
    def from_env(cls, settings: PlanSettings) -> SmtpSettings:
        env = os.environ
        sender = env.get("CRISISPLAN_MAIL_FROM") or f"{settings.organisation.name} <status@{email.domain(settings)}>"
        return cls(env.get("CRISISPLAN_SMTP_HOST", "localhost"), int(env.get("CRISISPLAN_SMTP_PORT", "25")),
                   env.get("CRISISPLAN_SMTP_STARTTLS", "") in ("1", "true", "yes"),
                   env.get("CRISISPLAN_SMTP_USER", ""), env.get("CRISISPLAN_SMTP_PASSWORD", ""), sender)


class Mailer:
    """Builds each e-mail when it is sent (the post is read once a batch) and keeps one SMTP connection open."""

    def __init__(self, db: Database, settings: PlanSettings):
        self.db = db
        self.settings = settings
        self.catalogue = catalogue_of(settings)  # the words around each post, per locale
        self.smtp_settings = SmtpSettings.from_env(settings)
        self.connection: smtplib.SMTP | None = None
        self.posts: dict[tuple[int, str], email.PostMail] = {}

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp_settings
        connection = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_S)
        connection.ehlo()
        if s.starttls:
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()  # what the server offers may change once the line is encrypted
        if s.user:
            connection.login(s.user, s.password)
        return connection

    def _post(self, post_id: int, locale: str, published_at: datetime, title: str = "") -> email.PostMail:
        key = (post_id, locale)
        if key not in self.posts:
            with self.db.read() as session:
                post = session.get(PostRow, post_id)
                # an internal incident's public name comes with the message; its own title never goes out
                row = session.get(IncidentRow, post.incident_id)  # its title in the reader's language, if it has one
                title = title or ((row.doc or {}).get("translations") or {}).get(locale, {}).get("title") or row.title
                markdown = post.bodies.get(locale) or post.bodies.get(self.settings.default_locale, "")
            self.posts[key] = email.prepare_post(markdown=markdown, title=title, locale=locale,
                                                 settings=self.settings, words=self.catalogue.words(locale, "email"),
                                                 published_at=published_at)
        return self.posts[key]

    def build(self, row: OutboxRow, to: str = "") -> tuple[bytes, str]:
        """The message as sent, and its Message-ID; `to` is the address as the To: header carries it."""
        to = to or row.target
        if not to.isascii():  # a UTF-8 address (SMTPUTF8) goes in the header unencoded (RFC 6532)
            wire, msg_id = self._build(row, _UTF8_PLACEHOLDER)
            return wire.replace(f"To: {_UTF8_PLACEHOLDER}".encode(), f"To: {to}".encode(), 1), msg_id
        return self._build(row, to)

    def _build(self, row: OutboxRow, to: str) -> tuple[bytes, str]:
        data: dict[str, Any] = json.loads(row.payload)
        if row.channel == "email:confirm":
            message = email.confirmation_message(
                settings=self.settings, words=self.catalogue.words(data["locale"], "email"),
                sender=self.smtp_settings.sender, to=to,
                token=data["token"], components=data.get("components", []), subscriber_id=data["subscriber"],
                now=row.created_at, locale=data["locale"])
            return message.as_bytes(policy=WIRE), message["Message-ID"]
        if row.channel in ("email:notice", "email:reply"):  # to one person: a notice, or a private reply
            message = email.notice_message(settings=self.settings, sender=self.smtp_settings.sender, to=to,
                                           subject=data["subject"], text=data["text"], key=data["key"],
                                           now=row.created_at)
            if data.get("in_reply_to"):  # a reply to their e-mail: their client shows it in the same thread
                email.thread(message, data["in_reply_to"], data.get("references") or [])
            return message.as_bytes(policy=WIRE), message["Message-ID"]
        mail = self._post(row.post_id, data["locale"], row.created_at, data.get("title", ""))
        return (email.post_bytes(mail, sender=self.smtp_settings.sender, to=to, post_id=row.post_id,
                                 subscriber_id=data["subscriber"], token=data["token"]),
                email.message_id(self.settings, row.post_id, data["subscriber"]))

    def send(self, row: OutboxRow) -> tuple[bool, str, bool]:
        """(delivered, what happened, permanent): a 5xx answer, or an address no server of ours can take, will
        not change by trying again."""
        sender = parseaddr(self.smtp_settings.sender)[1]
        for attempt in (1, 2):  # a connection kept from the last batch may have been closed by the server
            if self.connection is None:
                try:
                    self.connection = self._connect()
                except (smtplib.SMTPException, OSError) as error:
                    # the server, TLS or our login: nothing about this message, so it waits and is tried again
                    self.close()
                    return False, f"cannot reach or log in to SMTP {self.smtp_settings.host}:" \
                                  f"{self.smtp_settings.port}: {error}", False
            try:
                utf8 = not row.target.rpartition("@")[0].isascii()
                to = envelope_address(row.target, self.connection.has_extn("smtputf8"))
                wire, msg_id = self.build(row, to)
                self.connection.sendmail(sender, [to], wire, mail_options=["SMTPUTF8"] if utf8 else [])
                return True, f"SMTP accepted {msg_id}", False
            except Undeliverable as error:
                return False, str(error), True
            except smtplib.SMTPServerDisconnected as error:
                self.close()
                if attempt == 2:
                    return False, f"SMTP server disconnected: {error}", False
            except smtplib.SMTPRecipientsRefused as error:
                code, text = next(iter(error.recipients.values()))
                return False, f"SMTP {code} {text.decode(errors='replace')}", code >= 500
            except smtplib.SMTPResponseException as error:
                self.close()
                return False, f"SMTP {error.smtp_code} {error.smtp_error.decode(errors='replace')}", \
                    error.smtp_code >= 500
            except (smtplib.SMTPException, OSError) as error:
                self.close()
                return False, f"no answer from SMTP {self.smtp_settings.host}:{self.smtp_settings.port}: {error}", False
        return False, "not sent", False

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None
