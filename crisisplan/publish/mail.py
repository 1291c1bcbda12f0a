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
        if s.starttls:
            connection.starttls(context=ssl.create_default_context())
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

    def build(self, row: OutboxRow) -> tuple[bytes, str]:
        """The message as sent, and its Message-ID."""
        data: dict[str, Any] = json.loads(row.payload)
        if row.channel == "email:confirm":
            message = email.confirmation_message(
                settings=self.settings, words=self.catalogue.words(data["locale"], "email"),
                sender=self.smtp_settings.sender, to=row.target,
                token=data["token"], components=data.get("components", []), subscriber_id=data["subscriber"],
                now=row.created_at, locale=data["locale"])
            return message.as_bytes(policy=WIRE), message["Message-ID"]
        if row.channel in ("email:notice", "email:reply"):  # to one person: a notice, or a private reply
            message = email.notice_message(settings=self.settings, sender=self.smtp_settings.sender, to=row.target,
                                           subject=data["subject"], text=data["text"], key=data["key"],
                                           now=row.created_at)
            return message.as_bytes(policy=WIRE), message["Message-ID"]
        mail = self._post(row.post_id, data["locale"], row.created_at, data.get("title", ""))
        return (email.post_bytes(mail, sender=self.smtp_settings.sender, to=row.target, post_id=row.post_id,
                                 subscriber_id=data["subscriber"], token=data["token"]),
                email.message_id(self.settings, row.post_id, data["subscriber"]))

    def send(self, row: OutboxRow) -> tuple[bool, str, bool]:
        """(delivered, what happened, permanent): a 5xx answer will not change by trying again."""
        wire, msg_id = self.build(row)
        sender = parseaddr(self.smtp_settings.sender)[1]
        for attempt in (1, 2):  # a connection kept from the last batch may have been closed by the server
            try:
                if self.connection is None:
                    self.connection = self._connect()
                self.connection.sendmail(sender, [row.target], wire)
                return True, f"SMTP accepted {msg_id}", False
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
