"""Scoring and reporting a drill from a hand-built record: no database, every figure worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.tone import Context
from crisisplan.drills import report
from crisisplan.drills.record import DrillPost, DrillRecord
from crisisplan.drills.scenario import Scenario
from crisisplan.drills.score import score
from crisisplan.engine import Incident
from crisisplan.plan.load import load_plan

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HELP = "Help: https://help.example.com"
RUNBOOK = load_plan(SHIPPED_PLAN).runbook("outage")  # sev1: acknowledge within 15m, update every 30m, one approval


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def _post(id_: int, kind: str, minutes: int, text: str) -> DrillPost:
    return DrillPost(id=id_, kind=kind, published_at=_at(minutes), bodies={"en": text}, author="carmen",
                     approvals=[{"by": "lena", "at": _at(minutes).isoformat()}])


def _record() -> DrillRecord:
    scenario = Scenario.model_validate({
        "id": "by_hand", "title": "Drill: by hand", "runbook": "outage", "severity": "sev1", "duration": "2h",
        "injects": [
            {"at": "0m", "kind": "signal", "text": "Card payments fail.",
             "expect": [{"post": "acknowledge", "within": "15m"}]},
            {"at": "30m", "kind": "executive_post", "author": "CEO", "text": "Blame them.",
             "expect": [{"quiet": "blame", "within": "1h"}]},
        ]})
    posts = [
        _post(1, "acknowledge", 12, f"We are sorry: card payments fail at checkout. Next update by 09:45. {HELP}"),
        _post(2, "update", 52, f"The TLS certificate is being renewed. Next update by 10:30. {HELP}"),
        _post(3, "resolve", 70, f"We are sorry, and thank you for your patience: payments work again. {HELP}"),
    ]
    events = [
        (_at(0), "incident_declared", "ana", {"runbook": "outage", "severity": "sev1"}),
        (_at(12), "post_published", "carmen", {"post_id": 1, "kind": "acknowledge"}),
        (_at(13), "state_changed", "carmen", {"trigger": "acknowledge", "from": "detected", "to": "acknowledged"}),
        (_at(35), "external_post", "ceo", {"text": "The outage is the bank's fault, not our fault."}),
        (_at(52), "post_published", "carmen", {"post_id": 2, "kind": "update"}),
        (_at(70), "state_changed", "carmen", {"trigger": "resolve", "from": "acknowledged", "to": "resolved"}),
        (_at(70), "post_published", "carmen", {"post_id": 3, "kind": "resolve"}),
    ]
    incident = Incident(runbook_id="outage", severity="sev1", title="Drill: by hand", state="resolved",
                        declared_at=START, state_entered_at=_at(70), is_drill=True,
                        checklist={"detected": [0, 1, 2], "resolved": [0]})
    return DrillRecord(
        scenario=scenario, runbook=RUNBOOK, incident=incident, started_at=START, ended_at=START + timedelta(hours=2),
        events=events, posts=posts, promises={"kept": 2, "broken": 1, "rate": 0.667},
        injects=[(_at(0), scenario.injects[0]), (_at(30), scenario.injects[1])],
        errors=["+20m trigger=mitigate: the fix is not recorded"],
        tone=Context(locale="en", channel="social_short", jargon=("TLS",), block=("blame",)), incident_id=7)


def test_a_hand_built_drill_scores_as_worked_out_by_hand() -> None:
    card = score(_record())
    checks = {c.name: c for c in card.checks}
    # acknowledge: first acknowledge post at +12m, sev1 deadline 15m: 12 <= 15, passed (1)
    assert checks["acknowledge"].value == 1.0
    assert checks["acknowledge"].line == "first public word (acknowledge) after 12m (deadline 15m)"
    # promises: kept / (kept + broken) = 2 / (2 + 1) = 2/3, the one broken promise costs a third
    assert checks["promises"].value == pytest.approx(2 / 3)
    assert checks["promises"].line == "2 of 3 next-update promises kept"
    # cadence: posts at +12m, +52m, +70m, resolved at +70m: gaps 40m and 18m, none after;
    # longest 40m against 30m, so 30 / 40 = 0.75
    assert checks["cadence"].value == pytest.approx(0.75)
    assert checks["cadence"].line == "longest public silence 40m (cadence 30m)"
    # tone: "TLS" is jargon in the update (1), "not our fault" blames in the post outside the review (1);
    # the other posts have their apology, time, update and link: 2 findings, 3 posts, 1 - 2 / (2 × 3) = 2/3
    assert checks["tone"].value == pytest.approx(2 / 3)
    assert checks["tone"].line == ("2 tone finding(s) in 3 published post(s): "
                                   "blame (outside the review), jargon (update)")
    # approval: each post approved once by someone else (sev1 asks one), but one post went around it: 0
    assert checks["approval"].value == 0.0
    assert checks["approval"].line == "1 post(s) went out around the review (by ceo)"
    # checklists: visited detected (3 items, 3 done) and resolved (2 items, 1 done): 4 / 5 = 0.8
    assert checks["checklists"].value == pytest.approx(0.8)
    assert checks["checklists"].line == "4 of 5 checklist item(s) done"
    assert checks["escalations"].value == 1.0 and checks["escalations"].line == "no escalation needed"
    # the signal at +0m wanted an acknowledge post within 15m: one at +12m, passed
    assert checks["inject signal +0m"].value == 1.0
    assert checks["inject signal +0m"].line == "a 'acknowledge' post after 12m (wanted within 15m)"
    # the executive post at +30m wanted 'blame' quiet for an hour: the blaming post at +35m, failed
    assert checks["inject executive_post +30m"].value == 0.0
    assert checks["inject executive_post +30m"].line == "rule 'blame' fired in a post outside the review"
    assert checks["script"].value == 0.0 and card.errors == ["+20m trigger=mitigate: the fix is not recorded"]
    # 10 checks: 1 + 2/3 + 3/4 + 2/3 + 0 + 4/5 + 1 + 1 + 0 + 0 = 5.883…; 100 × 5.883 / 10 = 58.8, rounded 59
    assert [c.name for c in card.checks] == ["acknowledge", "promises", "cadence", "tone", "approval", "checklists",
                                             "escalations", "inject signal +0m", "inject executive_post +30m",
                                             "script"]
    assert card.score == 59
    assert card.missed == ["promises", "cadence", "tone", "approval", "checklists", "inject executive_post +30m",
                           "script"]


def test_a_late_acknowledgement_and_no_promises_at_all() -> None:
    record = _record()
    record.posts[0] = _post(1, "acknowledge", 16, record.posts[0].bodies["en"])
    record.promises = {"kept": 0, "broken": 0, "rate": None}
    card = score(record)
    checks = {c.name: c for c in card.checks}
    # +16m against the 15m deadline: failed
    assert checks["acknowledge"].value == 0.0
    assert checks["acknowledge"].line == "first public word (acknowledge) after 16m (deadline 15m)"
    assert "promises" not in checks  # no promise made, none to score


def test_the_report_reads_the_record_alone() -> None:
    record = _record()
    card = score(record)
    text = report.markdown(record, card, "drill.svg")
    assert "**Score: 59 / 100**" in text and "![Timeline of the drill](drill.svg)" in text
    assert "| +1h10m | state_changed | from=acknowledged, to=resolved, trigger=resolve |" in text
    svg = report.timeline_svg(record)
    assert svg.count("<circle") == 4  # three posts published, one outside the review
    assert svg.count("<path") == 2  # two injects
    assert "<svg" in report.html_page(record, card)
