"""E-mail in: an IMAP mailbox whose new messages become complaint signals; the reply goes back by SMTP in the
customer's thread. Configured like SMTP, from the environment (nothing of it in plan.yaml, no secret stored):

    CRISISPLAN_IMAP_HOST       the server; unset, e-mail in is off
    CRISISPLAN_IMAP_PORT       default 993 (IMAP over TLS), 143 with STARTTLS or none
    CRISISPLAN_IMAP_TLS        ssl (default: TLS from the first byte), starttls (upgrade, refused if not offered),
                               none (plain text: only for a server on loopback)
    CRISISPLAN_IMAP_USER, CRISISPLAN_IMAP_PASSWORD   the mailbox's login
    CRISISPLAN_IMAP_MAILBOXES  folders to read, comma-separated (default INBOX)
    CRISISPLAN_IMAP_CHANNEL    the plan.yaml `support:` channel these e-mails arrive on (default email)
    CRISISPLAN_IMAP_CAFILE     a certificate (PEM) to trust besides the system's: a server with its own
    CRISISPLAN_IMAP_BACKFILL_DAYS  a folder read for the first time: only the mail of these last days (default
                               7; 0 reads all), so connecting a years-old mailbox does not replay its history

The cursor is, per folder, its UIDVALIDITY and the highest UID read: a folder rebuilt by the server (a new
UIDVALIDITY) is read again from the start, and the repeats are known by Message-ID. Messages are read with
BODY.PEEK, so nothing is marked read for the people who also use the mailbox.
"""

from __future__ import annotations

import contextlib
import imaplib
import json
import os
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crisisplan.comms import inmail
from crisisplan.comms.email import reply_subject
from crisisplan.plan.schema import PlanSettings
from crisisplan.publish.connectors.base import ConnectorError, Mention, PermanentConnectorError

PAGE = 50  # messages read a fetch; the pull asks again until nothing is new
TIMEOUT_S = 20
SIZE_MAX = 10 * 1024 * 1024  # a bigger message is recorded from its headers only (the text says so)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # IMAP dates


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    tls: str  # ssl | starttls | none
    user: str
    password: str
    mailboxes: tuple[str, ...]
    channel: str
    cafile: str
    problem: str = ""  # a setting that cannot work: every pull says so (the plan still loads)
    backfill_days: int = 7  # a folder read for the first time: only what arrived in these last days (0: all)

    @classmethod
    def from_env(cls) -> ImapSettings | None:
        """None when the environment sets up no mailbox."""
        env = os.environ
        host = env.get("CRISISPLAN_IMAP_HOST", "").strip()
        if not host:
            return None
        problem = ""
        tls = env.get("CRISISPLAN_IMAP_TLS", "ssl").strip().lower() or "ssl"
        if tls not in ("ssl", "starttls", "none"):
            problem = f"CRISISPLAN_IMAP_TLS is '{tls}'; it can be ssl, starttls or none"
        port = env.get("CRISISPLAN_IMAP_PORT", "").strip() or ("993" if tls == "ssl" else "143")
        if not port.isdigit() or not 0 < int(port) < 65536:
            problem, port = f"CRISISPLAN_IMAP_PORT is '{port}', not a port number", "0"
        backfill = env.get("CRISISPLAN_IMAP_BACKFILL_DAYS", "7").strip() or "7"
        if not backfill.isdigit():
            problem, backfill = f"CRISISPLAN_IMAP_BACKFILL_DAYS is '{backfill}', not a number of days", "7"
        boxes = tuple(b.strip() for b in env.get("CRISISPLAN_IMAP_MAILBOXES", "INBOX").split(",") if b.strip())
        return cls(host, int(port), tls, env.get("CRISISPLAN_IMAP_USER", ""), env.get("CRISISPLAN_IMAP_PASSWORD", ""),
                   boxes or ("INBOX",), env.get("CRISISPLAN_IMAP_CHANNEL", "email").strip() or "email",
                   env.get("CRISISPLAN_IMAP_CAFILE", "").strip(), problem, int(backfill))


def build(settings: PlanSettings) -> ImapConnector | None:
    """The connector when the environment sets up a mailbox, else None (e-mail in is off)."""
    found = ImapSettings.from_env()
    return ImapConnector(found, settings) if found else None


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapConnector:
    """One mailbox (one or more folders) read over IMAP; replies sent by the plan's SMTP settings."""

    name = "imap"

    def __init__(self, imap: ImapSettings, settings: PlanSettings) -> None:
        self.imap, self.settings = imap, settings

    # --- in -----------------------------------------------------------------------------------------------
    def _connect(self) -> imaplib.IMAP4:
        s = self.imap
        if s.problem:
            raise PermanentConnectorError(s.problem)
        try:
            context = ssl.create_default_context(cafile=s.cafile or None)
        except OSError as error:
            raise PermanentConnectorError(f"CRISISPLAN_IMAP_CAFILE {s.cafile}: cannot read it ({error})") from None
        try:
            if s.tls == "ssl":
                connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=context, timeout=TIMEOUT_S)
            else:
                connection = imaplib.IMAP4(s.host, s.port, timeout=TIMEOUT_S)
                if s.tls == "starttls":
                    connection.starttls(ssl_context=context)
        except ssl.SSLCertVerificationError as error:
            raise PermanentConnectorError(f"IMAP {s.host}:{s.port}: its certificate is not trusted ({error.reason}); "
                                          "set CRISISPLAN_IMAP_CAFILE for a server with its own") from None
        except (OSError, imaplib.IMAP4.error) as error:  # refused, timed out, no STARTTLS offered
            raise ConnectorError(f"cannot reach IMAP {s.host}:{s.port}: {error}") from None
        try:
            connection.login(s.user, s.password)
        except imaplib.IMAP4.error as error:
            _close(connection)
            raise PermanentConnectorError(f"IMAP {s.host}:{s.port} refused the login of "
                                          f"{s.user or '(no user)'}: {_said(error)}") from None
        except OSError as error:
            _close(connection)
            raise ConnectorError(f"IMAP {s.host}:{s.port} went away while logging in: {error}") from None
        return connection

    def fetch(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        """The messages that arrived since `cursor` in each folder, oldest first, at most PAGE of them."""
        try:
            state: dict[str, Any] = json.loads(cursor) if cursor else {}
        except ValueError:
            state = {}  # a cursor from another connector's format: read again; the repeats are known
        connection = self._connect()
        mentions: list[Mention] = []
        try:
            for mailbox in self.imap.mailboxes:
                if len(mentions) >= PAGE:
                    break
                mentions += self._read_folder(connection, mailbox, state, PAGE - len(mentions))
        except (OSError, imaplib.IMAP4.abort, ssl.SSLError) as error:
            raise ConnectorError(f"IMAP {self.imap.host}: the connection broke: {error}") from None
        except imaplib.IMAP4.error as error:  # a BAD answer: the server refused a command; try again next pull
            raise ConnectorError(f"IMAP {self.imap.host} refused a command: {_said(error)}") from None
        finally:
            _close(connection)
        return mentions, json.dumps(state, sort_keys=True)

    def _read_folder(self, connection: imaplib.IMAP4, mailbox: str, state: dict[str, Any],
                     room: int) -> list[Mention]:
        kind, answer = connection.select(_quote(mailbox), readonly=True)
        if kind != "OK":
            raise PermanentConnectorError(f"IMAP folder {mailbox!r} cannot be opened: {_said(answer)}")
        validity = int((connection.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)
        seen = state.get(mailbox) or {}
        last = int(seen.get("uid", 0)) if seen.get("validity") == validity else 0
        criteria = f"UID {last + 1}:*"
        if not last and self.imap.backfill_days:  # a first read (or a rebuilt folder): not years of old mail
            day = datetime.now(UTC) - timedelta(days=self.imap.backfill_days)
            criteria += f" SINCE {day.day}-{_MONTHS[day.month - 1]}-{day.year}"
        kind, found = connection.uid("SEARCH", None, criteria)
        if kind != "OK":
            raise ConnectorError(f"IMAP folder {mailbox!r}: search refused: {_said(found)}")
        uids = sorted(u for u in (int(x) for x in b" ".join(found or []).split()) if u > last)  # n:* gives the last
        mentions: list[Mention] = []
        for uid in uids[:room]:
            try:
                mention = self._read_message(connection, mailbox, uid)
            except (ValueError, TypeError, IndexError, LookupError) as error:  # an answer we cannot take apart
                mention = self._unreadable(mailbox, validity, uid, f"{type(error).__name__}: {error}")
            if mention is not None:
                mentions.append(mention)
            state[mailbox] = {"validity": validity, "uid": uid}  # after each: a page cut short goes on from here
        if not uids:
            state[mailbox] = {"validity": validity, "uid": last}
        return mentions

    def _read_message(self, connection: imaplib.IMAP4, mailbox: str, uid: int) -> Mention | None:
        kind, parts = connection.uid("FETCH", str(uid), "(INTERNALDATE RFC822.SIZE)")
        meta = b" ".join(p if isinstance(p, bytes) else p[0] for p in parts or [] if p)
        size = int((re.search(rb"RFC822\.SIZE (\d+)", meta) or [0, b"0"])[1])
        arrived = imaplib.Internaldate2tuple(meta)
        what = "BODY.PEEK[HEADER]" if size > SIZE_MAX else "BODY.PEEK[]"
        kind, parts = connection.uid("FETCH", str(uid), f"({what})")
        raw = next((p[1] for p in parts or [] if isinstance(p, tuple) and len(p) > 1), None)
        if kind != "OK" or raw is None:
            return None  # expunged between the search and the fetch: gone, nothing to record
        mail = inmail.read(raw)
        if mail.automatic:
            return None
        at = _arrival(arrived, mail.at)
        problem = mail.problem or (f"it is {size // 1024 // 1024} MB, more than crisisplan reads" if size > SIZE_MAX
                                   else "")
        text = mail.text if mail.text.strip() else ""
        if problem:  # still recorded, so nobody's message is lost: the text tells the team where to read it
            text = (f"{text}\n\n" if text else "") + (f"[This e-mail could not be read whole: {problem}. Open it in "
                                                      f"the mailbox {mailbox}, subject {mail.subject or '(none)'!r}.]")
        thread = {"message_id": mail.message_id, "references": mail.references, "subject": mail.subject,
                  "address": mail.address, "mailbox": mailbox, "uid": uid, **({"problem": problem} if problem else {})}
        return Mention(source_id=mail.message_id, channel=self.imap.channel, author=mail.address,
                       author_name=mail.name, text=text, link="", reach=0, at=at, thread=thread)

    def _unreadable(self, mailbox: str, validity: int, uid: int, why: str) -> Mention:
        """A message the server gave back in a shape crisisplan cannot read: recorded all the same, once (by its
        folder, UIDVALIDITY and UID), its text saying where a person finds it."""
        problem = f"the server's answer cannot be read ({why[:200]})"
        return Mention(source_id=f"<uid-{validity}-{uid}@{mailbox}>", channel=self.imap.channel, author="",
                       author_name="", text=f"[This e-mail could not be read whole: {problem}. Open it in the mailbox "
                                            f"{mailbox}, message number {uid}.]", link="", reach=0,
                       at=datetime.now(UTC), thread={"mailbox": mailbox, "uid": uid, "problem": problem})

    # --- out ----------------------------------------------------------------------------------------------
    def post(self, text: str, link: str, key: str = "") -> str:
        """E-mail has no public timeline: a status message goes out to subscribers, not from this mailbox."""
        raise PermanentConnectorError("e-mail has no public posts; subscribers get status updates by e-mail")

    def reply(self, mention_ref: dict[str, Any], text: str, key: str = "") -> str:
        """Answer the customer's e-mail by SMTP in its thread (In-Reply-To, References, "Re: their subject")."""
        from crisisplan.publish.mail import Mailer
        from crisisplan.store.models import OutboxRow

        address = str(mention_ref.get("address") or "")
        if "@" not in address:
            raise PermanentConnectorError("the e-mail being answered has no sender address to reply to")
        key = key or f"reply-{abs(hash((address, text)))}"
        payload = {"subject": reply_subject(str(mention_ref.get("subject") or "")), "text": text.rstrip() + "\n",
                   "key": re.sub(r"[^\w.-]", "-", key)[:120], "in_reply_to": mention_ref.get("message_id") or "",
                   "references": list(mention_ref.get("references") or [])}
        row = OutboxRow(channel="email:reply", target=address, payload=json.dumps(payload, ensure_ascii=False),
                        created_at=datetime.now(UTC), post_id=None)
        mailer = Mailer(None, self.settings)  # type: ignore[arg-type] - a reply reads no post from the database
        try:
            ok, what, permanent = mailer.send(row)
        finally:
            mailer.close()
        if ok:
            return what.removeprefix("SMTP accepted ")
        raise (PermanentConnectorError if permanent else ConnectorError)(what)


def _arrival(arrived: Any, written: datetime | None) -> datetime:
    """When it reached the mailbox (the server's INTERNALDATE): the customer's wait starts then, whatever date
    their client wrote; the Date header when the server gives none."""
    import time

    if arrived:
        return datetime.fromtimestamp(time.mktime(arrived), UTC)
    return written or datetime.now(UTC)


def _said(answer: Any) -> str:
    """The server's words from an imaplib answer or error."""
    if isinstance(answer, list):
        answer = b" ".join(a for a in answer if isinstance(a, bytes))
    if isinstance(answer, BaseException) and answer.args:
        answer = answer.args[0]
    if isinstance(answer, bytes):
        return answer.decode(errors="replace")
    return str(answer)


def _close(connection: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):  # ssl.SSLError and timeouts are OSErrors
        connection.logout()
