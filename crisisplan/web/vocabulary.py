"""The console's words for the values it shows as they are stored (roles, statuses, states): each is marked for
the gettext catalogue here, so `{{ value | say }}` shows it in the reader's language. A value not listed is
shown as it is (a name, an id)."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext


def N_(text: str) -> str:  # noqa: N802 - gettext's conventional name for "mark, translate later"
    """Mark a word for the catalogue (pybabel extracts N_); it is translated when shown."""
    return text


WORDS = {
    # roles, least to most
    "viewer": N_("viewer"), "responder": N_("responder"), "communicator": N_("communicator"),
    "approver": N_("approver"), "admin": N_("admin"),
    # a subscriber's status
    "confirmed": N_("confirmed"), "pending": N_("pending"), "unsubscribed": N_("unsubscribed"),
    # a follow-up action's state
    "open": N_("open"), "done": N_("done"), "dropped": N_("dropped"),
    # a post's review, and a post-incident review's state
    "draft": N_("draft"), "in_review": N_("in review"), "approved": N_("approved"), "scheduled": N_("scheduled"),
    "published": N_("published"), "final": N_("final"),
    # a promise, an acknowledgement
    "on_track": N_("on track"), "at_risk": N_("at risk"), "broken": N_("broken"), "kept": N_("kept"),
    # who a post is for; how many approve it
    "public": N_("public"), "private": N_("private"), "internal": N_("internal"),
    "none": N_("none"), "one": N_("one"), "two": N_("two"),
    # a component on the status page
    "operational": N_("operational"), "degraded_performance": N_("degraded performance"),
    "partial_outage": N_("partial outage"), "major_outage": N_("major outage"),
    "under_maintenance": N_("under maintenance"),
    # a channel's length unit; a tone finding
    "characters": N_("characters"), "segments": N_("segments"), "block": N_("block"), "warn": N_("warn"),
    # the channels a post goes out on, by their label (comms/channels.py)
    "Status page": N_("Status page"), "Short social post": N_("Short social post"),
    "Long social post": N_("Long social post"), "E-mail": N_("E-mail"),
    "Chat message (Slack mrkdwn)": N_("Chat message (Slack mrkdwn)"),
    # how the metrics page groups incidents
    "by runbook": N_("by runbook"), "by severity": N_("by severity"), "per month": N_("per month"),
    "runbook": N_("runbook"), "severity": N_("severity"), "month": N_("month"), "state": N_("state"),
    # a signal's triage and what became of it (signals/)
    "legitimate": N_("legitimate"), "trolling": N_("trolling"), "unclear": N_("unclear"), "general": N_("general"),
}


def say(value: object) -> str:
    """A stored value in the reader's language, when the catalogue has it."""
    word = WORDS.get(str(value))
    return gettext(word) if word else str(value)


def init_app(app: Flask) -> None:
    app.add_template_filter(say, "say")
