"""The inbox (issue 20, part 3): complaints by channel with the time left to the channel's promised first answer,
who has each, replies addressed by name through the post review flow, refusals that must give a reason and an
alternative, the "is it fixed?" follow-up a day after resolution and the customer's answer, and the topics week on
week. Expected values are worked out by hand from plan.yaml (social answers within 1h, e-mail within 4h) and the
simulated clock (2026-01-01 09:00 UTC, 10:00 in Madrid)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crisisplan.errors import InvalidInput
from crisisplan.services.accounts import Accounts
from crisisplan.signals.inbox import fix_verdict
from crisisplan.store.audit_models import AdminEventRow
from crisisplan.store.models import IncidentRow, OutboxRow, PostRow, SignalRow
from tests.conftest import ROLE_USERS
from tests.test_console_queries import LIMIT, statements
from tests.walk import publish_reviewed, satisfy, take
from tests.web import form, login

START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
REFUND = "My order 482913 arrived broken, can you refund it?"


def people(services) -> None:
    accounts = Accounts(services.db, services.clock)
    for name, role in ROLE_USERS.items():
        accounts.add_user(name, role, "correct horse battery")


def counts(services) -> tuple[int, int, int]:
    with services.db.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (IncidentRow, PostRow, AdminEventRow))


def item(services, signal_id: int, **filters):
    return next(i for i in services.inbox(state="all", **filters).items if i.signal.id == signal_id)


# time left to the promised first answer -----------------------------------------------------------------------

def test_time_left_to_the_channels_first_answer_runs_on_the_clock(services) -> None:
    social, _ = services.receive_complaint("social", "@lucia", 12, "The app logs me out")
    mail, _ = services.receive_complaint("email", "eva@example.com", 0, "Where is my parcel?")
    assert item(services, social.id).due == START + timedelta(hours=1)  # social: response 1h
    assert item(services, mail.id).due == START + timedelta(hours=4)  # email: response 4h
    services.clock.advance(timedelta(minutes=25))
    from crisisplan.web.console.inbox import _left

    with _app_context(services):
        assert _left(item(services, social.id)) == ("35 min left", "")  # 60 - 25
        services.clock.advance(timedelta(minutes=31))  # 56 minutes in: 4 left, amber from 5 minutes
        assert _left(item(services, social.id)) == ("4 min left", "amber")
        services.clock.advance(timedelta(hours=4, minutes=9))  # 5h05m in
        assert _left(item(services, social.id)) == ("4 h 5 min overdue", "red")  # 5h05m - 1h
        assert _left(item(services, mail.id)) == ("1 h 5 min overdue", "red")  # 5h05m - 4h


def test_the_first_reply_that_goes_out_answers_it_in_the_time_it_took(services) -> None:
    row, _ = services.receive_complaint("social", "@lucia", 12, REFUND)
    services.clock.advance(timedelta(minutes=10))
    assert item(services, row.id).kinds == ["holding_reply", "refusal_with_alternative"]  # from triage, its first state
    post = services.reply_to_signal(row.id, "holding_reply", "carmen")
    assert item(services, row.id).answered_at is None  # a draft answers nobody
    assert [i.signal.id for i in services.inbox().items] == [row.id]  # "not answered yet" is the default
    services.clock.advance(timedelta(minutes=30))
    publish_reviewed(services, post.id, "carmen")
    answered = item(services, row.id)
    assert answered.answered_at == START + timedelta(minutes=40)
    assert services.inbox().items == [] and [i.signal.id for i in services.inbox(state="answered").items] == [row.id]
    from crisisplan.web.console.inbox import _left

    with _app_context(services):
        assert _left(answered) == ("answered in 40 min", "")
    late, _ = services.receive_complaint("social", "@bo", 3, "Checkout is down")
    services.clock.advance(timedelta(hours=1, minutes=15))
    publish_reviewed(services, services.reply_to_signal(late.id, "holding_reply", "carmen").id, "carmen")
    with _app_context(services):
        assert _left(item(services, late.id)) == ("answered in 1 h 15 min, 15 min late", "red")


def _app_context(services):
    from crisisplan.web import create_app

    # a request (no Accept-Language: the plan's default, English), as the row's words are in the reader's language
    return create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True}).test_request_context()


# replies: by name, through the review flow, in the audit chain ------------------------------------------------

def test_a_reply_is_a_private_post_on_the_complaints_incident_addressed_by_name(services) -> None:
    row, _ = services.receive_complaint("social", "@lucia", 12, REFUND)
    with services.db.write() as session:  # what a connector records: the display name beside the handle
        signal = session.get(SignalRow, row.id)
        signal.data = {**signal.data, "author_name": "Lucía Pérez"}
    assert row.incident_id is None
    post = services.reply_to_signal(row.id, "holding_reply", "carmen")
    signal = services.signals()[0]
    assert signal.incident_id and signal.action == "declared" and post.incident_id == signal.incident_id
    assert post.signal_id == row.id and post.status == "draft"
    assert post.bodies["en"].startswith("Lucía Pérez, we are sorry this happened to you")
    assert [p.kind for p in services.posts(post.incident_id)] == ["holding_reply"]  # the declaration's draft, adopted
    view = services.get(post.incident_id)
    assert view.runbook_id == "complaints" and services.incident(post.incident_id).fields["complainant"] == "@lucia"
    events = [(e.kind, json.loads(e.payload).get("signal")) for e in services.timeline(post.incident_id)]
    assert ("complaint_attached", row.id) in events and ("post_drafted", row.id) in events  # in the audit chain
    assert item(services, row.id).owner == "carmen"  # whoever answers a complaint nobody had takes it
    publish_reviewed(services, post.id, "carmen")
    assert services.private_delivery(services.post(post.id))["to"] == "@lucia"
    assert "post_published" in [e.kind for e in services.timeline(post.incident_id)]


def test_a_reply_goes_to_its_own_complainant_not_the_one_who_declared(services) -> None:
    first, _ = services.receive_complaint("email", "ana@example.com", 0, REFUND)
    post = services.reply_to_signal(first.id, "holding_reply", "carmen")
    second, _ = services.receive_complaint("email", "bea@example.com", 0, "Same for me, order 553311")
    with services.db.write() as session:  # a second person on the same case, whose mail said her name
        row = session.get(SignalRow, second.id)
        row.incident_id, row.data = post.incident_id, {**row.data, "author_name": "Bea Ruiz"}
    reply = services.reply_to_signal(second.id, "holding_reply", "carmen")
    assert reply.id != post.id and reply.incident_id == post.incident_id
    assert reply.bodies["en"].startswith("Bea Ruiz, we are sorry")
    publish_reviewed(services, reply.id, "carmen")
    assert services.private_delivery(services.post(reply.id))["to"] == "bea@example.com"


def test_an_address_is_never_a_greeting(services) -> None:
    row, _ = services.receive_complaint("email", "maria@example.com", 0, REFUND)
    post = services.reply_to_signal(row.id, "private_channel_invite", "carmen")
    assert post.bodies["en"].startswith("Thank you for your patience")


def test_a_refusal_without_its_reason_or_alternative_is_refused_naming_the_field(services) -> None:
    row, _ = services.receive_complaint("social", "@lucia", 12, REFUND)
    before = counts(services)
    with pytest.raises(InvalidInput) as missing:
        services.reply_to_signal(row.id, "refusal_with_alternative", "carmen", words={"alternative": "a new one"})
    assert missing.value.field == "reason"
    with pytest.raises(InvalidInput) as missing:
        services.reply_to_signal(row.id, "refusal_with_alternative", "carmen",
                                 words={"reason": "  ", "alternative": ""})
    assert missing.value.field == "reason"
    with pytest.raises(InvalidInput) as missing:
        services.reply_to_signal(row.id, "refusal_with_alternative", "carmen", words={"reason": "it left already"})
    assert missing.value.field == "alternative"
    with pytest.raises(InvalidInput) as wrong:
        services.reply_to_signal(row.id, "resolve", "carmen")  # a public post is not a reply to one person
    assert wrong.value.field == "kind"
    assert counts(services) == before and services.signals()[0].incident_id is None  # nothing declared, nothing drafted
    post = services.reply_to_signal(row.id, "refusal_with_alternative", "carmen",
                                    words={"reason": "the parcel is still with the courier",
                                           "alternative": "we send a new one today at our cost."})
    body = post.bodies["en"]
    assert body.startswith("@lucia, thank you for asking, and we are sorry we cannot do exactly this one: the parcel "
                           "is still with the courier. What we can do instead: we send a new one today at our cost. ")
    assert "outside what we can offer" not in body and "outside what we can offer" not in post.short_bodies["en"]
    assert set(post.bodies) == {"en"}  # their words are English: no Spanish text wrapped around them
    checks = services.post_findings(post, services.incident(post.incident_id))
    assert "bare_refusal" not in [f.rule for f in checks["en"]]
    with pytest.raises(InvalidInput) as again:  # its words were the responder's: no template to write it again from
        services.redraft_post(post.id, "carmen")
    assert again.value.field == "kind"
    publish_reviewed(services, post.id, "carmen")  # one language is all a reply to one person needs
    assert services.post(post.id).status == "published"


def test_drafting_a_refusal_on_an_incident_needs_the_words_too(services) -> None:
    view = services.declare("complaints", "normal", "Complaint from @x", "ana")
    with pytest.raises(InvalidInput) as missing:
        services.draft_post(view.id, "refusal_with_alternative", "carmen")
    assert missing.value.field == "reason"


# owner -----------------------------------------------------------------------------------------------------------

def test_who_has_a_complaint_is_recorded_and_only_a_responder_can_have_it(services) -> None:
    people(services)
    row, _ = services.receive_complaint("social", "@lucia", 12, REFUND)
    services.take_signal(row.id, "rudi")
    assert item(services, row.id).owner == "rudi"
    before = counts(services)
    with pytest.raises(InvalidInput) as nobody:
        services.take_signal(row.id, "carmen", owner="vera")  # a viewer answers nobody
    assert nobody.value.field == "owner" and counts(services) == before and item(services, row.id).owner == "rudi"
    services.take_signal(row.id, "carmen", owner="lena")
    assert item(services, row.id).owner == "lena"
    assert [i.signal.id for i in services.inbox(owner="me", me="lena").items] == [row.id]
    assert services.inbox(owner="nobody").items == []
    services.take_signal(row.id, "lena", owner="")
    assert item(services, row.id).owner == "" and services.inbox(owner="nobody").items
    with services.db.read() as session:
        trail = [(e.action, json.loads(e.payload)["owner"], json.loads(e.payload)["before"]) for e in session.scalars(
            select(AdminEventRow).where(AdminEventRow.action == "complaint_owner").order_by(AdminEventRow.id))]
    assert trail == [("complaint_owner", "rudi", ""), ("complaint_owner", "lena", "rudi"),
                     ("complaint_owner", "", "lena")]


# the follow-up: is it fixed? -------------------------------------------------------------------------------------

def resolved_complaint(services, extra: dict | None = None) -> tuple[int, int]:
    """A complaint answered from the inbox and resolved: (signal id, incident id); the clock at the resolution."""
    row, _ = services.receive_complaint("social", "@lucia", 12, REFUND, extra=extra)
    post = services.reply_to_signal(row.id, "holding_reply", "carmen")
    publish_reviewed(services, post.id, "carmen")
    incident_id = post.incident_id
    satisfy(services, incident_id, "judge_legitimate")
    services.trigger(incident_id, "judge_legitimate", "carmen")
    take(services, incident_id, "resolve", "carmen", {"outcome": "A new parcel went out"})
    assert services.incident(incident_id).state == "resolved"
    return row.id, incident_id


def test_a_day_after_resolution_the_customer_is_asked_whether_it_is_fixed(services) -> None:
    signal_id, incident_id = resolved_complaint(services)
    resolved_at = services.clock.now()
    services.clock.set(resolved_at + timedelta(days=1) - timedelta(minutes=1))
    services.tick()
    assert [p for p in services.posts(incident_id) if p.kind == "fix_check"] == []  # not yet: 23h59m
    services.clock.set(resolved_at + timedelta(days=1))
    services.tick()
    asks = [p for p in services.posts(incident_id) if p.kind == "fix_check"]
    assert len(asks) == 1 and asks[0].bodies["en"].startswith("@lucia, we are checking back on what you told us")
    assert asks[0].next_update_at is None  # the last word: their answer comes next, no time promised
    services.tick()
    assert len([p for p in services.posts(incident_id) if p.kind == "fix_check"]) == 1  # fired once
    publish_reviewed(services, asks[0].id, "carmen")
    assert item(services, signal_id).asked_fixed_at == resolved_at + timedelta(days=1)
    # their answer comes back as a new message from them on the same channel
    services.clock.advance(timedelta(hours=2))
    answer, new = services.receive_complaint("social", "@lucia", 12, "Yes, it works now, thank you!")
    assert new
    fix = item(services, signal_id).fix
    assert fix["answer"] == "fixed" and fix["via"] == f"signal {answer.id}" and fix["note"].startswith("Yes, it works")
    events = [(e.kind, json.loads(e.payload).get("answer")) for e in services.timeline(incident_id)]
    assert ("fix_answered", "fixed") in events


def test_the_answer_recorded_from_the_console_overrides_and_is_audited(services) -> None:
    signal_id, incident_id = resolved_complaint(services)
    with pytest.raises(InvalidInput) as bad:
        services.record_fix_answer(signal_id, "maybe", "rudi")
    assert bad.value.field == "answer" and item(services, signal_id).fix == {}
    services.record_fix_answer(signal_id, "not_fixed", "rudi", "It still arrives broken")
    fix = item(services, signal_id).fix
    assert (fix["answer"], fix["note"], fix["by"], fix["via"]) == ("not_fixed", "It still arrives broken", "rudi",
                                                                   "console")
    assert ("fix_answered", "rudi") in [(e.kind, e.actor) for e in services.timeline(incident_id)]


def test_a_message_from_someone_else_or_before_the_question_is_no_answer(services) -> None:
    signal_id, incident_id = resolved_complaint(services)
    services.receive_complaint("social", "@lucia", 12, "Yes, works")  # the question has not gone out
    services.receive_complaint("social", "@other", 12, "Yes, works")
    assert item(services, signal_id).fix == {}


def test_the_customers_words_read_as_an_answer() -> None:
    assert fix_verdict("Yes, it works now, thank you!") == "fixed"
    assert fix_verdict("It still fails, same problem") == "not_fixed"
    assert fix_verdict("Yes it arrived but it is broken again") == "not_fixed"  # a no wins over a yes
    assert fix_verdict("Sí, ya funciona, gracias", "es") == "fixed"
    assert fix_verdict("Sigue sin llegar", "es") == "not_fixed"
    assert fix_verdict("Who are you?") == "unclear"


# patterns ----------------------------------------------------------------------------------------------------------

def test_topics_this_week_against_the_last(services) -> None:
    now = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    services.clock.set(now)
    complaints = [  # (days before now, text): triage reads the topic from the component named
        (1, "Checkout is slow"), (2, "The checkout page hangs"), (6.9, "checkout broken"),  # this week: 3
        (7, "checkout again"),  # exactly 7 days: the week before (now - 7d < at is false)
        (10, "Payments fail"), (13, "payments declined"),  # the week before
        (3, "Hello, a question about my order"),  # this week, no component: general
        (15, "Checkout was slow"),  # older than two weeks: not counted
    ]
    for n, (days, text) in enumerate(complaints):
        services.receive_complaint("social", f"@p{n}", 1, text, at=now - timedelta(days=days))
    topics = [(t.topic, t.this_week, t.last_week, t.change) for t in services.inbox().topics]
    assert topics == [("Checkout", 3, 1, 2), ("general", 1, 0, 1), ("Payments", 0, 2, -2)]


# the page: three statements, roles, the composer ----------------------------------------------------------------

@pytest.fixture
def console(services):
    from crisisplan.web import create_app

    people(services)
    app = create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 60})
    return app.test_client()


def test_the_inbox_page_in_three_statements_however_many_complaints(console, services) -> None:
    for n in range(40):
        row, _ = services.receive_complaint("social" if n % 2 else "email", f"@p{n}", n, f"Checkout fails, order {n}")
        if n % 4 == 0:
            publish_reviewed(services, services.reply_to_signal(row.id, "holding_reply", "carmen").id, "carmen")
    services.take_signal(row.id, "carmen")
    login(console, "lena")
    for url in ("/console/inbox", "/console/inbox?state=all", "/console/inbox?channel=email&state=answered"):
        assert console.get(url).status_code == 200
        with statements(services.db.engine) as seen:
            page = console.get(url)
        assert page.status_code == 200 and len(seen) <= LIMIT, "\n".join(seen)
    shown = console.get("/console/inbox?state=all").get_data(as_text=True)
    assert len(re.findall(r'<tr id="complaint-\d+"', shown)) == 40
    assert 'href="/console/inbox"' in shown  # in the nav
    assert "<svg" in shown and "Checkout" in shown


def test_a_viewer_reads_the_inbox_but_cannot_reply_take_or_record(console, services) -> None:
    row, _ = services.receive_complaint("social", "@lucia", 12, REFUND)
    login(console, "vera")
    page = console.get("/console/inbox").get_data(as_text=True)
    assert "@lucia" in page and "Draft the reply" not in page and "Take it" not in page
    before = counts(services)
    for path, data in ((f"/console/inbox/{row.id}/reply", {"kind": "holding_reply"}),
                       (f"/console/inbox/{row.id}/take", {}), (f"/console/inbox/{row.id}/fixed", {"answer": "fixed"})):
        assert form(console, path, data).status_code == 403
    login(console, "rudi")  # a responder takes it, but replying is a communicator's, as drafting posts is
    assert form(console, f"/console/inbox/{row.id}/reply", {"kind": "holding_reply"}).status_code == 403
    assert counts(services) == before
    assert form(console, f"/console/inbox/{row.id}/take", {"back": "//evil.example/x"}).headers["Location"] \
        == "/console/inbox"
    assert item(services, row.id).owner == "rudi"


def test_the_composer_drafts_the_reply_and_opens_it_for_review(console, services) -> None:
    row, _ = services.receive_complaint("social", "@lucia", 12, REFUND)
    login(console, "carmen")
    page = console.get("/console/inbox").get_data(as_text=True)
    assert 'data-lint data-audience="private"' in page and "Reply to @lucia" in page
    refused = form(console, f"/console/inbox/{row.id}/reply",
                   {"kind": "refusal_with_alternative", "reason": "too late"})
    assert refused.status_code == 400 and "needs the alternative" in refused.get_data(as_text=True)
    made = form(console, f"/console/inbox/{row.id}/reply", {"kind": "refusal_with_alternative", "reason": "too late",
                                                            "alternative": "a voucher for your next order"})
    assert made.status_code == 302 and re.search(r"/console/posts/\d+$", made.headers["Location"])
    post = services.post(int(made.headers["Location"].rsplit("/", 1)[1]))
    assert post.signal_id == row.id and "a voucher for your next order" in post.bodies["en"]
    # the live tone check as the composer calls it: a bare refusal is a blocking finding in a private reply too
    lint = console.post("/console/lint", json={"text": "Sorry, we cannot refund that.", "locale": "en",
                                               "channel": "social_short", "audience": "private"},
                        headers={"X-CSRFToken": _token(console)})
    assert "bare_refusal" in [f["rule"] for f in lint.get_json()["findings"]]


def _token(client) -> str:
    page = client.get("/console/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_an_e_mail_reply_answers_them_when_it_is_delivered_as_responsiveness_counts(console, services) -> None:
    row, _ = services.receive_complaint("email", "eva@example.com", 0, REFUND)
    services.clock.advance(timedelta(minutes=10))
    post = services.reply_to_signal(row.id, "holding_reply", "carmen")
    services.clock.advance(timedelta(minutes=10))
    publish_reviewed(services, post.id, "carmen")
    waiting = item(services, row.id)
    assert waiting.answered_at is None and waiting.replies[0]["sending"] == "pending"  # in the outbox, not out yet
    services.clock.advance(timedelta(minutes=2))
    with services.db.write() as session:  # the worker handed it to the SMTP server at 09:21 (the table: read again)
        message = session.scalars(select(OutboxRow).where(OutboxRow.post_id == post.id,
                                                          OutboxRow.channel == "email:reply")).one()
        assert message.target == "eva@example.com"
        message.status, message.delivered_at = "delivered", START + timedelta(minutes=21)
    assert item(services, row.id).answered_at == START + timedelta(minutes=21)
    email = next(f for f in services.inbox().responsiveness if f["channel"] == "email")
    assert (email["complaints"], email["answered"]) == (1, 1)  # the page's table says the same as the row
    login(console, "vera")
    page = console.get("/console/inbox?state=all").get_data(as_text=True)
    assert "answered in 21 min" in page and "Responsiveness, last 30 days" in page


def test_a_complaint_judged_trolling_owes_no_answer(services) -> None:
    troll, _ = services.receive_complaint("social", "@loud", 3, "YOU ARE ALL IDIOTS AND MORONS!!!!")
    real, _ = services.receive_complaint("social", "@lucia", 12, REFUND)
    assert item(services, troll.id).trolling and not item(services, real.id).trolling
    assert [i.signal.id for i in services.inbox().items] == [real.id]  # not in "not answered yet"
    services.override_triage(real.id, {"legitimacy": "trolling"}, "lena")  # the team's judgement first
    assert services.inbox().items == [] and len(services.inbox(state="all").items) == 2
    from crisisplan.web.console.inbox import _left

    with _app_context(services):
        assert _left(item(services, troll.id)) == ("no answer due: judged trolling", "")


def test_an_answer_on_a_network_must_come_in_the_same_thread(services) -> None:
    """As the Bluesky connector records them: thread root {uri, cid}; a new post of theirs is another thread."""
    def thread(uri: str) -> dict:
        return {"connector": "bluesky", "thread": {"root": {"uri": uri, "cid": "c"}, "parent": {"uri": uri}}}

    signal_id, incident_id = resolved_complaint(services, thread("at://lucia/post/1"))
    services.clock.advance(timedelta(days=1))
    services.tick()
    ask = next(p for p in services.posts(incident_id) if p.kind == "fix_check")
    publish_reviewed(services, ask.id, "carmen")
    services.clock.advance(timedelta(minutes=5))
    services.receive_complaint("social", "@lucia", 12, "Yes, works", extra=thread("at://lucia/post/9"))
    assert item(services, signal_id).fix == {}  # another conversation of theirs
    services.receive_complaint("social", "@lucia", 12, "No, it still arrives broken",
                               extra={**thread("at://lucia/post/1"), "author_name": "Lucía"})
    assert item(services, signal_id).fix["answer"] == "not_fixed"
