"""After the incident: `review draft|write|state` (the post-incident review) and `actions add|list|set|export`
(follow-up actions with an owner and a due date)."""

from __future__ import annotations

import sys
from pathlib import Path

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


@main.group()
def review() -> None:
    """The post-incident review: drafted from the audit chain, written by the team, made final."""


@review.command("draft")
@click.argument("incident_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf"]), default="md", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (a PDF always goes to a file: default review-N.pdf).")
@plan_option
@pass_json
@friendly
def draft(incident_id: int, fmt: str, output: str | None, plan_dir: str | None, as_json: bool) -> None:
    """The review of INCIDENT_ID as it stands: figures from the audit chain and the team's sections."""
    from crisisplan.comms import review_document as document

    found = open_services(plan_dir).review(incident_id)
    if as_json:
        emit(document.as_dict(found))
        return
    if fmt == "pdf":
        path = Path(output or f"review-{incident_id}.pdf")
        path.write_bytes(document.to_pdf(found))
        click.echo(f"wrote {path}")
        return
    text = document.to_markdown(found) if fmt == "md" else document.to_html_page(found)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@review.command("write")
@click.argument("incident_id", type=int)
@click.argument("section", type=click.Choice(["went_well", "went_badly", "why"]))
@click.option("--file", "path", type=click.File("r", encoding="utf-8"), default="-",
              help="Markdown to write (default: standard input).")
@plan_option
@actor_option
@pass_json
@friendly
def write(incident_id: int, section: str, path: click.utils.LazyFile, plan_dir: str | None,
          actor: str | None, as_json: bool) -> None:
    """Write one of the team's sections of the review (what went well, what did not, why)."""
    found = open_services(plan_dir).write_review(incident_id, {section: path.read()}, actor_name(actor))
    if as_json:
        emit({"incident": incident_id, "state": found.review_state, "sections": found.sections})
    else:
        click.echo(f"review of incident {incident_id}: {section} saved")


@review.command("state")
@click.argument("incident_id", type=int)
@click.argument("state", type=click.Choice(["draft", "in_review", "final"]))
@plan_option
@actor_option
@pass_json
@friendly
def state(incident_id: int, state: str, plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Move the review: draft → in_review → final (or back to draft)."""
    found = open_services(plan_dir).move_review(incident_id, state, actor_name(actor))
    if as_json:
        emit({"incident": incident_id, "state": found.review_state})
    else:
        click.echo(f"review of incident {incident_id} is {found.review_state_label.lower()}")


@main.group()
def actions() -> None:
    """Follow-up actions: an owner and a due date each, reminded through the outbox."""


@actions.command("add")
@click.argument("incident_id", type=int)
@click.option("--title", required=True)
@click.option("--owner", required=True, help="A person in plan.yaml or a user.")
@click.option("--due", "due_on", required=True, metavar="YYYY-MM-DD")
@plan_option
@actor_option
@pass_json
@friendly
def add(incident_id: int, title: str, owner: str, due_on: str, plan_dir: str | None, actor: str | None,
        as_json: bool) -> None:
    """Add a follow-up action to INCIDENT_ID (its owner and the JSON webhooks hear of it)."""
    action = open_services(plan_dir).add_action(incident_id, title, owner, due_on, actor_name(actor))
    if as_json:
        emit(_action(action))
    else:
        click.echo(f"action {action.id} added to incident {incident_id}: {action.title} "
                   f"({action.owner}, due {action.due_on.isoformat()})")


@actions.command("list")
@click.option("--incident", "incident_id", type=int, default=None, help="One incident's actions only.")
@click.option("--state", type=click.Choice(["open", "done", "dropped"]), default=None)
@plan_option
@pass_json
@friendly
def list_actions(incident_id: int | None, state: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Follow-up actions across incidents (or of one), soonest due first."""
    services = open_services(plan_dir)
    found = services.actions(incident_id, state)
    today = services.clock.now().date()
    if as_json:
        emit([{**_action(a), "overdue": a.overdue(today)} for a in found])
        return
    if not found:
        click.echo("no follow-up actions")
        return
    table(["#", "incident", "due", "state", "owner", "title"],
          [[str(a.id), str(a.incident_id), a.due_on.isoformat(), a.state + (" OVERDUE" if a.overdue(today) else ""),
            a.owner, a.title] for a in found])


@actions.command("set")
@click.argument("action_id", type=int)
@click.option("--state", type=click.Choice(["open", "done", "dropped"]), default=None)
@click.option("--title", default=None)
@click.option("--owner", default=None)
@click.option("--due", "due_on", default=None, metavar="YYYY-MM-DD")
@plan_option
@actor_option
@pass_json
@friendly
def set_action(action_id: int, state: str | None, title: str | None, owner: str | None, due_on: str | None,
               plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Change an action: done or dropped, a new title, owner or due date."""
    action = open_services(plan_dir).change_action(action_id, actor_name(actor), state, title, owner, due_on)
    if as_json:
        emit(_action(action))
        return
    click.echo(f"action {action.id}: {action.state}, {action.owner}, due {action.due_on.isoformat()}")


@actions.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--incident", "incident_id", type=int, default=None)
@plan_option
@pass_json
@friendly
def export(fmt: str, incident_id: int | None, plan_dir: str | None, as_json: bool) -> None:
    """Every follow-up action as CSV or JSON (--json is --format json) on standard output."""
    sys.stdout.write(open_services(plan_dir).export_actions("json" if as_json else fmt, incident_id))


def _action(action) -> dict[str, object]:  # noqa: ANN001
    return {"id": action.id, "incident_id": action.incident_id, "title": action.title, "owner": action.owner,
            "due_on": action.due_on.isoformat(), "state": action.state, "created_by": action.created_by,
            "created_at": action.created_at.isoformat()}


@main.command("metrics")
@click.option("--csv", "as_csv", is_flag=True, help="One row an incident, as the console's CSV export.")
@plan_option
@pass_json
@friendly
def metrics(as_csv: bool, plan_dir: str | None, as_json: bool) -> None:
    """Response metrics across real incidents: time to acknowledge, to the first public post, approval wait,
    time to resolve (minutes) and promises kept, per incident and by runbook."""
    from crisisplan.comms import metrics as figures

    services = open_services(plan_dir)
    if as_csv:
        sys.stdout.write(services.metrics_csv())
        return
    found = services.response_metrics()
    keys = [key for key, _ in figures.DURATIONS]
    if as_json:
        emit({"incidents": [{"id": m.id, "runbook": m.runbook, "severity": m.severity, "month": m.month,
                             **{f"{k}_minutes": figures.minutes(getattr(m, k)) for k in keys},
                             "promises_kept": m.kept, "promises_broken": m.broken} for m in found],
              "by_runbook": [{"runbook": g.name, "incidents": g.incidents,
                              **{f"{k}_minutes": figures.minutes(g.means[k]) for k in keys},
                              "promises_kept": g.kept, "promises_broken": g.broken}
                             for g in figures.grouped(found, lambda m: m.runbook)]})
        return
    if not found:
        click.echo("no incidents yet")
        return

    def cell(value: object) -> str:
        return "-" if value is None else str(value)

    table(["runbook", "incidents", *(f"{k} (min)" for k in keys), "promises kept"],
          [[g.name, str(g.incidents), *(cell(figures.minutes(g.means[k])) for k in keys),
            f"{g.kept}/{g.kept + g.broken}"] for g in figures.grouped(found, lambda m: m.runbook)])
