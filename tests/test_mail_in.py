"""E-mail in, as a customer and the team see it, against a real Dovecot (scripts/dovecot.sh): a customer's e-mail
in the support mailbox becomes a complaint signal after `crisisplan inbox pull --once` (sender, name, the words
they wrote, triaged; once per Message-ID), and the team's reply reaches the customer's own mailbox — read back
over IMAP — in the same thread (In-Reply-To, References, "Re: their subject"). Mail servers hand messages over
by LMTP, as Postfix would; crisisplan's SMTP goes to an aiosmtpd server that does the same."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from crisisplan.cli import main
from crisisplan.publish import outbox
from crisisplan.store.cursors import ConnectorCursorRow
from crisisplan.store.models import OutboxRow, SignalRow
from tests.walk import publish_reviewed

CRLF = "\r\n"


def complaint_mail(customer: str, message_id: str) -> bytes:
    """What a mail client sends: the plain part in ISO-8859-1 quoted-printable, an HTML twin, the history quoted."""
    return CRLF.join([
        f"From: =?utf-8?q?Mar=C3=ADa_L=C3=B3pez?= <{customer}>",
        "To: Example Shop Support <support@example.com>",
        "Subject: =?windows-1252?q?Cobro_doble_=96_pedido_4411?=",
        f"Message-ID: {message_id}",
        "In-Reply-To: <ack-1@example.com>",
        "References: <ack-1@example.com>",
        "Date: Mon, 23 Nov 2026 10:00:00 +0100",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="alt"',
        "",
        "--alt",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Me hab=E9is cobrado dos veces el pedido. Si no me lo devolv=E9is hoy, lo",
        "denunciar=E9 con mi abogado.",
        "",
        "El lun, 23 nov 2026 a las 9:00, Soporte <support@example.com> escribi=F3:",
        "> Gracias por escribirnos.",
        "--alt",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p>Me habéis cobrado dos veces</p>",
        "--alt--",
        "",
    ]).encode("latin-1")


WORDS = "Me habéis cobrado dos veces el pedido. Si no me lo devolvéis hoy, lo\ndenunciaré con mi abogado."


@pytest.fixture
def mailbox(dovecot, mailserver, monkeypatch):
    """The support mailbox crisisplan reads (STARTTLS, the instance's own certificate trusted), and a customer."""
    support, customer = dovecot.user("support"), dovecot.user("maria", "example.net")
    for name, value in dovecot.imap_env(support, tls="starttls").items():
        monkeypatch.setenv(name, value)
    return support, customer


def pull(runner) -> str:
    result = runner.invoke(main, ["inbox", "pull", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_email_complaint_becomes_a_signal_and_the_reply_arrives_threaded(dovecot, mailserver, mailbox, runner,
                                                                              services) -> None:
    support, customer = mailbox
    message_id = f"<cobro-{uuid.uuid4().hex}@example.net>"
    dovecot.deliver(support, complaint_mail(customer, message_id), sender=customer)
    # an out-of-office answer is no complaint; a mail with no sender and only a picture cannot be read whole
    dovecot.deliver(support, CRLF.join([f"From: {customer}", "Auto-Submitted: auto-replied", "Subject: Away", "",
                                        "I am away until Monday.", ""]).encode())
    dovecot.deliver(support, CRLF.join(["Subject: foto", "Message-ID: <foto-1@example.net>", "MIME-Version: 1.0",
                                        'Content-Type: multipart/mixed; boundary="z"', "", "--z",
                                        "Content-Type: image/png", "Content-Transfer-Encoding: base64", "",
                                        "iVBORw0KGgo=", "--z--", ""]).encode())

    assert pull(runner).strip() == "imap: 2 new, 0 already recorded"
    rows = {r.source_id: r for r in services.signals()}
    signal = rows[f"imap:{message_id}"]
    assert signal.data["channel"] == "email" and signal.data["author"] == customer
    assert signal.data["author_name"] == "María López" and signal.data["connector"] == "imap"
    assert signal.data["text"] == WORDS  # decoded, the quoted history gone
    assert signal.data["thread"]["subject"] == "Cobro doble – pedido 4411"
    assert signal.data["triage"]["locale"] == "es" and signal.action == "declared"  # legal words: an incident
    unreadable = rows["imap:<foto-1@example.net>"]
    assert "could not be read whole: it has no sender; it has no text" in unreadable.data["text"]
    assert unreadable.data["thread"]["problem"]

    # read again from the start (the cursor lost): each message is still recorded once, by its Message-ID
    assert pull(runner).strip() == "imap: 0 new, 0 already recorded"
    with services.db.write() as session:
        session.execute(delete(ConnectorCursorRow))
    assert pull(runner).strip() == "imap: 0 new, 2 already recorded"

    # the holding reply of the incident goes to her, by SMTP, into her own mailbox, in her thread
    [holding] = [p for p in services.posts(signal.incident_id) if p.kind == "holding_reply"]
    publish_reviewed(services, holding.id, "carmen")
    assert outbox.deliver_due(services.db, services.plan.settings, services.clock.now()).delivered == 1
    [answer] = dovecot.messages(customer)
    assert answer["In-Reply-To"] == message_id
    assert answer["References"].split() == ["<ack-1@example.com>", message_id]
    assert answer["Subject"] == "Re: Cobro doble – pedido 4411"
    assert "sentimos" in answer.get_body(("plain",)).get_content().lower()

    listed = {r["source_id"]: r for r in json.loads(runner.invoke(main, ["signals", "list", "--json"]).output)}
    assert listed[f"imap:{message_id}"]["reply"]["state"] == "answered"
    assert listed[f"imap:{message_id}"]["triage"]["locale"] == "es"


def test_a_reply_through_the_connector_lands_in_the_thread(dovecot, mailserver, mailbox, runner, services) -> None:
    """What the inbox page sends: an `imap:reply` outbox row, delivered by the connector by SMTP."""
    support, customer = mailbox
    message_id = f"<slow-{uuid.uuid4().hex}@example.net>"
    dovecot.deliver(support, CRLF.join([f'From: "Ann Berg" <{customer}>', "Subject: Re: Re: Slow checkout",
                                        f"Message-ID: {message_id}", "Content-Type: text/plain; charset=utf-8", "",
                                        "The checkout takes a minute to load.", ""]).encode())
    pull(runner)
    [signal] = [s for s in services.signals() if s.source_id == f"imap:{message_id}"]
    assert signal.data["author_name"] == "Ann Berg" and signal.action == "recorded"
    now = services.clock.now()
    with services.db.write() as session:
        session.add(OutboxRow(post_id=None, channel="imap:reply", target=customer,
                              payload=json.dumps({"text": "Hello Ann, we are looking into it.",
                                                  "thread": signal.data["thread"], "signal": signal.id}),
                              idempotency_key=f"inbox-reply-{signal.id}", status="pending", attempts=0,
                              next_attempt_at=now, created_at=now, log=[]))
    assert outbox.deliver_due(services.db, services.plan.settings, now).delivered == 1
    [answer] = dovecot.messages(customer)
    assert answer["In-Reply-To"] == message_id and answer["References"] == message_id
    assert answer["Subject"] == "Re: Slow checkout"  # once, however many Re: the thread had
    assert answer.get_body(("plain",)).get_content().strip() == "Hello Ann, we are looking into it."
    assert services.reply_states([signal])[signal.id]["state"] == "answered"


def test_tls_and_refusals(dovecot, mailserver, mailbox, runner, services, monkeypatch) -> None:
    support, customer = mailbox
    dovecot.deliver(support, CRLF.join([f"From: {customer}", "Subject: hi", "Message-ID: <tls-1@example.net>", "",
                                        "Where is my refund?", ""]).encode())
    for name, value in dovecot.imap_env(support, tls="ssl").items():  # IMAP over TLS from the first byte
        monkeypatch.setenv(name, value)
    assert pull(runner).strip() == "imap: 1 new, 0 already recorded"

    monkeypatch.setenv("CRISISPLAN_IMAP_PASSWORD", "wrong")
    refused = runner.invoke(main, ["inbox", "pull", "--once"])
    assert refused.exit_code == 1 and "refused the login of " + support in refused.output
    monkeypatch.setenv("CRISISPLAN_IMAP_PASSWORD", "a mailbox password for the tests")
    monkeypatch.delenv("CRISISPLAN_IMAP_CAFILE")  # the server's own certificate, not trusted by the system
    untrusted = runner.invoke(main, ["inbox", "pull", "--once"])
    assert untrusted.exit_code == 1 and "certificate is not trusted" in untrusted.output
    assert len([s for s in services.signals() if s.source_id.startswith("imap:")]) == 1


def test_a_rebuilt_folder_is_read_again_and_known_messages_stay_once(dovecot, mailserver, mailbox, runner,
                                                                     services) -> None:
    support, customer = mailbox
    for n in range(3):
        dovecot.deliver(support, CRLF.join([f"From: {customer}", f"Subject: n{n}", f"Message-ID: <n{n}@example.net>",
                                            "", f"Problem number {n}", ""]).encode())
    assert pull(runner).strip() == "imap: 3 new, 0 already recorded"
    cursor = json.loads(services.connector_cursor("imap").cursor)
    assert cursor["INBOX"]["uid"] == 3
    # the server rebuilt the folder: a new UIDVALIDITY means the old UIDs mean nothing; all is read again
    with services.db.write() as session:
        session.execute(update(ConnectorCursorRow).values(cursor=json.dumps({"INBOX": {"validity": 1, "uid": 3}})))
    dovecot.deliver(support, CRLF.join([f"From: {customer}", "Subject: n3", "Message-ID: <n3@example.net>", "",
                                        "Problem number 3", ""]).encode())
    assert pull(runner).strip() == "imap: 1 new, 3 already recorded"
    with services.db.read() as session:
        assert session.query(SignalRow).filter(SignalRow.source_id.like("imap:<n%")).count() == 4


def test_a_first_read_leaves_old_mail_alone_and_reads_page_after_page(dovecot, mailserver, mailbox, runner,
                                                                      services, monkeypatch) -> None:
    support, customer = mailbox
    # connecting a mailbox with history: what arrived more than a week ago is not replayed as new complaints
    dovecot.append(support, CRLF.join([f"From: {customer}", "Subject: old", "Message-ID: <old-1@example.net>", "",
                                       "An old complaint from last month", ""]).encode(),
                   datetime.now(UTC) - timedelta(days=30))
    for n in range(55):  # more than one page (50) of new mail
        dovecot.deliver(support, CRLF.join([f"From: {customer}", f"Subject: p{n}", f"Message-ID: <p{n}@example.net>",
                                            "", f"Problem number {n}", ""]).encode())
    assert pull(runner).strip() == "imap: 55 new, 0 already recorded"
    monkeypatch.setenv("CRISISPLAN_IMAP_BACKFILL_DAYS", "0")  # all of it, when asked
    with services.db.write() as session:
        session.execute(delete(ConnectorCursorRow))
    assert pull(runner).strip() == "imap: 1 new, 55 already recorded"


def test_a_reply_written_in_the_inbox_reaches_the_customer_threaded(dovecot, mailserver, mailbox, runner,
                                                                    services) -> None:
    """The inbox page's path: a complaint that declared nothing, answered by a private post naming it."""
    support, customer = mailbox
    message_id = f"<late-{uuid.uuid4().hex}@example.net>"
    dovecot.deliver(support, CRLF.join([f'From: "Ann Berg" <{customer}>', "Subject: Parcel late",
                                        f"Message-ID: {message_id}", f"References: <order-{message_id[1:]}",
                                        "Content-Type: text/plain; charset=utf-8", "",
                                        "My parcel is three days late.", ""]).encode())
    pull(runner)
    [signal] = [s for s in services.signals() if s.source_id == f"imap:{message_id}"]
    assert signal.action == "recorded" and signal.incident_id is None
    post = services.reply_to_signal(signal.id, "holding_reply", "carmen")
    publish_reviewed(services, post.id, "carmen")
    assert outbox.deliver_due(services.db, services.plan.settings, services.clock.now()).dead == 0
    [answer] = dovecot.messages(customer)
    assert answer["In-Reply-To"] == message_id
    assert answer["References"].split() == [f"<order-{message_id[1:]}", message_id]
    assert answer["Subject"] == "Re: Parcel late"
    assert "Ann" in answer.get_body(("plain",)).get_content()  # addressed by name, not by address
    assert services.reply_states([signal])[signal.id]["state"] == "answered"


def test_a_message_that_breaks_the_reader_is_recorded_and_the_pull_goes_on(dovecot, mailserver, mailbox, runner,
                                                                           services, monkeypatch) -> None:
    from crisisplan.comms import inmail

    support, customer = mailbox
    for n in range(3):
        dovecot.deliver(support, CRLF.join([f"From: {customer}", f"Subject: s{n}", f"Message-ID: <s{n}@example.net>",
                                            "", "poison" if n == 1 else f"Fine message {n}", ""]).encode())
    real = inmail.read

    def breaks_on_poison(raw: bytes):  # a reader fault on one message (what a server's odd answer would cause)
        if b"poison" in raw:
            raise ValueError("cannot take this answer apart")
        return real(raw)

    monkeypatch.setattr(inmail, "read", breaks_on_poison)
    assert pull(runner).strip() == "imap: 3 new, 0 already recorded"
    texts = sorted(s.data["text"] for s in services.signals() if s.source_id.startswith("imap:"))
    assert texts[:2] == ["Fine message 0", "Fine message 2"]
    assert texts[2] == ("[This e-mail could not be read whole: the server's answer cannot be read (ValueError: "
                        "cannot take this answer apart). Open it in the mailbox INBOX, message number 2.]")
