"""A page of mentions taken in together: each with the same outcome as alone (triage, reply and its tone findings,
audit events, the incident a burst declares or joins), recorded once by source id, and all or nothing: a failure
halfway through a page leaves none of it, and the retry records each mention once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crisisplan.clock import SimulatedClock
from crisisplan.plan.load import Plan
from crisisplan.publish.connectors import Mention
from crisisplan.services import Services
from crisisplan.store.db import Database
from crisisplan.store.models import AuditEventRow, IncidentRow, SignalRow

AT = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
BIG = "Complaint on social from big.test (80,000 followers)"
BURST = "20 complaints about Checkout in 10m"
LAWYER = "Complaint on social from dan.test (50 followers)"


def said(n: int, text: str, author: str = "ana.test", reach: int = 10, seconds: int = 0) -> Mention:
    return Mention(f"at://did:plc:c/app.bsky.feed.post/{n}", "social", author, author.split(".")[0].title(), text,
                   f"https://bsky.app/post/{n}", reach, AT + timedelta(seconds=seconds),
                   {"root": {"uri": f"at://{n}", "cid": "c"}})


def mixed_page() -> list[Mention]:
    """A big account, a troll, a Spanish customer still waiting, a burst of 22 on the checkout (one sent twice),
    a complaint naming the big account's component, a lawyer, and one more on no component."""
    page = [said(1, "Payments page is slow for me", "big.test", 80_000),
            said(2, "YOU ARE ALL IDIOTS!!!! PATHETIC CLOWNS!!!", "troll.test"),
            said(3, "Sigo sin poder pagar, otra vez, y nadie responde", "lucia.test")]
    page += [said(10 + i, f"the checkout keeps failing when I pay, order #12345{i}", f"c{i % 4}.test", 5, 10 * i)
             for i in range(22)]
    page += [said(11, "the checkout keeps failing when I pay, order #123451", "c1.test", 5, 10),  # sent twice
             said(40, "payments fail again, I was charged twice for order #482913 (59,90 €)", "bob@example.com", 3,
                  230),
             said(41, "I will talk to my lawyer about order 1234567", "dan.test", 50, 240),
             said(42, "still waiting for an answer about my refund 42", "eve.test", 1, 250)]
    return page


class Scripted:
    """A network that sends pages by cursor (and nothing new after the last)."""

    name = "bluesky"

    def __init__(self, pages: dict[str | None, tuple[list[Mention], str]]) -> None:
        self.pages, self.asked = pages, []

    def fetch(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        self.asked.append(cursor)
        return self.pages.get(cursor, ([], cursor))


def outcome(services: Services) -> dict[str, Any]:
    """Everything the page left, with incidents named by title (their ids are the database's)."""
    with services.db.read() as session:
        titles = {row.id: row.title for row in session.scalars(select(IncidentRow))}
        signals = {row.source_id: {"action": str(row.action), "incident": titles.get(row.incident_id),
                                   "group": row.group_key, "data": row.data}
                   for row in session.scalars(select(SignalRow).order_by(SignalRow.id))}
        events: dict[str, list[tuple[Any, ...]]] = {}
        for e in session.scalars(select(AuditEventRow).order_by(AuditEventRow.incident_id, AuditEventRow.seq)):
            events.setdefault(titles[e.incident_id], []).append((e.seq, e.at, e.actor, e.kind, json.loads(e.payload)))
        incidents = [(row.title, row.severity, list(row.components))
                     for row in session.scalars(select(IncidentRow).order_by(IncidentRow.id))]
    return {"signals": signals, "events": events, "incidents": incidents}


def one_at_a_time(plan: Plan, folder: Path, mentions: list[Mention]) -> dict[str, Any]:
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'alone.sqlite3'}", instance=folder).ensure_schema()
    alone = Services(plan, db, SimulatedClock())
    try:
        for m in mentions:
            alone.receive_complaint(m.channel, m.author, m.reach, m.text, m.link, at=m.at,
                                    source_id=f"bluesky:{m.source_id}",
                                    extra={"connector": "bluesky", "author_name": m.author_name, "thread": m.thread})
        return outcome(alone)
    finally:
        db.dispose()


def kinds(events: list[tuple[Any, ...]], first: str = "complaint_attached") -> list[str]:
    """The kinds of an incident's events from its first complaint note on (the declaration's own come before)."""
    names = [e[3] for e in events]
    return names[names.index(first):]


def test_a_mixed_page_has_the_outcome_each_mention_has_alone(services: Services, plan: Plan, tmp_path: Path) -> None:
    services.__dict__["_inbox_connectors"] = {"bluesky": Scripted({None: (mixed_page(), "c1")})}
    [pulled] = services.pull_inbox()
    assert (pulled.new, pulled.repeats, pulled.skipped) == (28, 1, 0)
    batch = outcome(services)
    signal = {key.rsplit("/", 1)[1]: value for key, value in batch["signals"].items()}

    # what the plan says for each, written out by hand
    # all three high: reach above 5,000, a burst, legal words (the complaints runbook names its first severity "high")
    assert batch["incidents"] == [(BIG, "high", ["payments"]), (BURST, "high", ["checkout"]), (LAWYER, "high", [])]
    assert (signal["1"]["action"], signal["1"]["incident"]) == ("declared", BIG)  # reach above 50,000
    assert (signal["2"]["action"], signal["2"]["incident"], signal["2"]["data"]["reply"]) == ("recorded", None, "")
    assert signal["3"]["incident"] is None and signal["3"]["data"]["reply_locale"] == "es"
    assert signal["3"]["data"]["reply"].startswith("lucia.test, sentimos las molestias")
    assert "antes de las 11:30 UTC+1" in signal["3"]["data"]["reply"]  # 08:30 UTC + 2 h, told in Madrid's time
    # the twentieth on the checkout within ten minutes declares; the nineteen before and the two after join it
    assert [signal[str(10 + i)]["action"] for i in range(22)] == ["attached"] * 19 + ["declared"] + ["attached"] * 2
    assert {signal[str(10 + i)]["incident"] for i in range(22)} == {BURST}
    assert signal["29"]["data"]["reply"].startswith("c3.test, we are sorry this happened to you")
    assert "by 10:33 UTC+1" in signal["29"]["data"]["reply"]  # 08:33:10 UTC + the social channel's 1 h
    # names the big account's component: joins its incident; an e-mail address is not a name to greet
    assert (signal["40"]["action"], signal["40"]["incident"]) == ("attached", BIG)
    assert signal["40"]["data"]["reply"].startswith("We are sorry for the trouble")
    assert "by 13:33 UTC+1" in signal["40"]["data"]["reply"]  # 08:33:50 UTC + the specialist's 4 h
    assert (signal["41"]["action"], signal["41"]["incident"]) == ("declared", LAWYER)
    assert (signal["42"]["action"], signal["42"]["incident"]) == ("attached", LAWYER)  # the open one on no topic
    assert all(isinstance(s["data"]["reply_tone"], list) for s in batch["signals"].values() if s["data"]["reply"])
    assert kinds(batch["events"][BIG]) == ["complaint_attached", "escalated", "complaint_attached", "escalated",
                                           "escalated"]
    assert kinds(batch["events"][BURST]) == ["complaint_attached"] * 3
    assert batch["events"][BURST][-3][4]["reason"] == "burst"
    assert kinds(batch["events"][LAWYER]) == ["complaint_attached", "escalated", "escalated", "complaint_attached",
                                              "escalated"]

    # and exactly what the same mentions give one at a time: every field, reply, tone finding and audit event
    assert batch == one_at_a_time(plan, tmp_path / "alone", mixed_page())


def dies_at_the_twenty_fifth(services: Services, monkeypatch: pytest.MonkeyPatch, page: list[Any]) -> Any:
    """Pull `page` with the process dying as it words the 25th reply; the real wording, for the retry."""
    services.__dict__["_inbox_connectors"] = {"bluesky": Scripted({None: (page, "c1")})}
    worded = services._reply
    calls = []

    def dies(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 25:
            raise OSError("the process was killed")
        return worded(*args, **kwargs)

    monkeypatch.setattr(services, "_reply", dies)
    with pytest.raises(OSError):
        services.pull_inbox()
    return worded


def test_a_failure_halfway_through_a_page_keeps_nothing_and_the_retry_records_each_once(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    page = mixed_page()
    worded = dies_at_the_twenty_fifth(services, monkeypatch, page)  # after the burst declared its incident
    assert outcome(services) == {"signals": {}, "events": {}, "incidents": []}
    assert services.connector_cursor("bluesky") is None  # the page is read again

    monkeypatch.setattr(services, "_reply", worded)
    [pulled] = services.pull_inbox()
    assert (pulled.new, pulled.repeats) == (28, 1)
    after = outcome(services)
    assert len(after["signals"]) == 28 and len(after["incidents"]) == 3
    # recorded, then the process died before the cursor moved: the network sends the same page again
    services.__dict__["_inbox_connectors"] = {"bluesky": Scripted({"c1": (page, "c2")})}
    [again] = services.pull_inbox()
    assert (again.new, again.repeats) == (0, 29)
    assert outcome(services) == after


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_phrase_index_finds_what_trying_every_phrase_at_every_word_finds(locale: str) -> None:
    from crisisplan.comms.lemmas import tokenise
    from crisisplan.comms.phrases import _bag, _hit, _seq, compiled, find
    from crisisplan.plan.tone_phrases import shipped_book
    from tests.tone_corpus import load

    def every_phrase(phrases: tuple[Any, ...], tokens: tuple[Any, ...]) -> set[tuple[int, int]]:
        spans = set()
        for i, token in enumerate(tokens):
            for phrase in phrases:
                if _hit(token, phrase.steps[0]):
                    span = _bag(phrase, tokens, i) if phrase.any_order else (
                        (token.start, tokens[end].end) if (end := _seq(phrase, tokens, i, 0)) is not None else None)
                    if span:
                        spans.add(span)
        return spans

    rules = compiled(shipped_book(), locale)
    checked = 0
    for row in load(locale):
        tokens, _ = tokenise(row.text, locale)
        for rule in rules.values():
            for phrases, index in ((rule.phrases, rule.index), (rule.unless, rule.unless_index)):
                expected: list[tuple[int, int]] = []
                for start, end in sorted(every_phrase(phrases, tokens)):  # overlapping spans as one
                    if expected and start < expected[-1][1]:
                        expected[-1] = (expected[-1][0], max(end, expected[-1][1]))
                    else:
                        expected.append((start, end))
                assert find(phrases, tokens, index) == expected, row.line
                checked += bool(expected)
    assert checked > 50  # the corpus sets phrases off often enough for this to say something


def test_a_network_read_to_its_end_is_not_asked_again_in_the_same_pull(services: Services) -> None:
    page = mixed_page()
    stream = Scripted({None: (page[:2], "c2"), "c2": (page[2:3], "c3")})
    services.__dict__["_inbox_connectors"] = {"bluesky": stream}
    services.pull_inbox()
    assert stream.asked == [None, "c2", "c3"]  # not known to be at the end: asked until nothing new comes
    stream.caught_up = True  # the firehose waited for more and none came
    stream.pages["c3"] = (page[3:4], "c4")
    services.pull_inbox()
    assert stream.asked[3:] == ["c3"]
    assert services.connector_cursor("bluesky").cursor == "c4"


def test_a_page_in_chunks_that_fails_in_its_third_keeps_the_first_two_and_the_retry_ends_as_one_at_a_time(
        services: Services, plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crisisplan.services import inbox

    monkeypatch.setattr(inbox, "CHUNK", 10)
    page = mixed_page()
    worded = dies_at_the_twenty_fifth(services, monkeypatch, page)  # in the third chunk (mentions 21 to 29)
    assert len(outcome(services)["signals"]) == 20  # two chunks of ten, each whole
    assert services.connector_cursor("bluesky") is None  # the cursor goes with the page's last chunk

    monkeypatch.setattr(services, "_reply", worded)
    [pulled] = services.pull_inbox()
    assert (pulled.new, pulled.repeats) == (8, 21)

    def decided(result: dict[str, Any]) -> tuple[dict[str, tuple[str, str | None]], dict[str, list[str]]]:
        return ({key: (s["action"], s["incident"]) for key, s in result["signals"].items()},
                {title: [e[3] for e in events] for title, events in result["events"].items()})

    assert decided(outcome(services)) == decided(one_at_a_time(plan, tmp_path / "alone", page))


def test_a_complaint_recorded_by_another_process_meanwhile_is_a_repeat(services: Services,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from crisisplan.services import complaints

    first, new = services.receive_complaint("social", "ana.test", 10, "The checkout fails", source_id="x-1")
    assert new
    looked = complaints.recorded
    blind = []

    def read_before_the_other_wrote(session: Any, source_ids: list[str]) -> dict[str, SignalRow]:
        blind.append(1)
        return {} if len(blind) == 1 else looked(session, source_ids)  # the first look comes too early

    monkeypatch.setattr(complaints, "recorded", read_before_the_other_wrote)
    again, new = services.receive_complaint("social", "ana.test", 10, "The checkout fails", source_id="x-1")
    assert (again.id, new, len(blind)) == (first.id, False, 2)
    assert len([s for s in services.signals() if s.source == "complaint"]) == 1
