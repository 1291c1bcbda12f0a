"""Maintenance windows: `crisisplan maintenance schedule` and `crisisplan maintenance list`."""

from __future__ import annotations

import click

from crisisplan.cli.shared import (
    actor_name,
    actor_option,
    emit,
    friendly,
    main,
    open_services,
    pairs,
    pass_json,
    plan_option,
    table,
    when,
)


@main.group()
def maintenance() -> None:
    """Scheduled maintenance: windows announced ahead that run by themselves at their times."""


@maintenance.command()
@click.argument("runbook")
@click.option("--start", required=True, metavar="WHEN",
              help="When the work begins: an ISO time (2026-03-01T22:00, the organisation's zone without an offset), "
                   "a time of day (22:00) or a duration from now (2h).")
@click.option("--end", required=True, metavar="WHEN", help="When it should be over, written the same ways.")
@click.option("--title", required=True, help="What customers see, in a few words.")
@click.option("--component", "components", multiple=True, help="A component the work touches (repeat).")
@click.option("--title-in", "titles", multiple=True, metavar="LOCALE=TEXT",
              help="The title in another language of the plan, e.g. es='Actualización de la base de datos' (repeat).")
@plan_option
@actor_option
@pass_json
@friendly
def schedule(runbook: str, start: str, end: str, title: str, components: tuple[str, ...], titles: tuple[str, ...],
             plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Schedule a maintenance window on RUNBOOK: announced now on the status page and to subscribers, reminded
    before it starts, in progress, verifying and completed by itself at its times."""
    from crisisplan.moment import parse_moment

    services = open_services(plan_dir)
    zone, now = services.plan.settings.organisation.time_zone, services.clock.now()
    view = services.schedule_maintenance(runbook, title, parse_moment(start, zone, now, "start"),
                                         parse_moment(end, zone, now, "end"), actor_name(actor), list(components),
                                         pairs(titles, "--title-in"))
    starts, ends = services.maintenance_window(view.id)
    if as_json:
        emit({"id": view.id, "title": view.title, "state": view.state, "components": view.components,
              "starts_at": starts.isoformat(), "ends_at": ends.isoformat()})
        return
    click.echo(f"maintenance {view.id} scheduled: {view.title}, {when(starts)} to {when(ends)}; "
               f"announced on the status page and to subscribers")


@maintenance.command("list")
@plan_option
@pass_json
@friendly
def list_windows(plan_dir: str | None, as_json: bool) -> None:
    """The maintenance windows the public knows of: ahead, going on and recent."""
    services = open_services(plan_dir)
    found = services.public_maintenances()
    if as_json:
        emit([{"id": m.id, "title": m.title, "status": m.status, "components": m.components,
               "starts_at": m.scheduled_for.isoformat() if m.scheduled_for else None,
               "ends_at": m.scheduled_until.isoformat() if m.scheduled_until else None} for m in found])
        return
    table(["ID", "STATUS", "FROM", "UNTIL", "TITLE"],
          [[str(m.id), m.status, when(m.scheduled_for), when(m.scheduled_until), m.title] for m in found])
