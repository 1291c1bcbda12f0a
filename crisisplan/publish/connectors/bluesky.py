"""Bluesky (AT Protocol) through the `atproto` SDK: mentions and replies in from the AppView's notifications (or
the PDS's firehose, bluesky_firehose.py), status posts and threaded replies out from the organisation's account.

Sending is idempotent by construction: a post's record key is derived from the outbox message's key, the record
is created under that key, and a record already there is the earlier attempt's (a worker that died between
posting and confirming): it is returned, never posted twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from typing import Any

from crisisplan.plan.connectors import BlueskyConnector
from crisisplan.plan.schema import PlanSettings
from crisisplan.publish.connectors.base import ConnectorError, Mention, PermanentConnectorError

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300  # Bluesky's limit on a post's text
PAGES = 10  # notification pages (100 each) read in one fetch at most
TIMEOUT_S = 10
_S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, the alphabet of TIDs
_URL = re.compile(r"https?://[^\s<>\"']+")
_SESSIONS: dict[tuple[str, str, str], Any] = {}  # one login per account and password, kept for the process


def build(settings: PlanSettings) -> Bluesky | None:
    """The connector plan.yaml `connectors: bluesky:` describes (None without that section)."""
    config = settings.connectors.bluesky
    if config is None:
        return None
    if config.source == "firehose":
        from crisisplan.publish.connectors.bluesky_firehose import BlueskyFirehose

        return BlueskyFirehose(config)
    return Bluesky(config)


def tid_for(key: str) -> str:
    """A record key in TID form (13 base32-sortable characters) derived from `key` alone: the same message always
    lands on the same record. Its time part is a moment in 2023 picked by the key's hash, not the sending time."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    start = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
    micros = start + digest % (365 * 86_400 * 1_000_000)
    value = (micros << 10) | (digest >> 54)  # 53 bits of microseconds, 10 bits of "clock id"
    return "".join(_S32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def link_facets(text: str) -> list[dict[str, Any]]:
    """A link facet for each web address in `text`, at its UTF-8 byte offsets (what the AT Protocol counts)."""
    facets = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?)»”’")
        start = len(text[: match.start()].encode())
        facets.append({"index": {"byteStart": start, "byteEnd": start + len(url.encode())},
                       "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
    return facets


def fit(text: str, link: str) -> str:
    """The post's text with the link at the end (unless it is already in it), shortened at a word so the whole
    stays within Bluesky's 300 characters."""
    text = " ".join(text.split())
    tail = f" {link}" if link and link not in text else ""
    room = MAX_GRAPHEMES - len(tail)
    if len(text) > room:
        text = text[: room - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text + tail


def failure(error: Exception) -> ConnectorError:
    """The SDK's error as the connector's: retry later, or (a refusal that will not change) give up."""
    from atproto_client import exceptions

    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    content = getattr(response, "content", None)
    said = f"{getattr(content, 'error', '') or ''} {getattr(content, 'message', '') or ''}".strip()
    what = f"HTTP {status}{': ' + said if said else ''}" if status else f"{type(error).__name__}: {error}"
    if isinstance(error, exceptions.NetworkError) or status in (None, 408, 429) or (status or 0) >= 500:
        return ConnectorError(f"the server did not answer ({what})" if status is None else what)
    return PermanentConnectorError(what)


class Bluesky:
    """The organisation's account on its AT Protocol server (bsky.social or its own PDS)."""

    name = "bluesky"

    def __init__(self, config: BlueskyConnector) -> None:
        self.config = config
        self.service = config.service.rstrip("/")
        self.handle = config.handle.lstrip("@").lower()

    # -- the session -------------------------------------------------------------------------------------------
    def client(self) -> Any:
        """A logged-in client, one per account and password in this process (logins are rate-limited)."""
        from atproto import Client
        from atproto_client import exceptions

        password = os.environ.get(self.config.password_env, "")
        if not password:
            raise PermanentConnectorError(f"the app password ${self.config.password_env} is not set (Bluesky: "
                                          "Settings > Privacy and security > App passwords)")
        key = (self.service, self.handle, hashlib.sha256(password.encode()).hexdigest())
        if key not in _SESSIONS:
            client = Client(base_url=self.service)
            client.request._client.timeout = TIMEOUT_S  # noqa: SLF001 - the SDK sets no timeout of its own
            try:
                client.login(self.handle, password, fetch_bsky_profile=False)  # a PDS alone has no profiles
                client.crisisplan_did = client.com.atproto.server.get_session().did
            except exceptions.AtProtocolError as error:
                problem = failure(error)
                if isinstance(problem, PermanentConnectorError):
                    raise PermanentConnectorError(f"cannot log in as {self.handle} on {self.service} with "
                                                  f"${self.config.password_env} ({problem})") from None
                raise problem from None
            _SESSIONS[key] = client
        return _SESSIONS[key]

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One XRPC call by its SDK path (`app.bsky.notification.list_notifications`), errors translated."""
        from atproto_client import exceptions

        target = self.client()
        for part in method.split("."):
            target = getattr(target, part)
        try:
            return target(*args, **kwargs)
        except exceptions.AtProtocolError as error:
            raise failure(error) from None

    @property
    def did(self) -> str:
        """The organisation's account id."""
        return self.client().crisisplan_did

    # -- in --------------------------------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        """Mentions of and replies to the account indexed after `cursor` (the newest notification time seen, and
        the posts seen at that very time), oldest first."""
        seen = json.loads(cursor) if cursor else {"at": "", "uris": []}
        fresh, page = [], None
        for _ in range(PAGES):
            answer = self.call("app.bsky.notification.list_notifications",
                               {"limit": 100, "reasons": ["mention", "reply", "quote"], **({"cursor": page}
                                                                                           if page else {})})
            older = False
            for note in answer.notifications:
                if note.indexed_at < seen["at"] or (note.indexed_at == seen["at"] and note.uri in seen["uris"]):
                    older = True
                    continue
                if note.reason in ("mention", "reply", "quote") and note.author.did != self.did:
                    fresh.append(note)
            page = answer.cursor
            if older or not page or not answer.notifications:
                break
        if not fresh:
            return [], cursor
        fresh.sort(key=lambda n: n.indexed_at)
        newest = fresh[-1].indexed_at
        uris = [n.uri for n in fresh if n.indexed_at == newest] + (seen["uris"] if newest == seen["at"] else [])
        reach = self.followers([n.author.did for n in fresh])
        mentions = [self.mention(n.uri, n.cid, n.author.did, n.author.handle, n.author.display_name or "",
                                 n.record, reach.get(n.author.did, 0), n.indexed_at) for n in fresh]
        return mentions, json.dumps({"at": newest, "uris": uris})

    def followers(self, dids: list[str]) -> dict[str, int]:
        """Follower counts by account, where the AppView says (25 accounts a call)."""
        counts: dict[str, int] = {}
        unique = sorted(set(dids))
        for start in range(0, len(unique), 25):
            answer = self.call("app.bsky.actor.get_profiles", {"actors": unique[start:start + 25]})
            counts.update({p.did: p.followers_count or 0 for p in answer.profiles})
        return counts

    def mention(self, uri: str, cid: str, did: str, handle: str, name: str, record: Any, reach: int,
                indexed_at: str) -> Mention:
        """A post that names or answers the account, as a Mention: where it is read, and what a reply needs."""
        rkey = uri.rsplit("/", 1)[-1]
        parent = {"uri": uri, "cid": str(cid)}
        reply = getattr(record, "reply", None)
        root = {"uri": reply.root.uri, "cid": str(reply.root.cid)} if reply else parent
        at = _moment(getattr(record, "created_at", "") or indexed_at)
        return Mention(source_id=uri, channel=self.config.channel, author=handle, author_name=name,
                       text=getattr(record, "text", "") or "", link=self.config.post_link.format(handle=handle,
                                                                                                 rkey=rkey),
                       reach=reach, at=at, thread={"root": root, "parent": parent, "did": did})

    # -- out -------------------------------------------------------------------------------------------------
    def post(self, text: str, link: str, key: str = "") -> str:
        """A status post from the account, the incident page's address made a link (its facet)."""
        return self._create(fit(text, link), None, key or text)

    def reply(self, mention_ref: dict[str, Any], text: str, key: str = "") -> str:
        """A brief public answer under the person's post, in its thread (root and parent kept)."""
        root, parent = mention_ref.get("root"), mention_ref.get("parent")
        if not (root and parent):
            raise PermanentConnectorError("the signal keeps no Bluesky thread to answer in")
        return self._create(fit(text, ""), {"root": root, "parent": parent}, key or text)

    def _create(self, text: str, reply: dict[str, Any] | None, key: str) -> str:
        """Create the record under the key's own record key; a record already there is this message, sent."""
        from atproto_client import exceptions

        rkey = tid_for(f"{self.handle}|{key}")
        where = {"repo": self.did, "collection": POST, "rkey": rkey}
        try:
            return self.client().com.atproto.repo.get_record(where).uri  # an earlier attempt got through
        except exceptions.BadRequestError:
            pass  # not there: post it
        except exceptions.AtProtocolError as error:
            raise failure(error) from None
        record = {"$type": POST, "text": text, "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                  **({"facets": link_facets(text)} if link_facets(text) else {}), **({"reply": reply} if reply else {})}
        try:
            return self.client().com.atproto.repo.create_record({**where, "record": record}).uri
        except exceptions.AtProtocolError as error:
            problem = failure(error)
            try:  # two workers at once, or the answer lost on the way: the record may be there after all
                return self.client().com.atproto.repo.get_record(where).uri
            except exceptions.AtProtocolError:
                raise problem from None


def _moment(value: str) -> datetime:
    """An AT Protocol datetime (RFC 3339) as an aware UTC datetime; now when unreadable."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
