"""Which channels a post may go to: each channel's text, length and blocking findings.

A post is written once (plus an optional short form for short channels) and
checked per channel and locale. The status page is the record: if it cannot
take the post, nothing is published. Any other channel that cannot take it is
withheld, with the reason, while the rest go out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crisisplan.comms.channels import CHANNELS, Rendering, render
from crisisplan.comms.tone import Context, Finding, blocking, check

PRIMARY = "status_page"
DRILL_LABEL = "[DRILL] "
SHORT_CHANNELS = ("social_short", "sms")


def text_for(bodies: dict[str, str], short_bodies: dict[str, str], locale: str, channel: str) -> str:
    """The text a channel shows: the short form on short channels when there is one."""
    if channel in SHORT_CHANNELS and short_bodies.get(locale):
        return short_bodies[locale]
    return bodies.get(locale, "")


@dataclass(frozen=True)
class ChannelCheck:
    """One channel and locale of a post: the text it would show, how it renders there and its tone findings."""

    channel: str
    locale: str
    text: str
    rendering: Rendering
    findings: list[Finding]

    @property
    def short_form(self) -> bool:
        """Whether this channel shows the post's short form (short social post, SMS) when the post has one."""
        return self.channel in SHORT_CHANNELS

    @property
    def problem(self) -> str:
        """Why this text cannot go to this channel; "" when it can."""
        if self.rendering.over_limit:
            return f"{self.locale}: over the limit ({self.rendering.summary()})"
        rules = sorted({f.rule for f in blocking(self.findings)})
        return f"{self.locale}: blocking finding(s) {', '.join(rules)}" if rules else ""


def check_channels(bodies: dict[str, str], short_bodies: dict[str, str],
                   context: Callable[[str, str], Context]) -> list[ChannelCheck]:
    """Every (channel, locale) of a post, rendered and checked; `context(locale, channel)` gives the rules."""
    result = []
    for channel in CHANNELS:
        for locale in bodies:
            text = text_for(bodies, short_bodies, locale, channel)
            rendering = render(text, channel)
            result.append(ChannelCheck(channel, locale, text, rendering,
                                       check(text, context(locale, channel), rendering)))
    return result


def verdict(checks: list[ChannelCheck]) -> dict[str, str]:
    """channel -> "" when the post goes there, else why it is withheld."""
    reasons: dict[str, list[str]] = {channel: [] for channel in CHANNELS}
    for item in checks:
        if item.problem:
            reasons[item.channel].append(item.problem)
    return {channel: "; ".join(why) for channel, why in reasons.items()}


def drill_labelled(text: str) -> str:
    """A drill's post says so where every channel shows it: at the very start (inside a bold title)."""
    if DRILL_LABEL.strip() in text[:40]:
        return text
    stripped = text.lstrip()
    if stripped.startswith("**"):
        return "**" + DRILL_LABEL + stripped[2:]
    return DRILL_LABEL + stripped
