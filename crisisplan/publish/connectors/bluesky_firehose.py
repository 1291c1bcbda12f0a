"""Bluesky mentions from a PDS's own event stream (`com.atproto.sync.subscribeRepos`), for a self-hosted server
without an AppView: every new post in the stream that mentions the organisation's account (a mention facet, or
its @handle in the words) or answers one of its posts. Sending is the same as with notifications."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from crisisplan.publish.connectors.base import ConnectorError, Mention
from crisisplan.publish.connectors.bluesky import POST, Bluesky

FRAMES = 5_000  # events read in one fetch at most; the next fetch goes on from there
QUIET_S = 0.25  # the stream has caught up when no event came for this long


class BlueskyFirehose(Bluesky):
    """The organisation's account, its mentions read from the PDS's firehose (sequence number = cursor)."""

    handles: dict[str, str]
    caught_up: bool = False  # the last fetch read to the end of the stream (it waited QUIET_S for more)

    def fetch(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        """Posts naming or answering the account after sequence number `cursor` (None: from the oldest event the
        server keeps), oldest first; the cursor back is the last event read."""
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        own = self.did
        parts = urlsplit(self.service)
        url = (f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/xrpc/com.atproto.sync.subscribeRepos"
               f"?cursor={int(cursor) if cursor else 0}")
        mentions, seq = [], cursor
        self.caught_up = False  # a pull asks again only when this fetch stopped short of the stream's end
        try:
            with connect(url, open_timeout=10, max_size=None) as stream:
                for _ in range(FRAMES):
                    try:
                        data = stream.recv(timeout=QUIET_S)
                    except TimeoutError:
                        self.caught_up = True
                        break
                    event_seq, found = self.read_event(data, own)
                    if event_seq is not None:
                        seq = str(event_seq)
                    mentions.extend(found)
        except (OSError, WebSocketException) as error:
            if mentions:  # what was read stands; the rest comes next time
                return mentions, seq
            raise ConnectorError(f"cannot read the firehose of {self.service}: {error}") from None
        return mentions, seq

    def read_event(self, data: bytes, own: str) -> tuple[int | None, list[Mention]]:
        """One firehose frame: its sequence number and the mentions in it."""
        from atproto import CAR, firehose_models, models, parse_subscribe_repos_message

        frame = firehose_models.Frame.from_bytes(data)
        if not isinstance(frame, firehose_models.MessageFrame):
            raise ConnectorError(f"the firehose refused: {getattr(frame.body, 'message', frame.body)}")
        event = parse_subscribe_repos_message(frame)
        if not isinstance(event, models.ComAtprotoSyncSubscribeRepos.Commit):
            return getattr(event, "seq", None), []
        if event.repo == own or not any(op.action == "create" and op.path.startswith(f"{POST}/") for op in event.ops):
            return event.seq, []
        blocks = CAR.from_bytes(event.blocks).blocks
        found = []
        for op in event.ops:
            if op.action != "create" or not op.path.startswith(f"{POST}/") or op.cid is None:
                continue
            record = blocks.get(op.cid) or {}
            if self.names_us(record, own):
                uri = f"at://{event.repo}/{op.path}"
                handle = self.handle_of(event.repo)
                found.append(self.mention(uri, str(op.cid), event.repo, handle, "", _Record(record), 0,
                                          str(record.get("createdAt", ""))))
        return event.seq, found

    def names_us(self, record: dict[str, Any], own: str) -> bool:
        """Whether a post mentions the account (a facet, or its @handle in the words) or answers one of its posts."""
        for facet in record.get("facets") or []:
            for feature in facet.get("features") or []:
                if feature.get("$type") == "app.bsky.richtext.facet#mention" and feature.get("did") == own:
                    return True
        if re.search(rf"(?<![\w.])@{re.escape(self.handle)}(?![\w-]|\.\w)", str(record.get("text", "")), re.I):
            return True
        reply = record.get("reply") or {}
        return any(str((reply.get(k) or {}).get("uri", "")).startswith(f"at://{own}/") for k in ("parent", "root"))

    def handle_of(self, did: str) -> str:
        """The account's handle, as its server says (cached: a burst comes from few people)."""
        cache = self.__dict__.setdefault("handles", {})
        if did not in cache:
            cache[did] = self.call("com.atproto.repo.describe_repo", {"repo": did}).handle
        return cache[did]


class _Record:
    """A post record from the firehose (a dict) read like the SDK's model: text, reply.root/parent, created_at."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.text = str(record.get("text", ""))
        self.created_at = str(record.get("createdAt", ""))
        reply = record.get("reply")
        self.reply = _Reply(reply) if isinstance(reply, dict) and reply.get("root") else None


class _Reply:
    def __init__(self, reply: dict[str, Any]) -> None:
        self.root = _Ref(reply["root"])
        self.parent = _Ref(reply.get("parent") or reply["root"])


class _Ref:
    def __init__(self, ref: dict[str, Any]) -> None:
        self.uri, self.cid = str(ref.get("uri", "")), str(ref.get("cid", ""))
