"""What every connector to an outside network gives crisisplan: mentions in since a cursor, posts and replies out.

One module a network (bluesky.py, imap.py…). A connector holds no state of its own
between calls: the cursor lives in the database (`connector_cursors`), and what it
sends carries a key from the outbox so a resend after a crash is recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


class ConnectorError(Exception):
    """The network could not be reached or refused for now (timeout, 5xx, rate limit): try again later."""


class PermanentConnectorError(ConnectorError):
    """Trying again cannot help (wrong password, a post the network refuses): the message goes to the dead
    letters, the pull reports it."""


@dataclass(frozen=True)
class Mention:
    """One message from outside that names or answers the organisation, as a signal needs it.

    `channel` is the name of a `support:` channel of plan.yaml (`social` for Bluesky, `email` for IMAP);
    `thread` is what answering it in place needs (AT URIs and CIDs of root and parent, or Message-ID and
    References), kept with the signal and handed back to `Connector.reply`."""

    source_id: str  # unique within the connector (an AT URI, a Message-ID)
    channel: str
    author: str  # a handle or an address
    author_name: str  # the name they show, or ""
    text: str
    link: str  # where a person reads it, or ""
    reach: int  # followers where the network says, else 0
    at: datetime  # when they wrote it, as the network says (aware, UTC)
    thread: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """A network crisisplan listens to and speaks on. Methods raise `ConnectorError` (retry later) or
    `PermanentConnectorError` (give up)."""

    name: str  # the connector's name in plan.yaml `connectors:`, the first part of its outbox channels

    def fetch(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        """Mentions since `cursor` (None: from the start), oldest first, and the cursor to pass next time. An
        empty list means nothing new; the same cursor back means the same."""
        ...

    def post(self, text: str, link: str, key: str = "") -> str:
        """Publish `text` from the organisation's account, `link` (if any) made followable; returns the
        network's id of the post. The same `key` twice publishes once (an outbox retry after a crash)."""
        ...

    def reply(self, mention_ref: dict[str, Any], text: str, key: str = "") -> str:
        """Answer the message `mention_ref` (a Mention's `thread`) in its thread; returns the reply's id. The
        same `key` twice answers once."""
        ...
