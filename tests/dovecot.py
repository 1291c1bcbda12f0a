"""A real Dovecot (IMAP + LMTP) for the tests of e-mail in, started by `scripts/dovecot.sh`, and an SMTP server
(aiosmtpd) that hands what crisisplan sends over to Dovecot by LMTP, as a mail server would: so a reply is read
back by IMAP from the customer's own mailbox. Under CI=true a Dovecot that cannot be installed or started fails
the run; elsewhere the tests that need it are skipped with the reason."""

from __future__ import annotations

import imaplib
import itertools
import os
import smtplib
import ssl
import subprocess
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.mailbox import free_port

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "dovecot.sh"
PASSWORD = "a mailbox password for the tests"
_numbers = itertools.count(1)


class Dovecot:
    """One running instance: its folder and ports, users added as tests need them."""

    def __init__(self, env: dict[str, str]) -> None:
        self.dir = env["CRISISPLAN_DOVECOT_DIR"]
        self.imap_port = int(env["CRISISPLAN_DOVECOT_IMAP_PORT"])
        self.imaps_port = int(env["CRISISPLAN_DOVECOT_IMAPS_PORT"])
        self.lmtp_port = int(env["CRISISPLAN_DOVECOT_LMTP_PORT"])
        self.cafile = env["CRISISPLAN_DOVECOT_CAFILE"]

    def user(self, local: str, domain: str = "example.com") -> str:
        """A new mailbox of its own for one test (the instance is shared by the session)."""
        address = f"{local}-{os.getpid()}-{next(_numbers)}@{domain}"
        subprocess.run(["bash", str(SCRIPT), "adduser", self.dir, address, PASSWORD], check=True)
        return address

    def deliver(self, to: str, raw: bytes, sender: str = "someone@example.net") -> None:
        """Put a message in `to`'s INBOX as a mail server hands it over (LMTP)."""
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.sendmail(sender, [to], raw)

    def append(self, address: str, raw: bytes, when: datetime) -> None:
        """Put a message in `address`'s INBOX as arrived at `when` (its INTERNALDATE): old mail already there."""
        context = ssl.create_default_context(cafile=self.cafile)
        with imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context) as connection:
            connection.login(address, PASSWORD)
            connection.append("INBOX", "", imaplib.Time2Internaldate(when.timestamp()), raw)

    def imap_env(self, address: str, tls: str = "starttls") -> dict[str, str]:
        """crisisplan's settings to read `address`'s mailbox."""
        return {"CRISISPLAN_IMAP_HOST": "127.0.0.1",
                "CRISISPLAN_IMAP_PORT": str(self.imaps_port if tls == "ssl" else self.imap_port),
                "CRISISPLAN_IMAP_TLS": tls, "CRISISPLAN_IMAP_USER": address, "CRISISPLAN_IMAP_PASSWORD": PASSWORD,
                "CRISISPLAN_IMAP_CAFILE": self.cafile}

    def messages(self, address: str, mailbox: str = "INBOX") -> list[EmailMessage]:
        """What the person sees in their mailbox, read over IMAP (TLS)."""
        context = ssl.create_default_context(cafile=self.cafile)
        with imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context) as connection:
            connection.login(address, PASSWORD)
            connection.select(mailbox, readonly=True)
            _, found = connection.uid("SEARCH", None, "ALL")
            result = []
            for uid in (found[0] or b"").split():
                _, parts = connection.uid("FETCH", uid, "(BODY.PEEK[])")
                result.append(message_from_bytes(parts[0][1], policy=policy.default))
            return result


def start() -> Dovecot:
    started = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        message = "Dovecot could not be installed or started: " + started.stderr[-2000:]
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    env = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    return Dovecot(env)


def stop(server: Dovecot) -> None:
    subprocess.run(["bash", str(SCRIPT), "stop", server.dir], check=False, timeout=60)


class _ToLmtp:
    """An SMTP server's delivery step: every message accepted is handed to Dovecot by LMTP, and kept."""

    def __init__(self, dovecot: Dovecot) -> None:
        self.dovecot = dovecot
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content
        try:
            with smtplib.LMTP("127.0.0.1", self.dovecot.lmtp_port) as lmtp:
                lmtp.sendmail(envelope.mail_from, envelope.rcpt_tos, raw)
        except smtplib.SMTPRecipientsRefused:
            return "550 5.1.1 no such mailbox here"
        self.messages.append(message_from_bytes(raw, policy=policy.default))
        return "250 Message accepted for delivery"


class MailServer:
    """SMTP in on a free port, delivery into Dovecot: where crisisplan's replies go."""

    def __init__(self, dovecot: Dovecot) -> None:
        self.handler = _ToLmtp(dovecot)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        return {"CRISISPLAN_SMTP_HOST": "127.0.0.1", "CRISISPLAN_SMTP_PORT": str(self.port),
                "CRISISPLAN_MAIL_FROM": "Example Shop Support <support@example.com>"}
