"""The next-update promise is one value: what the text says, what the timer tracks and what counts as kept or
broken agree on every path (simulated clock; 2026-01-01 09:00 UTC is 10:00 in Madrid, the plan's zone)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisisplan.comms.approval import ReviewError
from crisisplan.errors import InvalidInput
from tests.walk import publish_reviewed, review


def _ack(services, severity: str = "sev3"):
    view = services.declare("outage", severity, "Search is slow", "carmen")
    [ack] = services.posts(view.id)
    return view, ack


def test_a_time_chosen_before_publication_is_the_time_everywhere(services, clock) -> None:
    view, ack = _ack(services)  # sev3: updates every 4h; the draft says 14:00 (10:00 + 4h)
    assert "14:00" in ack.bodies["en"] and "14:00" in ack.short_bodies["es"]
    edited = services.edit_post(ack.id, None, "carmen", next_update=clock.now() + timedelta(hours=1, minutes=30))
    for text in (*edited.bodies.values(), *edited.short_bodies.values()):
        assert "11:30" in text and "14:00" not in text  # 09:00 UTC + 1h30 = 10:30 UTC = 11:30 in Madrid
    services.publish_post(ack.id, "carmen")
    assert services.get(view.id).deadline("next_update") == clock.now() + timedelta(hours=1, minutes=30)
    clock.advance(timedelta(hours=1))
    update = services.draft_post(view.id, "update", "carmen")
    services.publish_post(update.id, "carmen")
    assert services.promises(view.id) == {"kept": 1, "broken": 0, "rate": 1.0}


def test_a_time_rewritten_in_one_language_must_be_rewritten_in_all(services, clock) -> None:
    view, ack = _ack(services)
    text = ack.bodies["en"].replace("14:00", "12:15")
    services.edit_post(ack.id, text, "carmen", locale="en")
    # saying the Spanish text is unchanged (it is: it still says 14:00) does not let the other time through
    services.confirm_locale(ack.id, "es", "carmen")
    with pytest.raises(ReviewError, match=r"the text in en \(short\), es, es \(short\) does not name that time"):
        services.publish_post(ack.id, "carmen")
    assert services.get(view.id).state == "detected"  # refused: nothing moved
    services.edit_post(ack.id, services.post(ack.id).bodies["es"].replace("14:00", "12:15"), "carmen", locale="es")
    services.confirm_locale(ack.id, "en", "carmen")  # the English text already says 12:15
    with pytest.raises(ReviewError, match="short"):  # the short forms still say 14:00
        services.publish_post(ack.id, "carmen")
    for locale in ("en", "es"):
        short = services.post(ack.id).short_bodies[locale].replace("14:00", "12:15")
        services.edit_post(ack.id, short, "carmen", locale=locale, short=True)
    services.publish_post(ack.id, "carmen")
    # 12:15 in Madrid is 11:15 UTC: the timer keeps what the text says
    assert services.get(view.id).deadline("next_update") == clock.now() + timedelta(hours=2, minutes=15)


def test_a_post_that_is_not_the_last_must_say_when_the_next_comes(services) -> None:
    view, _ = _ack(services)
    with pytest.raises(InvalidInput, match="must say the next-update time"):
        services.draft_post(view.id, "update", "carmen", text="We are on it.",
                            next_update=services.clock.now() + timedelta(hours=1))
    bare = services.draft_post(view.id, "acknowledge", "carmen", text="We are sorry: search is slow. We are on it.")
    with pytest.raises(ReviewError, match="does not say when the next update comes"):
        services.publish_post(bare.id, "carmen")


def test_a_hand_written_time_is_the_promise_tracked(services, clock) -> None:
    view, _ = _ack(services)
    post = services.draft_post(view.id, "acknowledge", "carmen",
                               text="We are sorry: search is slow. We will tell you more by 10:45.")
    assert post.next_update_at == clock.now() + timedelta(minutes=45)
    services.publish_post(post.id, "carmen")
    assert services.get(view.id).deadline("next_update") == clock.now() + timedelta(minutes=45)
    clock.advance(timedelta(minutes=46))
    services.tick()  # nothing was said by 10:45: the promise is broken, and counted so
    assert services.promises(view.id)["broken"] == 1


def test_a_published_promise_moves_only_with_a_new_post(services, clock) -> None:
    view, ack = _ack(services)
    services.publish_post(ack.id, "carmen")
    with pytest.raises(ReviewError, match="cannot be edited"):
        services.edit_post(ack.id, None, "carmen", next_update=clock.now() + timedelta(hours=6))
    clock.advance(timedelta(hours=1))
    update = services.draft_post(view.id, "update", "carmen", next_update=clock.now() + timedelta(hours=2),
                                 text="Still on it; next update by 13:00.")  # 10:00 UTC + 2h = 13:00 in Madrid
    services.publish_post(update.id, "carmen")
    assert services.get(view.id).deadline("next_update") == clock.now() + timedelta(hours=2)
    assert services.promises(view.id) == {"kept": 1, "broken": 0, "rate": 1.0}


def test_a_promise_made_where_no_cadence_runs_is_still_kept_track_of(services, clock) -> None:
    # complaints: the cadence timer runs only once the team answers (responding, escalated); the holding
    # reply from triage promises a time all the same, and that promise is tracked
    view = services.declare("complaints", "high", "Order never arrived", "carmen", fields={"assessment": "legit"})
    [reply] = [p for p in services.posts(view.id) if p.kind == "holding_reply"]
    assert reply.next_update_at is not None
    review(services, reply.id, "carmen")
    services.publish_post(reply.id, "carmen")
    due = services.get(view.id).deadline("next_update")
    assert due == reply.next_update_at
    clock.set(due + timedelta(minutes=1))
    services.tick()
    assert services.promises(view.id)["broken"] == 1


def test_resolution_owes_no_more_updates(services, clock) -> None:
    view, ack = _ack(services)
    services.publish_post(ack.id, "carmen")
    services.set_fields(view.id, {"cause": "A full disk"}, "rudi")
    cause = services.draft_for_step(view.id, "identify_cause", "carmen")
    publish_reviewed(services, cause.id, "carmen")
    resolve = services.draft_for_step(view.id, "resolve", "carmen")
    publish_reviewed(services, resolve.id, "carmen")
    assert services.get(view.id).deadline("next_update") is None
    assert services.incident(view.id).promised_update_at is None
