"""E-mail to subscribers through a real SMTP server: subscribe on the public page, confirm by the link in the
e-mail (double opt-in), get each public post as text and HTML, leave in one click (RFC 8058)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from crisisplan.publish import outbox
from crisisplan.store.models import OutboxRow


def deliver(services) -> outbox.Result:
    return outbox.deliver_due(services.db, services.plan.settings, services.clock.now())


def link(message, kind: str) -> str:
    """The path of the confirm or leave link in the plain-text part."""
    text = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(rf"https://status\.example\.com(/subscribe/{kind}/\S+)", text).group(0)).path


def subscribe(client, services, address: str, components: list[str] = (), lang: str = "en"):
    page = client.post(f"/subscribe?lang={lang}", data={"email": address, "components": list(components)})
    deliver(services)
    return page


def confirmed(client, services, smtp, address: str, components: list[str] = ()) -> None:
    assert subscribe(client, services, address, components).status_code == 200
    path = link(smtp.mailbox.to(address)[-1], "confirm")
    assert "Confirm my subscription" in client.get(path).get_data(as_text=True)
    assert "You are subscribed" in client.post(path).get_data(as_text=True)


def publish_ack(services, components: list[str], drill: bool = False) -> int:
    view = services.declare("outage", "sev3", "Search is slow", "ana", components, is_drill=drill)
    post = services.posts(view.id)[0]
    services.publish_post(post.id, "ana")  # sev3: no approval needed
    return post.id


def test_double_opt_in_then_each_post_then_one_click_out(client, services, smtp) -> None:
    page = subscribe(client, services, "Reader@Example.org", ["website"])
    assert page.status_code == 200 and "Check your inbox" in page.get_data(as_text=True)
    assert "set-cookie" not in page.headers
    publish_ack(services, ["website"])
    deliver(services)
    [confirmation] = smtp.mailbox.to("reader@example.org")  # nothing but the confirmation before confirming
    assert confirmation["Subject"] == "Confirm your Example Shop status updates"
    assert "Website" in confirmation.get_body(("plain",)).get_content()
    path = link(confirmation, "confirm")
    assert services.subscribers("confirmed")[0] == []
    client.get(path)  # a mail scanner opening the link confirms nothing
    assert services.subscribers("confirmed")[0] == []
    client.post(path)
    assert [s.email for s in services.subscribers("confirmed")[0]] == ["reader@example.org"]

    post_id = publish_ack(services, ["website"])
    assert deliver(services).delivered == 1
    message = smtp.mailbox.to("reader@example.org")[-1]
    subscriber = services.subscribers("confirmed")[0][0]
    assert message["Message-ID"] == f"<post-{post_id}.subscriber-{subscriber.id}@status.example.com>"
    assert message["Subject"] == "We are sorry: Search is slow"
    assert message["From"] == "Example Shop Status <status@example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    assert all(not part.defects for part in message.walk())  # the stdlib's strict parser finds nothing wrong
    text, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert "Website is not working" in text and "**" not in text and "<strong>" not in text
    assert "<p>" in html and "https://status.example.com/subscribe/leave/" in html
    leave = urlsplit(message["List-Unsubscribe"].strip().strip("<>")).path  # folded: a leading space
    assert link(message, "leave") == leave
    # what a mail client sends for one-click unsubscribe: a POST with this body, no cookie, no token
    answer = client.post(leave, data="List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200 and "no more e-mails" in answer.get_data(as_text=True)
    publish_ack(services, ["website"])
    deliver(services)
    assert len(smtp.mailbox.to("reader@example.org")) == 2  # the confirmation and the one post
    assert "does not work" in client.get(path).get_data(as_text=True)  # the old confirm link is dead


def test_components_choose_what_arrives_and_drills_never_do(client, services, smtp) -> None:
    confirmed(client, services, smtp, "all@example.org")
    confirmed(client, services, smtp, "checkout@example.org", ["checkout"])
    confirmed(client, services, smtp, "accounts@example.org", ["accounts", "api"])
    publish_ack(services, ["checkout"])
    publish_ack(services, ["website"], drill=True)
    assert deliver(services).delivered == 2
    got = {address: len(smtp.mailbox.to(address)) - 1 for address in
           ("all@example.org", "checkout@example.org", "accounts@example.org")}
    assert got == {"all@example.org": 1, "checkout@example.org": 1, "accounts@example.org": 0}


def test_spanish_readers_get_spanish(client, services, smtp) -> None:
    subscribe(client, services, "lector@example.org", lang="es")
    confirmation = smtp.mailbox.to("lector@example.org")[0]
    assert confirmation["Subject"] == "Confirma tus avisos de estado de Example Shop"
    client.post(link(confirmation, "confirm"))
    publish_ack(services, ["website"])
    deliver(services)
    message = smtp.mailbox.to("lector@example.org")[-1]
    assert message["Subject"].startswith("Lo sentimos")
    assert "Dejar de recibir" in message.get_body(("plain",)).get_content()


def test_bad_requests_are_named_and_nothing_is_revealed(client, services, smtp) -> None:
    bad = client.post("/subscribe", data={"email": "not an address"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.get_data(as_text=True)
    unknown = client.post("/subscribe", data={"email": "a@example.org", "components": ["warp_drive"]})
    assert unknown.status_code == 400 and "unknown component(s) warp_drive" in unknown.get_data(as_text=True)
    confirmed(client, services, smtp, "known@example.org")
    again = subscribe(client, services, "known@example.org")
    assert again.get_data(as_text=True).count("Check your inbox") >= 1
    assert len(smtp.mailbox.to("known@example.org")) == 1  # a known address gets no second confirmation
    subscribe(client, services, "pending@example.org")
    subscribe(client, services, "pending@example.org")
    assert len(smtp.mailbox.to("pending@example.org")) == 1  # asked twice in 10 minutes: one e-mail
    services.clock.advance(timedelta(minutes=11))
    subscribe(client, services, "pending@example.org")
    assert len(smtp.mailbox.to("pending@example.org")) == 2
    assert client.post("/subscribe/leave/nonsense").status_code == 404


def test_a_refused_address_is_given_up_at_once_and_a_down_server_retried(client, services, smtp,
                                                                          monkeypatch) -> None:
    confirmed(client, services, smtp, "gone@example.org")
    confirmed(client, services, smtp, "fine@example.org")
    smtp.mailbox.refuse.add("gone@example.org")
    monkeypatch.setenv("CRISISPLAN_SMTP_PORT", "1")  # nobody listens there
    publish_ack(services, ["website"])
    assert deliver(services).retried == 2
    monkeypatch.setenv("CRISISPLAN_SMTP_PORT", str(smtp.port))
    services.clock.advance(timedelta(seconds=6))
    result = deliver(services)
    assert (result.delivered, result.dead) == (1, 1)
    with services.db.read() as session:
        gone = session.scalars(select(OutboxRow).where(OutboxRow.target == "gone@example.org",
                                                       OutboxRow.channel == "email:post")).one()
    assert gone.status == "dead" and gone.log[-1]["result"].startswith("SMTP 550")
    assert gone.log[0]["result"].startswith("cannot reach or log in to SMTP 127.0.0.1:1")  # tried again, not dead


def test_one_address_may_ask_ten_times_in_ten_minutes(client) -> None:
    codes = [client.post("/subscribe", data={"email": f"n{i}@example.org"}).status_code for i in range(11)]
    assert codes == [200] * 10 + [429]


def test_the_console_lists_adds_and_removes_subscribers(client, services, smtp) -> None:
    from tests.web import form, login

    confirmed(client, services, smtp, "reader@example.org", ["checkout"])
    login(client, "carmen")
    page = client.get("/console/subscribers").get_data(as_text=True)
    assert "1 confirmed" in page and "reader@example.org" in page and "Checkout" in page
    added = form(client, "/console/subscribers", {"email": "boss@example.org", "locale": "es",
                                                 "components": ["payments"]}, follow=True)
    assert "confirmation e-mail is on its way" in added.get_data(as_text=True)
    deliver(services)
    assert smtp.mailbox.to("boss@example.org")[0]["Subject"].startswith("Confirma")
    wrong = form(client, "/console/subscribers", {"email": "nope"}, follow=True)
    assert "is not an e-mail address" in wrong.get_data(as_text=True)
    reader = services.subscribers("confirmed")[0][0]
    form(client, "/console/subscribers", {"remove": str(reader.id)})
    assert services.subscribers("confirmed")[0] == []
    client.get("/logout")
    login(client, "rudi")
    assert client.get("/console/subscribers").status_code == 403  # addresses are for communicators up
