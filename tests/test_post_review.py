"""The review of a post: the severity's approval policy, blocking rules, the audit of every step."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crisisplan.comms.approval import ReviewError
from crisisplan.errors import TriggerNotAllowed


def draft(services, severity: str = "sev1", runbook: str = "outage"):
    view = services.declare(runbook, severity, "Checkout down", "ana")
    return view, services.posts(view.id)[0]


def security_under_review(services):
    """A sev1 data incident past containment: its statement drafted, two people needed."""
    view = services.declare("security", "sev1", "Data exposed", "ana")
    services.assign_role(view.id, "legal_counsel", "lena", "ana")
    for item in (1, 2, 3):
        services.check_item(view.id, item, "ana")
    services.trigger(view.id, "begin_review", "ana")
    return view


def signed_off(services, view) -> None:
    """Legal and leadership have reviewed the statement: publishing it may now take the step 'disclose'."""
    services.set_fields(view.id, {"legal_signoff": "lena", "leadership_signoff": "eva"}, "ana")
    for item in (1, 2, 3):
        services.check_item(view.id, item, "ana")


def test_two_people_the_author_cannot_approve_alone(services) -> None:
    view = security_under_review(services)
    post = next(p for p in services.posts(view.id) if p.kind == "acknowledge")
    services.edit_post(post.id, post.bodies["en"], "carmen")  # carmen is now the author
    services.submit_post(post.id, "carmen")
    with pytest.raises(ReviewError, match="cannot approve it"):
        services.approve_post(post.id, "carmen")
    # two people besides the author, legal counsel one of them (the runbook's approval_roles)
    with pytest.raises(ReviewError, match="needs the approvals of two people other than its author and the "
                                          "approval of lena"):
        services.publish_post(post.id, "carmen")
    assert services.approve_post(post.id, "lena").status == "in_review"
    assert services.approve_post(post.id, "bob").status == "approved"
    # approved, but the statement is the step 'disclose': it waits for the sign-offs and the review's checklist
    with pytest.raises(TriggerNotAllowed, match="takes the step 'disclose', which cannot happen yet"):
        services.publish_post(post.id, "carmen")
    signed_off(services, view)
    assert services.publish_post(post.id, "carmen").status == "published"
    assert "acknowledge" in services.incident(view.id).published
    assert services.get(view.id).state == "disclosed"


def test_one_approval_and_none(services) -> None:
    _, post = draft(services, "sev1")
    with pytest.raises(ReviewError, match="needs the approval of somebody other than its author"):
        services.publish_post(post.id, "ana")
    with pytest.raises(ReviewError, match="submit it first"):
        services.approve_post(post.id, "bob")
    services.submit_post(post.id, "ana")
    assert services.approve_post(post.id, "bob").status == "approved"
    with pytest.raises(ReviewError, match="this post is approved"):
        services.approve_post(post.id, "bob")
    assert services.publish_post(post.id, "ana").status == "published"
    _, minor = draft(services, "sev3")  # sev3: approval none
    assert services.publish_post(minor.id, "ana").status == "published"


def test_editing_withdraws_approval_and_is_audited_with_a_diff(services) -> None:
    view, post = draft(services)
    services.submit_post(post.id, "ana")
    services.approve_post(post.id, "bob")
    edited = services.edit_post(post.id, post.bodies["en"].replace("Our team", "Our whole team"), "ana")
    assert edited.status == "draft" and edited.approvals == []
    event = [e for e in services.timeline(view.id) if e.kind == "post_edited"][-1]
    payload = json.loads(event.payload)
    assert payload["approvals_withdrawn"] == ["bob"]
    assert "-We know" in payload["diff"] and "+We know" in payload["diff"] and "Our whole team" in payload["diff"]
    kinds = [e.kind for e in services.timeline(view.id)]
    assert kinds.count("post_submitted") == 1 and kinds.count("post_approved") == 1
    assert services.verify_audit()[2] == []


def test_rejection_needs_a_comment_and_goes_back_to_draft(services) -> None:
    _, post = draft(services)
    services.submit_post(post.id, "ana")
    with pytest.raises(ReviewError, match="say why"):
        services.reject_post(post.id, "bob", "  ")
    rejected = services.reject_post(post.id, "bob", "Name the affected countries")
    assert rejected.status == "draft" and rejected.review_comment == "Name the affected countries"


def test_blocking_tone_findings_stop_publication(services) -> None:
    _, post = draft(services, "sev3")
    services.edit_post(post.id, post.bodies["en"] + "\nThat is not the case.\n", "ana")
    services.confirm_locale(post.id, "es", "ana")  # the Spanish text is not where the finding is
    with pytest.raises(ReviewError, match=r"blocking tone findings: en: \[contradiction\] That is not the case"):
        services.publish_post(post.id, "ana")
    services.edit_post(post.id, post.bodies["en"], "ana")
    services.confirm_locale(post.id, "es", "ana")
    assert services.publish_post(post.id, "ana").status == "published"
    with pytest.raises(ReviewError, match="cannot be edited"):
        services.edit_post(post.id, "x", "ana")


def test_scheduled_post_goes_out_on_tick(services, clock) -> None:
    view, post = draft(services, "sev3")
    at = clock.now() + timedelta(minutes=10)
    assert services.publish_post(post.id, "ana", at=at).status == "scheduled"
    clock.advance(timedelta(minutes=9))
    services.tick()
    assert services.post(post.id).status == "scheduled"
    clock.advance(timedelta(minutes=1))
    services.tick()
    assert services.post(post.id).status == "published"
    assert [e.actor for e in services.timeline(view.id) if e.kind == "post_published"] == ["crisisplan"]


def test_a_timer_draft_still_needs_two_people(services, clock) -> None:
    view = security_under_review(services)
    ack = next(p for p in services.posts(view.id) if p.kind == "acknowledge")
    services.submit_post(ack.id, "carmen")
    services.approve_post(ack.id, "lena")
    services.approve_post(ack.id, "bob")
    signed_off(services, view)
    services.publish_post(ack.id, "carmen")  # the statement goes out: the incident is disclosed with it
    assert services.get(view.id).state == "disclosed"
    clock.advance(timedelta(hours=12))
    services.tick()
    update = next(p for p in services.posts(view.id) if p.kind == "update")
    assert update.author == "crisisplan"
    assert services.submit_post(update.id, "carmen").author == "carmen"
    with pytest.raises(ReviewError, match="cannot approve it"):
        services.approve_post(update.id, "carmen")


def test_a_scheduled_post_that_can_no_longer_go_out_does_not_stop_the_tick(services, clock) -> None:
    view, post = draft(services, "sev3")
    services.publish_post(post.id, "ana", at=clock.now() + timedelta(minutes=5))
    services.plan.settings.tone.block.append("problem_word")
    try:
        # the post was fine when scheduled; by its time the text breaks a rule that now blocks
        with services.db.write() as session:
            from crisisplan.store.models import PostRow

            row = session.get(PostRow, post.id)
            row.bodies = {**row.bodies, "en": row.bodies["en"] + "\nThe problem is known.\n"}
        clock.advance(timedelta(hours=2))
        fired = services.tick()
    finally:
        services.plan.settings.tone.block.remove("problem_word")
    assert services.post(post.id).status == "scheduled"
    assert any(i == view.id for i, _ in fired)  # the incident's timers still fired
