"""What a publication owes the connected networks: a public post on each (Bluesky's `bluesky:post`), and the brief
public answer in a complainant's own thread (`bluesky:reply`), written in the publication's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from crisisplan.comms.channels import render
from crisisplan.comms.delivery import text_for
from crisisplan.comms.markdown import to_text
from crisisplan.engine import Incident
from crisisplan.plan.schema import PlanSettings
from crisisplan.publish.outbox import OutboxStatus
from crisisplan.store.models import OutboxRow, PostRow, SignalRow

# the private kinds whose short words may stand in public under the person's post: a first answer and the
# invitation to a private channel (other private replies hold their case's details: e-mail, or by hand)
PUBLIC_IN_THREAD = ("holding_reply", "private_channel_invite")
SOCIAL = "social_short"  # the channel whose words a network's status post carries


def enqueue_network_posts(session: Any, settings: PlanSettings, post: PostRow, incident: Incident, url: str,
                          withheld: dict[str, str], now: datetime) -> None:
    """A public post goes to each connected network as a status post (its short social words, the incident page
    linked) unless it is a drill or the social channel withheld it."""
    if incident.is_drill or withheld.get(SOCIAL) or settings.connectors.bluesky is None:
        return
    locale = settings.default_locale
    text = render(text_for(post.bodies, post.short_bodies or {}, locale, SOCIAL), SOCIAL).text
    if not text.strip():
        return
    session.add(OutboxRow(post_id=post.id, channel="bluesky:post", target=settings.connectors.bluesky.handle,
                          payload=json.dumps({"text": text, "link": url}, ensure_ascii=False),
                          idempotency_key=f"post-{post.id}-bluesky-post", status=OutboxStatus.PENDING, attempts=0,
                          next_attempt_at=now, created_at=now, log=[]))


def answers_in_thread(session: Any, settings: PlanSettings, post: PostRow, signal_id: int | None) -> bool:
    """Whether publishing this private post answers its person in public, under their own Bluesky post."""
    signal = session.get(SignalRow, signal_id) if signal_id else None
    data = (signal.data or {}) if signal is not None else {}
    return (data.get("connector") == "bluesky" and bool(data.get("thread")) and post.kind in PUBLIC_IN_THREAD
            and settings.connectors.bluesky is not None)


def enqueue_thread_reply(session: Any, settings: PlanSettings, post: PostRow, signal_id: int, locale: str,
                         now: datetime) -> bool:
    """A private post to someone who wrote on a connected network: its short words under their post, when its
    kind is a brief first answer or an invitation to a private channel. True when a message was queued."""
    if not answers_in_thread(session, settings, post, signal_id):
        return False
    data = session.get(SignalRow, signal_id).data
    thread = data["thread"]
    locale = locale if locale in post.bodies else settings.default_locale
    text = to_text(text_for(post.bodies, post.short_bodies or {}, locale, SOCIAL))
    session.add(OutboxRow(post_id=post.id, channel="bluesky:reply", target=str(data.get("author", "")),
                          payload=json.dumps({"text": text, "thread": thread}, ensure_ascii=False),
                          idempotency_key=f"post-{post.id}-bluesky-reply-{signal_id}", status=OutboxStatus.PENDING,
                          attempts=0, next_attempt_at=now, created_at=now, log=[]))
    return True
