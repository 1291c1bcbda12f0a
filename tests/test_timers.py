"""Deadlines and cadence on the simulated clock, through the same services as production."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisisplan.errors import InvalidInput
from tests.walk import publish_kind, publish_reviewed, take


def kinds(events) -> list[str]:
    return [e.kind for e in events]


def test_acknowledge_deadline_escalates_when_missed(services, clock) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    assert view.deadline("acknowledge_by") == clock.now() + timedelta(minutes=15)
    clock.advance(timedelta(minutes=14, seconds=59))
    [(_, early)] = services.tick()  # only the at-risk warning (the runbook warns 5 minutes ahead)
    assert kinds(early) == ["promise_at_risk", "reminder"]
    clock.advance(timedelta(seconds=1))
    [(incident_id, events)] = services.tick()
    assert incident_id == view.id
    escalations = [e for e in events if e.kind == "escalated"]
    # both the missed public acknowledgement and "nobody acted" escalate to the duty manager
    assert {e.payload["timer"] for e in escalations} == {"acknowledge_by", "nobody_acted"}
    assert all(e.payload["role"] == "duty_manager" for e in escalations)
    assert services.get(view.id).escalations == 2
    clock.advance(timedelta(hours=1))
    assert services.tick() == []  # a deadline fires once


def test_publishing_the_acknowledgement_meets_the_deadline(services, clock) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    clock.advance(timedelta(minutes=5))
    take(services, view.id, "acknowledge", "ana")  # publishing the acknowledgement takes the step
    assert services.get(view.id).deadline("acknowledge_by") is None
    clock.advance(timedelta(minutes=20))
    fired = services.tick()
    assert all("escalated" not in kinds(events) for _, events in fired)


def test_update_cadence_restarts_with_each_public_post(services, clock) -> None:
    view = services.declare("outage", "sev2", "Slow search", "ana")
    take(services, view.id, "acknowledge", "ana")
    start = clock.now()
    assert services.get(view.id).deadline("next_update") == start + timedelta(hours=1)
    clock.advance(timedelta(minutes=40))
    take(services, view.id, "post_update", "ana")  # the next public post: an update
    assert services.get(view.id).deadline("next_update") == clock.now() + timedelta(hours=1)


def test_a_drafted_promise_moves_to_publication_time(services, clock) -> None:
    """A draft written at 9:00 and published at 9:40 must not promise 10:00: the time moves, in the text too."""
    view = services.declare("outage", "sev2", "Slow search", "ana")
    start = clock.now()
    [ack] = services.posts(view.id)
    assert ack.next_update_at == start + timedelta(hours=1) and not ack.promise_fixed
    assert "11:00 UTC+1" in ack.bodies["en"] and "11:00 UTC+1" in ack.short_bodies["es"]  # one zone label
    clock.advance(timedelta(minutes=40))
    publish_reviewed(services, ack.id, "ana")  # takes the step 'acknowledge' with it
    published = services.post(ack.id)
    assert services.get(view.id).state == "acknowledged"
    assert published.next_update_at == clock.now() + timedelta(hours=1)
    for text in (*published.bodies.values(), *published.short_bodies.values()):
        assert "11:40 " in text and "11:00" not in text
    assert services.get(view.id).deadline("next_update") == published.next_update_at
    event = [e for e in services.timeline(view.id) if e.kind == "post_published"][-1]
    assert '"next_update_moved_from":"2026-01-01T10:00:00+00:00"' in event.payload


def test_a_time_the_author_sets_is_kept(services, clock) -> None:
    view = services.declare("outage", "sev2", "Slow search", "ana")
    take(services, view.id, "acknowledge", "ana")
    promised = clock.now() + timedelta(hours=3)
    post = services.draft_post(view.id, "update", "ana", next_update=promised)
    assert post.promise_fixed and "13:00 UTC+1" in post.bodies["en"]
    clock.advance(timedelta(minutes=10))
    publish_reviewed(services, post.id, "ana")
    assert services.post(post.id).next_update_at == promised and "13:00 UTC+1" in services.post(post.id).bodies["en"]
    # the cadence (1 h) gives way to what the public was told
    assert services.get(view.id).deadline("next_update") == promised
    clock.set(promised - timedelta(minutes=11))
    assert services.tick() == []
    clock.set(promised - timedelta(minutes=10))
    [(_, events)] = services.tick()
    assert [e.kind for e in events][:1] == ["promise_at_risk"]


def test_a_fixed_time_that_has_passed_cannot_go_out(services, clock) -> None:
    from crisisplan.comms.approval import ReviewError

    view = services.declare("outage", "sev3", "Slow search", "ana")
    take(services, view.id, "acknowledge", "ana")  # an update goes out once the incident is acknowledged
    post = services.draft_post(view.id, "update", "ana", next_update=clock.now() + timedelta(minutes=20))
    clock.advance(timedelta(minutes=30))
    with pytest.raises(ReviewError, match="will have passed"):
        services.publish_post(post.id, "ana")
    with pytest.raises(InvalidInput, match="still ahead"):
        services.edit_post(post.id, None, "ana", next_update=clock.now() - timedelta(minutes=1))
    services.edit_post(post.id, None, "ana", next_update=clock.now() + timedelta(hours=1))
    services.publish_post(post.id, "ana")  # sev3 needs no approval
    assert services.post(post.id).status == "published"


def test_a_promise_turns_at_risk_and_the_update_is_drafted_ahead(services, clock) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    services.assign_role(view.id, "communications_lead", "Carmen", "ana")
    take(services, view.id, "acknowledge", "ana")
    due = services.get(view.id).deadline("next_update")
    assert services.get(view.id).promise == "on_track"
    clock.set(due - timedelta(minutes=10))  # the runbook drafts 10 minutes ahead
    [(_, events)] = services.tick()
    assert [e.kind for e in events] == ["promise_at_risk", "post_drafted", "reminder"]
    assert events[2].payload["person"] == "Carmen"
    assert services.get(view.id).promise == "at_risk"
    [draft] = [p for p in services.posts(view.id) if p.kind == "update"]
    assert services.tick() == []  # marked once
    clock.set(due)  # nobody posted: broken, reminded again, but no second draft
    [(_, events)] = services.tick()
    assert [e.kind for e in events] == ["timer_fired", "reminder", "timer_set"]
    assert services.get(view.id).promise == "broken"
    assert [p.id for p in services.posts(view.id) if p.kind == "update"] == [draft.id]
    assert services.promises(view.id) == {"kept": 0, "broken": 1, "rate": 0.0}
    publish_reviewed(services, draft.id, "ana")
    assert services.get(view.id).promise == "on_track"


def test_the_acknowledgement_deadline_turns_at_risk_then_broken(services, clock) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    services.assign_role(view.id, "communications_lead", "Carmen", "ana")
    assert services.get(view.id).acknowledgement == "on_track"
    clock.advance(timedelta(minutes=10))  # 15 minutes to acknowledge; at risk 5 minutes before
    [(_, events)] = services.tick()
    assert [(e.kind, e.payload.get("person")) for e in events] == [("promise_at_risk", None),
                                                                    ("reminder", "Carmen")]
    assert services.get(view.id).acknowledgement == "at_risk"
    clock.advance(timedelta(minutes=5))
    services.tick()
    assert services.get(view.id).acknowledgement == "broken"
    publish_kind(services, view.id, "acknowledge", "ana")
    assert services.get(view.id).acknowledgement == "kept"


def test_missed_update_drafts_one_and_reminds_the_comms_lead(services, clock) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    services.assign_role(view.id, "communications_lead", "Carmen", "ana")
    take(services, view.id, "acknowledge", "ana")
    clock.advance(timedelta(minutes=30))
    [(_, events)] = services.tick()
    reminder = next(e for e in events if e.kind == "reminder" and e.payload["timer"] == "next_update")
    assert reminder.payload["person"] == "Carmen"
    drafts = [p for p in services.posts(view.id) if p.kind == "update"]
    assert len(drafts) == 1 and "Next update by" in drafts[0].bodies["en"]
    assert "Próxima actualización" in drafts[0].bodies["es"]


def test_a_24_hour_sev1_incident_keeps_its_cadence(services, clock) -> None:
    view = services.declare("outage", "sev1", "Payments failing", "ana")
    take(services, view.id, "acknowledge", "ana")
    services.set_fields(view.id, {"cause": "A bad deploy"}, "ana")
    published = 0
    end = clock.now() + timedelta(hours=24)
    while clock.now() < end:
        clock.advance(timedelta(minutes=29))  # the team posts a minute early, every time
        # the cause post takes 'identify_cause', each update after it 'post_update'
        take(services, view.id, "identify_cause" if published == 0 else "post_update", "ana")
        published += 1
        assert services.tick() == []  # no reminder: every promise kept
    assert published == 50
    services.set_fields(view.id, {"fix": "Rolled back"}, "ana")
    take(services, view.id, "mitigate", "ana")
    take(services, view.id, "resolve", "ana")
    clock.advance(timedelta(days=2))
    [(_, events)] = services.tick()
    assert "post_drafted" in kinds(events)  # the follow-up, after a prudent delay
    assert services.verify_audit()[2] == []


def test_regulator_deadline_is_met_by_recording_the_notification(services, clock) -> None:
    view = services.declare("security", "sev1", "Customer e-mails exposed", "ana")
    assert services.get(view.id).deadline("regulator_deadline") == clock.now() + timedelta(hours=72)
    clock.advance(timedelta(hours=48))
    [(_, events)] = services.tick()
    reminders = {e.payload["timer"] for e in events if e.kind == "reminder"}
    assert reminders == {"regulator_warning", "acknowledge_by"}  # the statement was late too
    services.set_fields(view.id, {"regulator_reference": "AEPD-2026-0042"}, "lena")
    clock.advance(timedelta(hours=30))
    fired = services.tick()
    assert all(e.payload.get("timer") != "regulator_deadline" for _, ev in fired for e in ev)


def test_severity_change_moves_the_deadlines(services, clock) -> None:
    view = services.declare("outage", "sev3", "Typo on the help page", "ana")
    assert view.deadline("acknowledge_by") == clock.now() + timedelta(hours=1)
    view = services.set_severity(view.id, "sev1", "ana")
    assert view.deadline("acknowledge_by") == clock.now() + timedelta(minutes=15)
    assert any(e.kind == "severity_changed" for e in services.timeline(view.id))


def test_promise_kept_rate_comes_from_the_record(services, clock) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    take(services, view.id, "acknowledge", "ana")  # promise: an update within 30 minutes
    clock.advance(timedelta(minutes=20))
    take(services, view.id, "post_update", "ana")  # the update goes out: kept
    clock.advance(timedelta(minutes=31))
    services.tick()  # the next one is broken: the timer fires
    assert services.promises(view.id) == {"kept": 1, "broken": 1, "rate": 0.5}
