"""The inbox pull through the connector interface: each mention recorded once, cursors kept, a failing network
reported without stopping the others; outbox messages for a connector delivered, retried or given up on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crisisplan.plan.load import check_plan
from crisisplan.publish import connectors
from crisisplan.publish.connectors import ConnectorError, Mention, PermanentConnectorError
from crisisplan.services import Services
from crisisplan.store.models import SignalRow
from tests.plans import plan_copy

AT = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)


class Scripted:
    """A network played back from a list: pages of mentions by cursor, or an error to raise."""

    def __init__(self, name: str, pages: dict[str | None, tuple[list[Mention], str | None]] | Exception) -> None:
        self.name, self.pages, self.asked, self.sent = name, pages, [], []

    def fetch(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        self.asked.append(cursor)
        if isinstance(self.pages, Exception):
            raise self.pages
        return self.pages.get(cursor, ([], cursor))

    def post(self, text: str, link: str, key: str = "") -> str:
        self.sent.append(("post", text, link, key))
        return f"post-{key}"

    def reply(self, mention_ref: dict[str, Any], text: str, key: str = "") -> str:
        self.sent.append(("reply", mention_ref, text, key))
        return f"reply-{key}"


def mention(n: int, text: str = "The app will not let me log in since this morning") -> Mention:
    return Mention(source_id=f"at://did:plc:c/app.bsky.feed.post/{n}", channel="social", author="carla.test",
                   author_name="Carla", text=text, link=f"https://bsky.app/profile/carla.test/post/{n}",
                   reach=120, at=AT, thread={"root": {"uri": f"at://{n}", "cid": "c"}})


def signals(services: Services) -> list[SignalRow]:
    return [s for s in services.signals() if s.source == "complaint"]


def test_a_pull_records_each_mention_once_with_what_the_connector_knows(services: Services) -> None:
    net = Scripted("bluesky", {None: ([mention(1), mention(2)], "c2"), "c2": ([], "c2")})
    services.__dict__["_inbox_connectors"] = {"bluesky": net}
    [result] = services.pull_inbox()
    assert (result.new, result.repeats, result.error) == (2, 0, "")
    assert net.asked == [None, "c2"]  # a full page: asked again from where it stopped
    first = next(s for s in signals(services) if s.source_id.endswith("/1"))
    assert first.source_id == "bluesky:at://did:plc:c/app.bsky.feed.post/1"
    assert first.data["author"] == "carla.test" and first.data["author_name"] == "Carla"
    assert first.data["connector"] == "bluesky" and first.data["thread"] == {"root": {"uri": "at://1", "cid": "c"}}
    assert first.data["link"] == "https://bsky.app/profile/carla.test/post/1" and first.data["reach"] == 120
    assert first.data["channel"] == "social" and first.at == AT.replace(tzinfo=first.at.tzinfo)
    assert first.data["triage"]["topic"]  # triaged as every complaint is
    assert services.connector_cursor("bluesky").cursor == "c2"


def test_the_next_pull_starts_at_the_kept_cursor_and_a_page_read_twice_adds_nothing(services: Services) -> None:
    services.__dict__["_inbox_connectors"] = {"bluesky": Scripted("bluesky", {None: ([mention(1)], "c1")})}
    services.pull_inbox()
    # the process died after recording but before the cursor moved on: the network sends the page again
    again = Scripted("bluesky", {"c1": ([mention(1), mention(3)], "c3")})
    services.__dict__["_inbox_connectors"] = {"bluesky": again}
    [result] = services.pull_inbox("bluesky")
    assert again.asked[0] == "c1"
    assert (result.new, result.repeats) == (1, 1)
    assert len(signals(services)) == 2


def test_a_network_that_cannot_be_read_is_reported_and_the_others_go_on(services: Services) -> None:
    services.__dict__["_inbox_connectors"] = {
        "bluesky": Scripted("bluesky", ConnectorError("the server did not answer in 10 s")),
        "email": Scripted("email", PermanentConnectorError("wrong password for support@example.com")),
        "other": Scripted("other", {None: ([mention(7)], "x")})}
    results = {r.connector: r for r in services.pull_inbox()}
    assert results["bluesky"].error == "the server did not answer in 10 s" and not results["bluesky"].permanent
    assert results["email"].permanent
    assert results["other"].new == 1
    assert services.connector_cursor("bluesky").last_error == "the server did not answer in 10 s"
    assert services.connector_cursor("other").last_error == ""


def test_a_mention_without_words_is_left_out_and_named(services: Services) -> None:
    services.__dict__["_inbox_connectors"] = {"bluesky": Scripted("bluesky", {None: ([mention(1, "  "),
                                                                                      mention(2)], "c")})}
    [result] = services.pull_inbox()
    assert (result.new, result.skipped) == (1, 1)
    assert "post/1" in result.problems[0] and "text" in result.problems[0]


def test_pulling_an_unknown_connector_names_the_known_ones(services: Services) -> None:
    from crisisplan.errors import NotFound

    services.__dict__["_inbox_connectors"] = {"bluesky": Scripted("bluesky", {})}
    with pytest.raises(NotFound, match="no connector 'mastodon'.*bluesky"):
        services.pull_inbox("mastodon")


def test_the_cli_says_when_no_network_is_connected(runner) -> None:
    from crisisplan.cli import main

    result = runner.invoke(main, ["inbox", "pull", "--once"])
    assert result.exit_code == 1
    assert "no network is connected" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("verb", "payload", "raised", "expected"), [
    ("post", {"text": "We are fixing log-in", "link": "https://status.example.com/incidents/4"}, None,
     (True, "posted as post-k1", False)),
    ("reply", {"text": "Sorry, Carla: write to us", "thread": {"root": {"uri": "at://1"}}}, None,
     (True, "posted as reply-k1", False)),
    ("post", {"text": "x", "link": ""}, ConnectorError("HTTP 502"), (False, "bluesky did not take it: HTTP 502",
                                                                     False)),
    ("post", {"text": "x", "link": ""}, PermanentConnectorError("text too long"),
     (False, "bluesky refused it: text too long", True)),
])
def test_outbox_messages_go_out_by_their_connector(monkeypatch: pytest.MonkeyPatch, verb: str,
                                                   payload: dict[str, Any], raised: Exception | None,
                                                   expected: tuple[bool, str, bool]) -> None:
    monkeypatch.setitem(connectors.BUILDERS, "bluesky", "unused:build")
    net = Scripted("bluesky", {})
    if raised is not None:
        def fail(*_: Any, **__: Any) -> str:
            raise raised
        net.post = fail  # type: ignore[method-assign]
    assert connectors.is_connector_channel(f"bluesky:{verb}")
    assert connectors.deliver(f"bluesky:{verb}", json.dumps(payload), "k1", {"bluesky": net}) == expected
    if raised is None:
        assert net.sent[0][-1] == "k1"  # the key reaches the network: a resend is recognised there
    assert connectors.deliver("bluesky:post", json.dumps(payload), "k1", {})[0:3:2] == (False, False)


def test_a_bad_connector_setting_is_named_with_its_line(tmp_path: Path) -> None:
    def bad(settings: dict[str, Any]) -> None:
        settings["connectors"] = {"bluesky": {"service": "https://bsky.social", "handle": "acme shop",
                                              "password_env": "BLUESKY_APP_PASSWORD"}}

    _, problems = check_plan(plan_copy(tmp_path / "plan", bad))
    [problem] = [p for p in problems if "handle" in str(p)]
    assert "plan.yaml" in str(problem) and problem.line > 1


def test_mentions_must_arrive_on_a_support_channel_of_the_plan(tmp_path: Path) -> None:
    def elsewhere(settings: dict[str, Any]) -> None:
        settings["connectors"] = {"bluesky": {"service": "https://bsky.social", "handle": "acmeshop.bsky.social",
                                              "password_env": "BLUESKY_APP_PASSWORD", "channel": "socail"}}

    _, problems = check_plan(plan_copy(tmp_path / "plan", elsewhere))
    [problem] = [p for p in problems if "connectors.bluesky.channel" in str(p)]
    assert "no support channel 'socail'" in str(problem) and "social" in str(problem) and problem.line > 1
