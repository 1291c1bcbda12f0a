"""Incidents: `declare`, `translate` (the public words in another language), `status`, `show`, `trigger`, `set`
fields, `assign` roles, `check` checklist items, change `severity`, read the `timeline`, and `tick` (fire due timers).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

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
    read_time,
    table,
    when,
)
from crisisplan.errors import CrisisplanError


@main.command()
@click.argument("runbook")
@click.option("--severity", required=True, help="A severity of the runbook, e.g. sev1.")
@click.option("--title", required=True, help="What customers see, in a few words.")
@click.option("--component", "components", multiple=True, help="Affected component (repeat).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Set a field (repeat).")
@click.option("--drill", is_flag=True, help="Mark it as a drill: never public.")
@click.option("--title-in", "titles", multiple=True, metavar="LOCALE=TEXT",
              help="The title in another language of the plan, e.g. es='Pagos lentos' (repeat).")
@click.option("--set-in", "sets_in", multiple=True, metavar="LOCALE:FIELD=VALUE",
              help="A public field in another language, e.g. es:impact='...' (repeat).")
@plan_option
@actor_option
@pass_json
@friendly
def declare(runbook: str, severity: str, title: str, components: tuple[str, ...],
            sets: tuple[str, ...], drill: bool, titles: tuple[str, ...], sets_in: tuple[str, ...],
            plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Declare an incident that runs through RUNBOOK; its public words in each language of the plan (--title,
    --set for the default one; --title-in, --set-in for the others)."""
    services = open_services(plan_dir)
    view = services.declare(runbook, severity, title, actor_name(actor), list(components),
                            pairs(sets, "--set"), is_drill=drill, translations=_translations(titles, sets_in))
    _show(view, as_json)


def _translations(titles: tuple[str, ...], sets_in: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """--title-in es=TEXT and --set-in es:impact=TEXT as {locale: {"title": ..., "impact": ...}}."""
    result: dict[str, dict[str, str]] = {}
    for locale, text in pairs(titles, "--title-in").items():
        result.setdefault(locale, {})["title"] = text
    for key, value in pairs(sets_in, "--set-in").items():
        if ":" not in key:
            raise CrisisplanError(f"--set-in takes LOCALE:FIELD=VALUE, got {key!r}")
        locale, name = key.split(":", 1)
        result.setdefault(locale.strip(), {})[name.strip()] = value
    return result


@main.command()
@click.argument("incident_id", type=int)
@click.option("--locale", required=True, help="A language of the plan other than the default, e.g. es.")
@click.option("--title", default=None, help="The title in that language.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A public field in that language.")
@plan_option
@actor_option
@pass_json
@friendly
def translate(incident_id: int, locale: str, title: str | None, sets: tuple[str, ...], plan_dir: str | None,
              actor: str | None, as_json: bool) -> None:
    """Give an incident's title or public fields in another language of the plan."""
    values = {**({"title": title} if title is not None else {}), **pairs(sets, "--set")}
    if not values:
        raise CrisisplanError("give --title, --set FIELD=VALUE, or both")
    _show(open_services(plan_dir).translate(incident_id, locale, values, actor_name(actor)), as_json)


def _show(view: Any, as_json: bool) -> None:
    if as_json:
        emit(view.as_dict())
        return
    drill = " [DRILL]" if view.is_drill else ""
    click.echo(f"#{view.id} {view.title}{drill}")
    click.echo(f"  runbook {view.runbook_id}, severity {view.severity}, "
               f"state {view.state} ({view.state_label}), version {view.version}")
    if view.components:
        click.echo(f"  components: {', '.join(view.components)}")
    for name, value in view.fields.items():
        click.echo(f"  {name}: {value}")
    for locale, words in view.translations.items():
        for name, value in words.items():
            click.echo(f"  {name} [{locale}]: {value}")
    if view.roles:
        click.echo("  roles: " + ", ".join(f"{r}={p}" for r, p in view.roles.items()))
    for deadline in view.deadlines:
        click.echo(f"  due: {deadline.label}: {when(deadline.due_at)}")
    for text, done in view.checklist:
        click.echo(f"  [{'x' if done else ' '}] {text}")
    for option in view.options:
        if option.allowed:
            click.echo(f"  can: {option.trigger} → {option.dest}")
        else:
            click.echo(f"  blocked: {option.trigger} ({'; '.join(option.blocked_by)})")


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Include closed incidents.")
@plan_option
@pass_json
@friendly
def status(show_all: bool, plan_dir: str | None, as_json: bool) -> None:
    """Active incidents: state, severity and deadlines (acknowledge-by, next update due)."""
    from crisisplan.services import ACK_TIMER, UPDATE_TIMER

    views = open_services(plan_dir).status(include_closed=show_all)
    if as_json:
        emit([v.as_dict() for v in views])
        return
    if not views:
        click.echo("no active incidents")
        return
    now = datetime.now(UTC)
    table(["ID", "RUNBOOK", "SEV", "STATE", "ACK BY", "NEXT UPDATE", "TITLE"],
           [[str(v.id), v.runbook_id, v.severity, v.state,
             when(v.deadline(ACK_TIMER), now), when(v.deadline(UPDATE_TIMER), now),
             v.title + (" [DRILL]" if v.is_drill else "")] for v in views])


@main.command()
@click.argument("incident_id", type=int)
@plan_option
@pass_json
@friendly
def show(incident_id: int, plan_dir: str | None, as_json: bool) -> None:
    """One incident: fields, roles, deadlines, checklist, promises kept, what can happen next."""
    services = open_services(plan_dir)
    view, promises = services.get(incident_id), services.promises(incident_id)
    if as_json:
        emit({**view.as_dict(), "promises": promises})
        return
    _show(view, False)
    rate = f"{promises['rate']:.0%}" if promises["rate"] is not None else "-"
    now_state = f"; the current one is {view.promise.replace('_', ' ')}" if view.promise else ""
    click.echo(f"  update promises: {promises['kept']} kept, {promises['broken']} broken ({rate}){now_state}")
    if view.acknowledgement:
        click.echo(f"  public acknowledgement: {view.acknowledgement.replace('_', ' ')}")


@main.command()
@click.argument("incident_id", type=int)
@click.argument("name")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="Set a field first, in the same change (repeat).")
@click.option("--expect-version", type=int, default=None,
              help="Refuse if the incident changed since you saw this version.")
@plan_option
@actor_option
@pass_json
@friendly
def trigger(incident_id: int, name: str, sets: tuple[str, ...], expect_version: int | None,
            plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Fire trigger NAME on an incident (e.g. acknowledge, identify_cause, resolve)."""
    view = open_services(plan_dir).trigger(incident_id, name, actor_name(actor), pairs(sets, "--set"),
                                       expect_version)
    _show(view, as_json)


@main.command(name="set")
@click.argument("incident_id", type=int)
@click.argument("values", nargs=-1, required=True, metavar="FIELD=VALUE...")
@plan_option
@actor_option
@pass_json
@friendly
def set_fields(incident_id: int, values: tuple[str, ...], plan_dir: str | None,
               actor: str | None, as_json: bool) -> None:
    """Set fields of an incident (an empty value clears one)."""
    _show(open_services(plan_dir).set_fields(incident_id, pairs(values, "set"), actor_name(actor)), as_json)


@main.command()
@click.argument("incident_id", type=int)
@click.argument("role")
@click.argument("person")
@plan_option
@actor_option
@pass_json
@friendly
def assign(incident_id: int, role: str, person: str, plan_dir: str | None, actor: str | None,
           as_json: bool) -> None:
    """Assign PERSON to ROLE on an incident ("" unassigns)."""
    _show(open_services(plan_dir).assign_role(incident_id, role, person, actor_name(actor)), as_json)


@main.command()
@click.argument("incident_id", type=int)
@click.argument("item", type=int)
@click.option("--undo", is_flag=True, help="Mark the item as not done.")
@plan_option
@actor_option
@pass_json
@friendly
def check(incident_id: int, item: int, undo: bool, plan_dir: str | None, actor: str | None,
          as_json: bool) -> None:
    """Tick checklist ITEM (1-based) of the incident's current state."""
    _show(open_services(plan_dir).check_item(incident_id, item, actor_name(actor), not undo), as_json)


@main.command()
@click.argument("incident_id", type=int)
@click.argument("severity_name", metavar="SEVERITY")
@plan_option
@actor_option
@pass_json
@friendly
def severity(incident_id: int, severity_name: str, plan_dir: str | None, actor: str | None,
             as_json: bool) -> None:
    """Change an incident's severity (deadlines follow)."""
    _show(open_services(plan_dir).set_severity(incident_id, severity_name, actor_name(actor)), as_json)


@main.command()
@click.argument("incident_id", type=int)
@click.option("--kind", "kinds", multiple=True, help="Only events of this kind (repeat).")
@plan_option
@pass_json
@friendly
def timeline(incident_id: int, kinds: tuple[str, ...], plan_dir: str | None, as_json: bool) -> None:
    """Every event of an incident: when, who, what."""
    events = [e for e in open_services(plan_dir).timeline(incident_id) if not kinds or e.kind in kinds]
    if as_json:
        emit([{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "kind": e.kind,
                "payload": json.loads(e.payload), "hash": e.hash} for e in events])
        return
    for e in events:
        detail = ", ".join(f"{k}={v}" for k, v in json.loads(e.payload).items() if v not in (None, "", [], {}))
        click.echo(f"{e.seq:>4}  {e.at.astimezone().strftime('%Y-%m-%d %H:%M:%S')}  "
                   f"{e.actor:<12} {e.kind:<15} {detail}")


@main.command()
@click.option("--at", "at", default=None, metavar="WHEN",
              help="Fire what is due by this time instead of now, for catching up (an ISO time or 14:30; "
                   "without a zone, the organisation's).")
@plan_option
@pass_json
@friendly
def tick(at: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Fire every due timer now: drafts, reminders, escalations."""
    services = open_services(plan_dir)
    fired = services.tick(read_time(services, at, "--at") if at else None)
    if as_json:
        emit([{"incident": i, "events": [{"kind": e.kind, **e.payload} for e in events]}
               for i, events in fired])
        return
    if not fired:
        click.echo("nothing due")
    for incident_id, events in fired:
        for e in events:
            if e.kind in ("timer_fired", "reminder", "escalated", "post_drafted"):
                who = e.payload.get("person") or e.payload.get("role") or ""
                what = e.payload.get("label") or e.payload.get("message") or e.payload.get("kind")
                click.echo(f"#{incident_id} {e.kind:<13} {what} {('→ ' + who) if who else ''}".rstrip())
