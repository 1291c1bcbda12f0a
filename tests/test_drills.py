"""Drills: each shipped scenario scores as its file expects; a late acknowledgement and a post around
the review are caught; scenario mistakes name file:line; nothing of a drill leaks to public output."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main
from crisisplan.drills.scenario import check_scenarios
from crisisplan.plan.load import load_plan
from crisisplan.services.drill_runs import play
from tests.walk import publish_reviewed, satisfy, take

PLAN = load_plan(SHIPPED_PLAN)
SCENARIOS, PROBLEMS = check_scenarios(PLAN)


def test_three_scenarios_ship_one_per_runbook() -> None:
    assert PROBLEMS == []
    # a maintenance window runs itself at its planned times: there is no response of people to rehearse
    incident_runbooks = sorted(rb_id for rb_id, rb in PLAN.runbooks.items() if rb.maintenance is None)
    assert sorted(s.runbook for s in SCENARIOS.values()) == incident_runbooks == ["complaints", "outage", "security"]


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_each_shipped_scenario_scores_as_its_file_expects(runner, scenario_id: str) -> None:
    result = runner.invoke(main, ["drill", "run", scenario_id, "--json", "--no-record"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["as_expected"], data
    assert data["errors"] == []  # every scripted action was accepted by the plan


def test_an_executive_posting_around_the_review_is_flagged() -> None:
    played = play(PLAN, SCENARIOS["complaint_storm"])
    try:
        approval = next(c for c in played.card.checks if c.name == "approval")
        assert not approval.passed and "around the review (by head-of-sales)" in approval.line
        assert "contradiction (outside the review)" in next(c for c in played.card.checks if c.name == "tone").line
    finally:
        played.scratch.close()


def test_a_missed_acknowledgement_deadline_is_scored_as_missed() -> None:
    late = SCENARIOS["checkout_outage"].model_copy(deep=True)
    script = [a for a in late.script if a.publish != "acknowledge"]
    first = next(a for a in late.script if a.publish == "acknowledge")
    late = late.model_copy(update={"script": [*script, first.model_copy(update={"at": first.at * 6})]})  # 36m
    played = play(PLAN, late)
    try:
        checks = {c.name: c for c in played.card.checks}
        assert not checks["acknowledge"].passed
        assert checks["acknowledge"].line == "first public word (acknowledge) after 36m (deadline 15m)"
        assert not checks["escalations"].passed and "acknowledge_by" in checks["escalations"].line
        assert played.card.score < 90
    finally:
        played.scratch.close()


def test_a_24_hour_scenario_runs_on_the_simulated_clock() -> None:
    long = SCENARIOS["data_exposure"]
    assert long.duration.total_seconds() == 24 * 3600
    played = play(PLAN, long, repeat=3)
    try:
        assert played.scores == [played.scores[0]] * 3  # the same plan plays the same way every time
        assert played.last.ended_at - played.last.started_at == long.duration
    finally:
        played.scratch.close()


def test_reports_in_markdown_with_an_svg_chart_and_in_html(runner, tmp_path: Path) -> None:
    md, page = tmp_path / "drill.md", tmp_path / "drill.html"
    assert runner.invoke(main, ["drill", "run", "checkout_outage", "--report", str(md)]).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert "**Score: 100 / 100**" in text and "![Timeline of the drill](drill.svg)" in text
    assert "## What to improve" in text and "nothing: every check passed" in text
    svg = ElementTree.parse(tmp_path / "drill.svg").getroot()
    circles = svg.findall(".//{http://www.w3.org/2000/svg}circle")
    # one dot a published post; each public step is its post, so the script publishes: acknowledge (+6m),
    # holding_reply (+25m), cause (+48m), five updates (+1h15m every 25m to +2h55m), the update that takes
    # 'mitigate' (+3h12m) and resolve (+3h38m): 1 + 1 + 1 + 5 + 1 + 1 = 10
    assert len(circles) == 10
    assert runner.invoke(main, ["drill", "run", "complaint_storm", "--report", str(page)]).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<h2>What to improve</h2>" in html and "around the review" in html and "<svg" in html
    bad = runner.invoke(main, ["drill", "run", "checkout_outage", "--report", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 1 and "should end in .md or .html" in bad.output


def test_the_history_keeps_scores_and_the_console_shows_the_trend(runner, app, client) -> None:
    from tests.web import login

    for _ in range(2):
        runner.invoke(main, ["drill", "run", "complaint_storm"])
    runner.invoke(main, ["drill", "run", "checkout_outage", "--repeat", "2"])
    login(client, "vera")
    page = client.get("/console/drills").get_data(as_text=True)
    # complaint_storm: 9 checks, acknowledge, promises, cadence, checklists, escalations and the +0m reply pass (6),
    # tone 1 - 1 / (2 × 6 posts) = 0.917, approval and the executive inject fail: 6.917 / 9 = 76.9, so 77
    assert "score trend: 77, 77" in page and "complaints" in page and "around the review" in page
    assert "<td>2</td><td>100</td>" in page  # the batch of two, recorded once with its mean


def _broken(tmp_path: Path, text: str) -> Path:
    plan = tmp_path / "plan"
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", plan / "plan.yaml")
    (plan / "runbooks" / "drills" / "broken.yaml").write_text(text, encoding="utf-8")
    return plan


@pytest.mark.parametrize(("text", "where", "message"), [
    ("id: b\ntitle: B\nrunbook: outage\nseverity: sev1\ninjects:\n  - at: 5m\n    kind: signal\n    text: x\n"
     "script:\n  - {at: 6m, trigger: acknowlege}\n", "broken.yaml:10:", "unknown trigger 'acknowlege'"),
    ("id: b\ntitle: B\nrunbook: outtage\nseverity: sev1\ninjects:\n  - {at: 5m, kind: signal, text: x}\n",
     "broken.yaml:3:", "unknown runbook 'outtage'"),
    ("id: b\ntitle: B\nrunbook: outage\nseverity: sev1\ninjects:\n  - {at: 5m, kind: tweet, text: x}\n",
     "broken.yaml:6:", "kind"),
    ("id: b\ntitle: B\nrunbook: outage\nseverity: sev1\nduration: 1h\ninjects:\n  - {at: 2h, kind: signal, text: x}\n",
     "broken.yaml:7:", "after the end of the drill"),
])
def test_a_broken_scenario_names_file_and_line(runner, tmp_path: Path, text: str, where: str, message: str) -> None:
    plan = _broken(tmp_path, text)
    result = runner.invoke(main, ["validate", "--plan", str(plan)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = next(line for line in result.output.splitlines() if "broken.yaml" in line)
    assert where in line and message in line, line


def test_nothing_of_a_drill_reaches_public_output(app, client, services) -> None:
    view = services.declare("outage", "sev1", "Warehouse flooded", "ana", ["checkout"], is_drill=True)
    [ack] = services.posts(view.id)
    assert ack.bodies["en"].startswith("**[DRILL] ") and ack.short_bodies["es"].startswith("[DRILL] ")
    own = services.draft_post(view.id, "update", "ana", text="We are sorry. Next update by 10:30. https://x.example")
    assert own.bodies["en"].startswith("[DRILL] ")
    edited = services.edit_post(own.id, "Edited without the label. Sorry. Next update by 11:00.", "ana")
    assert edited.bodies["en"].startswith("[DRILL] ")
    publish_reviewed(services, ack.id, "ana")
    outputs = [client.get("/").get_data(as_text=True), client.get("/?lang=es").get_data(as_text=True)]
    assert client.get(f"/incidents/{view.id}").status_code == 404
    from crisisplan.services.accounts import Accounts

    token = Accounts(services.db).add_token("t", "viewer")[1]
    components = client.get("/api/v1/components", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {c["status"] for c in components} == {"operational"}
    assert services.public_incidents() == []
    for output in outputs:
        assert "Warehouse flooded" not in output and "DRILL" not in output
    assert "All systems operational" in outputs[0] and "Todos los sistemas funcionan" in outputs[1]


def test_a_live_drill_at_ten_times_speed(services, clock) -> None:
    from datetime import timedelta

    start = clock.now()
    view = services.start_drill("checkout_outage", "rudi", speed=10)
    assert view.is_drill
    # deadlines on the wall clock: 15 drill minutes to acknowledge are 90 real seconds
    assert view.deadline("acknowledge_by") == start + timedelta(seconds=90)
    kinds = [e.kind for e in services.timeline(view.id)]
    assert kinds.count("drill_inject") == 1  # the signal at 0m is there from the start
    clock.advance(timedelta(seconds=30))  # drill time +5m
    [ack] = services.posts(view.id)
    publish_reviewed(services, ack.id, "carmen")
    published = [e for e in services.timeline(view.id) if e.kind == "post_published"][0]
    assert published.at == start + timedelta(minutes=5)  # the trail is in drill time
    clock.advance(timedelta(seconds=90))  # drill time +20m: the complaint arrives
    services.tick()
    injects = [json.loads(e.payload) for e in services.timeline(view.id) if e.kind == "drill_inject"]
    assert [i["inject"] for i in injects] == ["signal", "complaint"] and injects[1]["reach"] == 12000
    _, card = services.finish_drill(view.id, "rudi")
    checks = {c.name: c for c in card.checks}
    assert checks["acknowledge"].line == "first public word (acknowledge) after 5m (deadline 15m)"
    assert not checks["inject complaint +20m"].passed  # nobody answered the complaint in time
    assert services.drill_history()[-1].scenario_id == "checkout_outage"


def test_a_live_drill_from_the_console(app, client, services, clock) -> None:
    from datetime import timedelta

    from tests.web import form, login

    login(client, "rudi")
    started = form(client, "/console/drills/start", {"scenario": "complaint_storm", "speed": "1"})
    incident_id = int(started.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    assert "complaint_storm at 1× speed" in page and "from @parcelwatch (250000 followers)" in page
    assert client.get(f"/console/incidents/{incident_id}/sandbox").status_code == 404  # nothing published yet
    reply = next(p for p in services.posts(incident_id) if p.kind == "holding_reply")
    publish_reviewed(services, reply.id, "carmen")
    # the holding reply goes to the complainant alone (a private post): still nothing public to show
    assert client.get(f"/console/incidents/{incident_id}/sandbox").status_code == 404
    satisfy(services, incident_id, "judge_legitimate", "carmen")
    take(services, incident_id, "judge_legitimate", "carmen")
    publish_reviewed(services, services.draft_post(incident_id, "update", "carmen").id, "carmen")  # in public
    sandbox = client.get(f"/console/incidents/{incident_id}/sandbox").get_data(as_text=True)
    assert "DRILL SANDBOX" in sandbox and "[DRILL]" in sandbox
    assert "delivery complaints" not in client.get("/").get_data(as_text=True)
    clock.advance(timedelta(hours=1))
    services.tick()
    page = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    assert "executive post" in page and "I will just answer them myself" in page
    polled = client.get(f"/console/incidents/{incident_id}/injects.json").get_json()
    assert [i["inject"] for i in polled] == ["executive_post", "complaint"]
    done = form(client, f"/console/incidents/{incident_id}/finish-drill", follow=True).get_data(as_text=True)
    assert "Score: " in done and "complaints" in done
    bad = form(client, "/console/drills/start", {"scenario": "nope", "speed": "1"}, follow=True)
    assert "no drill scenario &#39;nope&#39;" in bad.get_data(as_text=True)


def test_live_drill_from_the_command_line(runner) -> None:
    started = runner.invoke(main, ["drill", "start", "data_exposure", "--speed", "60", "--json", "--as", "rudi"])
    assert started.exit_code == 0, started.output
    incident = json.loads(started.output)
    assert incident["drill"] is True and incident["runbook"] == "security"
    finished = runner.invoke(main, ["drill", "finish", str(incident["id"]), "--json", "--as", "rudi"])
    card = json.loads(finished.output)
    assert finished.exit_code == 0 and 0 <= card["score"] <= 100
    again = runner.invoke(main, ["drill", "finish", "999"])
    assert again.exit_code == 1 and "no incident 999" in again.output
    slow = runner.invoke(main, ["drill", "start", "data_exposure", "--speed", "0.5"])
    assert slow.exit_code == 2 and "0.5 is not in the range" in slow.output


def test_several_items_and_roles_in_one_change(services) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    one_change = services.set_fields(view.id, {"impact": "Slow"}, "ana").version - view.version
    after = services.check_items(view.id, [1, 2, 3], "ana")
    assert after.version == view.version + 2 * one_change and all(done for _, done in after.checklist)
    after = services.assign_roles(view.id, {"communications_lead": "Carmen", "approver": "Lena"}, "ana")
    assert after.roles["approver"] == "Lena" and after.version == view.version + 3 * one_change
    kinds = [e.kind for e in services.timeline(view.id)]
    assert kinds.count("checklist_item") == 3 and kinds.count("role_assigned") == 3  # the declarer's, and two
    assert services.verify_audit()[2] == []
