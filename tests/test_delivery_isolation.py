"""Issue 18, failure 1: one message the worker cannot send must not jam delivery for everybody.

`POST /subscribe` with `jörg@example.com` used to make smtplib raise `UnicodeEncodeError`, which aborted the
whole batch without recording or releasing anything; `crisisplan worker` then exited 1 on every restart. Now
each message is tried on its own, a message no attempt can deliver goes to the dead letters with its reason,
and the rest of the batch goes on. Addresses beyond ASCII: the domain goes out in IDNA (RFC 5891), the name
before the @ needs a server that offers SMTPUTF8 (RFC 6531), and without one the subscription is refused
at once, in words.
"""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from crisisplan.publish import mail
from crisisplan.store.models import OutboxRow, SubscriberRow
from tests.mailbox import Mailbox, SmtpServer
from tests.test_worker_processes import pending, publish, start_worker, stop, wait_for


class Envelopes(Mailbox):
    """Keeps the SMTP envelope too: the RCPT address as it went over the wire, and the options of MAIL."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.envelopes: list[tuple[list[str], list[str]]] = []
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.envelopes.append((list(envelope.rcpt_tos), list(envelope.mail_options)))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(params=[True, False], ids=["smtputf8", "ascii-only"])
def server(request, monkeypatch):
    mail._offers.clear()  # what a server offers is remembered per host and port: each test asks its own
    box = Envelopes()
    smtp = SmtpServer(box, enable_SMTPUTF8=request.param)
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    smtp.utf8 = request.param
    yield smtp
    smtp.stop()
    mail._offers.clear()


def test_subscribing_with_a_name_beyond_ascii(client, services, server) -> None:
    answer = client.post("/subscribe", data={"email": "jörg@example.com"})
    page = answer.get_data(as_text=True)
    with services.db.read() as session:
        owed = list(session.scalars(select(OutboxRow)))
    if not server.utf8:
        # refused at once, saying why, and nothing is left to fail later
        assert answer.status_code == 400
        assert "SMTPUTF8" in page and "jörg@example.com" in page
        assert owed == []
        return
    assert answer.status_code == 200, page
    done = services.deliver_due()
    assert (done.delivered, done.dead, done.retried) == (1, 0, 0)
    (rcpt, options), = server.mailbox.envelopes
    assert rcpt == ["jörg@example.com"] and "SMTPUTF8" in [o.upper() for o in options]
    assert server.mailbox.messages[0]["To"] == "jörg@example.com"  # the header unencoded (RFC 6532)


def test_an_internationalised_domain_goes_out_in_idna(client, services, server) -> None:
    answer = client.post("/subscribe", data={"email": "ana@bücher.example"})
    assert answer.status_code == 200
    assert services.deliver_due().delivered == 1
    (rcpt, options), = server.mailbox.envelopes
    # the IDNA form of bücher.example, from RFC 3492's algorithm (as `idn` or any registrar shows it)
    assert rcpt == ["ana@xn--bcher-kva.example"]
    assert "SMTPUTF8" not in [o.upper() for o in options]  # an ASCII envelope needs no extension


def _poison(services, address: str = "jörg@example.com", payload: str | None = None) -> int:
    """A message written before the gate existed (or by a bug): the worker must survive it."""
    now = services.clock.now()
    with services.db.write() as session:
        row = OutboxRow(post_id=None, channel="email:notice", target=address,
                        payload=payload or json.dumps({"subject": "Check", "text": "A notice.", "key": "poison"}),
                        idempotency_key=f"poison-{address}-{payload is None}", status="pending", attempts=0,
                        next_attempt_at=now, created_at=now, log=[])
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def ascii_smtp(monkeypatch):
    """A real SMTP server that does not offer SMTPUTF8 (aiosmtpd's Controller offers it unless told not to)."""
    mail._offers.clear()
    smtp = SmtpServer(enable_SMTPUTF8=False)
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    yield smtp
    smtp.stop()


def test_a_poisoned_message_fails_alone_and_the_batch_goes_on(services, ascii_smtp) -> None:
    """The server offers no SMTPUTF8: the UTF-8 address and a message with a broken payload are dead
    letters with their reasons, and every other message of the same batch is delivered."""
    smtp = ascii_smtp
    first = _poison(services, "someone@example.org", payload=json.dumps({"subject": "ok", "text": "fine",
                                                                         "key": "first"}))
    poisoned = _poison(services)
    broken = _poison(services, "broken@example.org", payload="{not json")
    last = _poison(services, "other@example.org", payload=json.dumps({"subject": "ok", "text": "fine",
                                                                       "key": "last"}))
    done = services.deliver_due()
    assert (done.delivered, done.dead, done.retried) == (2, 2, 0)
    with services.db.read() as session:
        rows = {r.id: r for r in session.scalars(select(OutboxRow))}
    assert rows[first].status == rows[last].status == "delivered"
    assert rows[poisoned].status == "dead" and "SMTPUTF8" in rows[poisoned].log[-1]["result"]
    assert rows[broken].status == "dead" and "JSONDecodeError" in rows[broken].log[-1]["result"]
    assert all(r.locked_until is None for r in rows.values())  # nothing held back by the round
    assert sorted(m["To"] for m in smtp.mailbox.messages) == ["other@example.org", "someone@example.org"]
    # the dead letters are where people look: `outbox list --status dead`, the console's Delivery page
    assert {r.id for r in services.outbox_messages("dead")} == {poisoned, broken}


def test_a_failure_to_record_gives_the_rest_of_the_batch_back(services, ascii_smtp, monkeypatch) -> None:
    """The batch is released in `finally`: whatever stops a round, what it did not try is free at once."""
    from crisisplan.publish import outbox

    ids = [_poison(services, f"reader{i}@example.org", json.dumps({"subject": "s", "text": "t", "key": f"k{i}"}))
           for i in range(3)]
    calls = []

    def failing_record(*args, **kwargs):
        calls.append(args[1].id)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(outbox, "record", failing_record)
    with pytest.raises(RuntimeError):
        services.deliver_due()
    with services.db.read() as session:
        rows = list(session.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids))))
    assert calls == [ids[0]]
    assert [r.locked_until for r in rows] == [None, None, None]


def test_killing_the_worker_with_a_poisoned_message_in_its_batch_loses_nothing(services, db_url) -> None:
    """The fault test: a worker is killed (SIGKILL) mid-batch while a UTF-8 address the server cannot take is in
    that batch; the next worker takes the batch when the lease runs out, puts the poisoned message in the dead
    letters and delivers every other message, and keeps running."""
    box = Envelopes(delay=0.15)  # slow enough to be killed mid-batch
    smtp = SmtpServer(box, enable_SMTPUTF8=False)
    try:
        now = datetime.now(UTC)
        readers = [f"reader{i}@example.org" for i in range(12)]
        with services.db.write() as session:
            session.execute(insert(SubscriberRow), [
                {"email": e, "components": [], "locale": "en", "status": "confirmed", "token": f"t-{e}",
                 "created_at": now, "confirmed_at": now}
                for e in [*readers[:4], "jörg@example.com", *readers[4:]]])  # subscribed before the gate
        publish(services)
        first = start_worker(db_url, smtp, "--lease", "3")
        wait_for(lambda: len(box.messages) >= 2, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = start_worker(db_url, smtp, "--lease", "3")
        wait_for(lambda: pending(services) == 0, 90)
        assert second.poll() is None, second.stderr.read() if second.stderr else ""
        stop(second)
        delivered = {m["To"] for m in box.messages}
        assert set(readers) <= delivered
        with services.db.read() as session:
            poisoned = session.scalars(select(OutboxRow).where(OutboxRow.target == "jörg@example.com")).one()
        assert poisoned.status == "dead" and "SMTPUTF8" in poisoned.log[-1]["result"]
    finally:
        smtp.stop()
