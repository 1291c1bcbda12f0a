"""The post-incident review states what happened, in figures worked out by hand from the scenario below
(simulated clock; 2026-01-01 09:00 UTC is 10:00 in Madrid, the plan's zone).

A sev2 outage of checkout (acknowledge within 30m, an update every hour, one approval):
  09:00 declared by ana                     09:05 carmen submits the acknowledgement, lena approves at 09:12
  09:12 acknowledgement out: first public word after 12m, approval wait 7m; it promises 10:12
  09:20 ana records the cause               09:35 cause post submitted, approved 09:40, out 09:40
        → the cause was public 20m after it was recorded; 10:12 kept; it promises 10:40
  10:30 first update out (kept 10:40; promises 11:30)
  11:45 the worker's tick: 11:30 passed in silence
  12:00 second update out: the 11:30 promise broken, 30m late; it promises 13:00
  12:20 resolved (13:00 kept; the resolution promises nothing): duration 3h20m;
        promises made in public: 4, of them 3 kept and 1 broken (75%)
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from crisisplan.cli import main
from crisisplan.comms import review_document as document
from crisisplan.errors import InvalidInput

CAUSE = "An expired certificate on the payment gateway"


def _reviewed(services, post_id: int, submit_at_minutes: int, wait_minutes: int) -> None:
    clock = services.clock
    clock.set(clock.now().replace(hour=9, minute=0) + timedelta(minutes=submit_at_minutes))
    services.submit_post(post_id, "carmen")
    clock.advance(timedelta(minutes=wait_minutes))
    services.approve_post(post_id, "lena")
    services.publish_post(post_id, "carmen")


def outage(services, clock) -> int:
    """The scenario of the module's docstring; returns the incident's id."""
    view = services.declare("outage", "sev2", "Checkout fails for card payments", "ana", components=["checkout"])
    [ack] = services.posts(view.id)
    _reviewed(services, ack.id, 5, 7)  # 09:05 → 09:12
    clock.set(clock.now().replace(minute=20))
    services.set_fields(view.id, {"cause": CAUSE}, "ana")
    cause = services.draft_for_step(view.id, "identify_cause", "carmen")
    _reviewed(services, cause.id, 35, 5)  # 09:35 → 09:40
    first = services.draft_for_step(view.id, "post_update", "carmen")
    _reviewed(services, first.id, 90, 0)  # 10:30
    clock.set(clock.now().replace(hour=11, minute=45))
    services.tick()
    second = services.draft_for_step(view.id, "post_update", "carmen")
    _reviewed(services, second.id, 180, 0)  # 12:00
    services.set_fields(view.id, {"fix": "The certificate was renewed"}, "ana")
    resolve = services.draft_for_step(view.id, "resolve", "carmen")
    _reviewed(services, resolve.id, 200, 0)  # 12:20
    return view.id


def test_the_review_states_the_figures_of_the_record(services, clock) -> None:
    incident_id = outage(services, clock)
    clock.advance(timedelta(hours=1))
    review = services.review(incident_id)
    f = review.figures
    assert f.duration(review.now) == timedelta(hours=3, minutes=20)
    assert review.components == ["Checkout"]
    assert f.time_to_first_public == timedelta(minutes=12)
    assert f.time_to_acknowledge == timedelta(minutes=5)  # carmen's submission: somebody took it
    [cause] = f.causes
    assert (cause.value, cause.delay) == (CAUSE, timedelta(minutes=20))
    assert [(p.kind, p.outcome) for p in f.promises] == [("acknowledge", "kept"), ("cause", "kept"),
                                                         ("update", "broken"), ("update", "kept")]
    broken = next(p for p in f.promises if p.outcome == "broken")
    assert broken.late_by == timedelta(minutes=30)
    assert (f.kept, f.broken) == (3, 1)
    # one count everywhere: `crisisplan show`, the API and drill scores say the same
    assert services.promises(incident_id) == {"kept": 3, "broken": 1, "rate": 0.75}
    assert [a.wait for a in f.approvals][:2] == [timedelta(minutes=7), timedelta(minutes=5)]
    deadlines = {d.timer: d.outcome for d in f.deadlines}
    assert deadlines == {"acknowledge_by": "met", "nobody_acted": "met", "follow_up": "open"}
    assert f.public_posts == 5

    text = document.to_markdown(review)
    assert "First public word after 12m" in text
    assert f"| {CAUSE} | 10:20 UTC+1, 1 Jan | 10:40 UTC+1, 1 Jan | 20m |" in text
    assert "3 kept, 1 broken (75% kept)." in text
    assert "broken, 30m late" in text
    assert "| Duration | 3h20m |" in text


def test_the_pdf_holds_every_section(services, clock) -> None:
    incident_id = outage(services, clock)
    services.write_review(incident_id, {"went_well": "The first word was out in 12 minutes.",
                                        "went_badly": "We went silent past 11:30.", "why": "Nobody watched"},
                          "carmen")
    services.add_action(incident_id, "Watch certificate expiry dates", "ana", "2026-01-15", "carmen")
    pdf = document.to_pdf(services.review(incident_id))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for heading in document.HEADINGS:
        assert heading in text, heading
    for said in ("We went silent past 11:30.", "Watch certificate expiry dates", CAUSE, "3 kept, 1 broken"):
        assert said in " ".join(text.split()), said


def test_the_review_moves_draft_in_review_final_in_the_audit_chain(services, clock) -> None:
    incident_id = outage(services, clock)
    with pytest.raises(InvalidInput, match="cannot become final"):
        services.move_review(incident_id, "final", "lena")
    services.write_review(incident_id, {"why": "The renewal job had been switched off."}, "carmen")
    services.move_review(incident_id, "in_review", "carmen")
    with pytest.raises(InvalidInput, match="needs the role approver"):
        services.move_review(incident_id, "final", "carmen", role="communicator")
    assert services.move_review(incident_id, "final", "lena", role="approver").review_state == "final"
    with pytest.raises(InvalidInput, match="final"):
        services.write_review(incident_id, {"why": "changed afterwards"}, "carmen")
    with pytest.raises(InvalidInput, match="no review section 'whu'"):
        services.write_review(incident_id, {"whu": "typo"}, "carmen")
    kinds = [(e.kind, json.loads(e.payload)) for e in services.timeline(incident_id) if e.kind.startswith("review")]
    assert kinds == [("review_started", {}),
                     ("review_section_written", {"section": "why", "text": "The renewal job had been switched off."}),
                     ("review_state_changed", {"from": "draft", "to": "in_review"}),
                     ("review_state_changed", {"from": "in_review", "to": "final"})]
    assert services.verify_incident_audit(incident_id)[1] is None


def test_a_review_not_resolved_yet_says_so(services, clock) -> None:
    view = services.declare("outage", "sev2", "Search is slow", "ana")
    clock.advance(timedelta(minutes=45))
    review = services.review(view.id)
    assert review.figures.first_public_at is None
    assert {d.timer: d.outcome for d in review.figures.deadlines} == {"acknowledge_by": "missed",
                                                                       "nobody_acted": "missed"}
    assert "nothing public was said" in document.to_markdown(review)


def test_cli_draft_json_and_files(services, clock, runner, tmp_path) -> None:
    incident_id = outage(services, clock)
    result = runner.invoke(main, ["review", "draft", str(incident_id), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["time_to_first_public_s"] == 12 * 60
    assert data["causes"][0]["delay_s"] == 20 * 60
    assert (data["promises"]["kept"], data["promises"]["broken"]) == (3, 1)
    assert data["incident"]["duration_s"] == (3 * 60 + 20) * 60
    out = tmp_path / "r.pdf"
    result = runner.invoke(main, ["review", "draft", str(incident_id), "--format", "pdf", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    result = runner.invoke(main, ["review", "draft", "999"])
    assert result.exit_code == 1 and "no incident 999" in result.output


def test_the_demo_has_a_past_incident_with_a_final_review_and_actions(services, runner, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CRISISPLAN_INSTANCE", str(tmp_path))
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    past_id = int(re.search(r"played a past incident \(#(\d+)\)", result.output).group(1))
    past = services.review(past_id)
    assert past.review_state == "final" and past.state_label == "Followed up and closed"
    assert all(past.sections.get(name) for name in ("went_well", "went_badly", "why"))
    f = past.figures
    # the script in crisisplan/services/sample.py: acknowledgement out 14m after declaring, the cause 25m after it
    # was recorded, the update promised for 09:55 UTC out at 10:15 UTC
    assert f.time_to_first_public == timedelta(minutes=14) and f.causes[0].delay == timedelta(minutes=25)
    assert (f.kept, f.broken) == (2, 1)
    assert sorted(a.state for a in services.actions(past_id)) == ["done", "open", "open"]
    assert services.verify_incident_audit(past_id)[1] is None
    # the metrics count the incidents the team responded to, not the demo's planned maintenance windows
    assert past_id in {m.id for m in services.response_metrics()}
    assert {m.runbook for m in services.response_metrics()} == {"outage"}


def test_tone_warnings_a_post_went_out_with_are_listed(services, clock) -> None:
    view = services.declare("outage", "sev3", "Search is slow", "ana")  # sev3: no approval needed
    text = "We are sorry: search is slow because of a DNS fault. We will tell you more by 10:45."
    post = services.draft_post(view.id, "acknowledge", "carmen", text=text)
    found = services.post_findings(services.post(post.id), services.incident(view.id))["en"]
    findings = {f.rule: f.severity for f in found}
    assert findings.get("jargon") == "warn"  # plan.yaml lists DNS as jargon; jargon only warns
    services.publish_post(post.id, "carmen")
    [(post_id, kind, rules)] = services.review(view.id).figures.tone
    assert (post_id, kind) == (post.id, "acknowledge") and "jargon" in rules
    assert "jargon" in document.to_markdown(services.review(view.id)).split("Tone warnings published over")[1]
