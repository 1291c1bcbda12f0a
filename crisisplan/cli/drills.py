"""Drills: rehearse a runbook on a simulated clock (`drill list`, `run`, `start`, `finish`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from crisisplan.cli.shared import (
    actor_name,
    actor_option,
    emit,
    friendly,
    main,
    open_services,
    pass_json,
    plan_option,
    table,
)
from crisisplan.duration import format_duration
from crisisplan.errors import CrisisplanError, PlanError


@main.group()
def drill() -> None:
    """Rehearse a runbook on a simulated clock: scenarios in runbooks/drills/."""


@drill.command(name="list")
@plan_option
@pass_json
@friendly
def drill_list(plan_dir: str | None, as_json: bool) -> None:
    """The drill scenarios of the plan."""
    from crisisplan.drills.scenario import check_scenarios
    from crisisplan.plan.load import load_plan

    scenarios, problems = check_scenarios(load_plan(plan_dir))
    if problems:
        raise PlanError(problems)
    if as_json:
        emit([{"id": s.id, "title": s.title, "runbook": s.runbook, "severity": s.severity,
                "duration": format_duration(s.duration), "injects": len(s.injects)} for s in scenarios.values()])
        return
    table(["ID", "RUNBOOK", "SEV", "LENGTH", "INJECTS", "TITLE"],
           [[s.id, s.runbook, s.severity, format_duration(s.duration), str(len(s.injects)), s.title]
            for s in scenarios.values()])


@drill.command(name="run")
@click.argument("scenario")
@click.option("--responder", type=click.Choice(["scripted"]), default="scripted", show_default=True,
              help="Who answers the injects: the scenario's script (live play is from the console).")
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(1, 100_000),
              help="Run it this many times (a batch); the score is the mean.")
@click.option("--report", "report", default=None, type=click.Path(dir_okay=False),
              help="Write the report: .md (with a .svg beside it) or .html.")
@click.option("--no-record", is_flag=True, help="Do not keep the score in the drill history.")
@plan_option
@pass_json
@friendly
def drill_run(scenario: str, responder: str, repeat: int, report: str | None, no_record: bool,
              plan_dir: str | None, as_json: bool) -> None:
    """Run SCENARIO (an id or a file name) automatically and score it; exit 1 below its expected score."""
    from crisisplan.drills import report as reports
    from crisisplan.drills.scenario import load_scenario
    from crisisplan.services.drill_runs import play

    services = open_services(plan_dir)
    chosen = load_scenario(services.plan, scenario)
    if report and Path(report).suffix not in (".md", ".html"):
        raise CrisisplanError(f"--report: '{report}' should end in .md or .html")
    if repeat > 1 and not as_json:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"drill {chosen.id}", total=repeat)
            played = play(services.plan, chosen, repeat, lambda n: progress.advance(task, n))
    else:
        played = play(services.plan, chosen, repeat)
    try:
        card = played.card
        if report:
            path = Path(report)
            if path.suffix == ".html":
                path.write_text(reports.html_page(played.last, card), encoding="utf-8")
            else:
                svg = path.with_suffix(".svg")
                svg.write_text(reports.timeline_svg(played.last), encoding="utf-8")
                path.write_text(reports.markdown(played.last, card, svg.name), encoding="utf-8")
        if not no_record:
            services.record_drill(chosen.id, chosen.runbook, chosen.title, played.mean, card.as_dict(), repeat)
    finally:
        played.scratch.close()
    expected = chosen.expect_score
    verdict = ""
    if expected is not None:
        if not expected.min <= played.mean <= expected.max:
            verdict = f"score {played.mean} is outside the expected {expected.min}–{expected.max}"
        elif sorted(card.missed) != sorted(expected.missed):
            verdict = f"missed {card.missed}, the scenario expects {expected.missed}"
    if as_json:
        emit({"scenario": chosen.id, "score": played.mean, "runs": repeat, "scores": played.scores[:100],
               **card.as_dict(), "missed": card.missed, "as_expected": not verdict})
    else:
        click.echo(f"drill {chosen.id}: score {played.mean}/100" + (f" (mean of {repeat} runs)" if repeat > 1 else ""))
        _print_card(card)
        if report:
            click.echo(f"report: {report}")
        if verdict:
            click.echo(f"not as expected: {verdict}", err=True)
    sys.exit(1 if verdict else 0)


@drill.command(name="start")
@click.argument("scenario")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(1, 1000),
              help="Play this many times faster than real time (deadlines and injects alike).")
@plan_option
@actor_option
@pass_json
@friendly
def drill_start(scenario: str, speed: float, plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Start a live drill: the team plays it in the console while injects arrive."""
    services = open_services(plan_dir)
    view = services.start_drill(scenario, actor_name(actor), speed)
    if as_json:
        emit(view.as_dict())
        return
    click.echo(f"live drill #{view.id} started at {speed:g}× speed: open /console/incidents/{view.id}")
    click.echo(f"score it when done: crisisplan drill finish {view.id}")


@drill.command(name="finish")
@click.argument("incident_id", type=int)
@plan_option
@actor_option
@pass_json
@friendly
def drill_finish(incident_id: int, plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Score a live drill as it stands and keep the score in the drill history."""
    services = open_services(plan_dir)
    _, card = services.finish_drill(incident_id, actor_name(actor))
    if as_json:
        emit(card.as_dict())
        return
    click.echo(f"drill #{incident_id}: score {card.score}/100")
    _print_card(card)


def _print_card(card: Any) -> None:
    for check in card.checks:
        click.echo(f"  {'ok  ' if check.passed else 'MISS'} {check.name}: {check.line}")
