"""Channels and their limits: a post is drafted once and rendered per channel.

Lengths are counted the way each channel counts them: a short social post
counts every URL as 23 characters; SMS counts GSM-7 septets (an extended
character costs two) or UCS-2 units, in segments of 160/153 or 70/67.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from crisisplan.comms.markdown import to_html, to_text

URL = re.compile(r"https?://[^\s<>()]+")
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Channel:
    """A place a post goes (status page, social, e-mail, chat, SMS) and how much text it takes."""

    kind: str
    label: str
    limit: int  # hard limit, in the channel's own units
    unit: str = "characters"
    subject_limit: int = 0


CHANNELS: dict[str, Channel] = {
    c.kind: c
    for c in (
        Channel("status_page", "Status page", 10_000),
        Channel("social_short", "Short social post", 280),
        Channel("social_long", "Long social post", 3_000),
        Channel("email", "E-mail", 20_000, subject_limit=78),
        Channel("chat", "Chat message (Slack mrkdwn)", 4_000),
        Channel("sms", "SMS", 10, unit="segments"),
    )
}


@dataclass(frozen=True)
class Rendering:
    """A post as one channel shows it, with its length against that channel's limit."""

    channel: str
    text: str
    length: int
    limit: int
    unit: str
    subject: str = ""
    segments: int = 0
    encoding: str = ""
    subject_limit: int = 0
    # Markdown whose HTML this channel shows (status page, e-mail); converted only when asked for,
    # since checking lengths and words needs none of it
    html_source: str = ""

    @functools.cached_property
    def html(self) -> str:
        """The post as HTML, for the channels that show HTML (status page, e-mail); empty for the others."""
        return to_html(self.html_source) if self.html_source else ""

    @property
    def over_limit(self) -> bool:
        """Whether the text, or the e-mail subject, is too long for this channel."""
        return self.length > self.limit or bool(self.subject_limit and len(self.subject) > self.subject_limit)

    def summary(self) -> str:
        """The length against the limit on one line, so the writer sees how much room is left."""
        extra = f" ({self.segments} segment(s), {self.encoding})" if self.segments else ""
        if self.subject_limit:
            extra += f", subject {len(self.subject)} of {self.subject_limit} characters"
        name = CHANNELS[self.channel].label if self.channel in CHANNELS else self.channel
        return f"{name}: {self.length:,} of {self.limit:,} {self.unit}{extra}"


def social_length(text: str) -> int:
    """Characters as short social networks count them: each URL weighs 23."""
    return len(URL.sub("x" * 23, text))


def sms_segments(text: str) -> tuple[int, str, int]:
    """(segments, encoding, units) for an SMS text."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units
        single, multi, encoding = 70, 67, "UCS-2"
    if units == 0:
        return 0, encoding, 0
    return (1 if units <= single else -(-units // multi)), encoding, units


def split_subject(markdown_text: str) -> tuple[str, str]:
    """A post's first bold line is its title; the rest is the body."""
    first, _, rest = markdown_text.strip().partition("\n")
    title = re.fullmatch(r"\*\*(.+)\*\*", first.strip())
    return (title.group(1).strip(), rest.strip()) if title else ("", markdown_text.strip())


@functools.lru_cache(maxsize=2048)
def render(markdown_text: str, kind: str) -> Rendering:
    """The text as `kind` shows it, with its length in that channel's units (cached: a pure function)."""
    return _render(markdown_text, kind)


def _render(markdown_text: str, kind: str) -> Rendering:
    channel = CHANNELS[kind]
    if kind in ("status_page", "social_long"):
        text = markdown_text.strip() if kind == "status_page" else to_text(markdown_text)
        return Rendering(kind, text, len(text), channel.limit, channel.unit,
                         html_source=markdown_text if kind == "status_page" else "")
    if kind == "social_short":
        text = to_text(markdown_text)
        return Rendering(kind, text, social_length(text), channel.limit, channel.unit)
    if kind == "email":
        subject, body = split_subject(markdown_text)
        text = to_text(body)
        return Rendering(kind, text, len(text), channel.limit, channel.unit, subject=subject,
                         html_source=body, subject_limit=channel.subject_limit)
    if kind == "chat":
        # Slack mrkdwn: & < > are control characters; escape them before writing links
        text = markdown_text.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
        text = re.sub(r"\[([^\]]*)\]\(([^)\s]+)\)", r"<\2|\1>", text)
        return Rendering(kind, text, len(text), channel.limit, channel.unit)
    text = to_text(markdown_text).replace("\n\n", "\n")
    segments, encoding, _units = sms_segments(text)
    return Rendering(kind, text, segments, channel.limit, channel.unit, segments=segments, encoding=encoding)
