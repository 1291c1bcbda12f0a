"""Who a post is for, in words: the title the public sees of an incident that is not public by itself, and the
address a private reply goes back to. Pure: the runbook says the audience (`Runbook.audience`), this says the rest."""

from __future__ import annotations

import re

from crisisplan.comms.markdown import to_text

PUBLIC, PRIVATE, INTERNAL = "public", "private", "internal"

_ADDRESS = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_MAIL_CHANNELS = {"email", "e-mail", "mail"}


def public_title(markdown: str, limit: int = 120) -> str:
    """The title the public sees of an internal incident: the first line of its first public post, as plain
    text (a bold heading loses its stars), never the incident's own, internal title."""
    line = next((ln.strip() for ln in to_text(markdown).splitlines() if ln.strip()), "")
    line = line.rstrip(":").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def reply_address(channel: str, author: str) -> str | None:
    """Where a private reply can go by itself: the sender's address when the complaint came in by e-mail;
    None otherwise (a handle, a phone call: the team copies the text and sends it by hand)."""
    address = (author or "").strip().strip("<>")
    if channel.strip().lower() in _MAIL_CHANNELS and _ADDRESS.match(address):
        return address.lower()
    return None
