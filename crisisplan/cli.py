"""The command line: click commands over the same services the web app uses.

Human-readable output by default, `--json` for scripts; a user's mistake is
one clear message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crisisplan import SHIPPED_PLAN
from crisisplan.duration import format_duration, parse_duration
from crisisplan.errors import CrisisplanError, PlanError

pass_json = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
plan_option = click.option(
    "--plan", "plan_dir", type=click.Path(file_okay=False), envvar="CRISISPLAN_PLAN",
    help="Plan directory (default: the current directory; env CRISISPLAN_PLAN).")
actor_option = click.option(
    "--as", "actor", default=None, metavar="NAME",
    help="Who is acting, for the audit trail (default: your OS user name).")
next_update_option = click.option(
    "--next-update", "next_update", default=None, metavar="WHEN",
    help="Promise the next update at this time (45m, 2h or an ISO time) instead of the severity's cadence.")


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def friendly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show the project's errors as one clear message, never a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PlanError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            _fail(f"the plan has {len(error.problems)} problem(s); fix them and run again")
        except CrisisplanError as error:
            _fail(str(error), error.exit_code)

    return run


def _services(plan_dir: str | None):  # noqa: ANN202 - imported lazily for a fast --help
    from crisisplan.services import Services

    return Services.open(plan_dir)


def _actor(actor: str | None) -> str:
    from crisisplan.services import default_actor

    return actor or default_actor()


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    result = {}
    for item in values:
        if "=" not in item:
            raise CrisisplanError(f"{option} takes FIELD=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        result[key.strip()] = value
    return result


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _when(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "-"
    now = now or datetime.now(UTC)
    delta = moment - now
    relative = f"in {format_duration(delta)}" if delta.total_seconds() >= 0 else \
        f"{format_duration(-delta)} overdue"
    return f"{moment.astimezone().strftime('%H:%M')} ({relative})"


def _table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    click.echo(line.rstrip())
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crisisplan")
def main() -> None:
    """crisisplan: run your crisis communication plan as software.

    The plan is runbooks/ (YAML) and templates/ (Jinja2 + Markdown) in a plan
    directory; incidents live in CRISISPLAN_DATABASE_URL (default: an SQLite
    file in <plan>/instance/).
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@friendly
def init(directory: str) -> None:
    """Write a new plan in DIRECTORY: a copy of the shipped runbooks and templates."""
    target = Path(directory)
    if (target / "runbooks").exists() or (target / "plan.yaml").exists():
        raise CrisisplanError(f"{target} already holds a plan; choose an empty directory")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", target / "plan.yaml")
    for folder in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / folder, target / folder)
    (target / ".gitignore").write_text("instance/\n", encoding="utf-8")
    click.echo(f"wrote a new plan in {target}: plan.yaml, runbooks/, templates/")
    click.echo(f"next: cd {target} && crisisplan validate")


@main.command()
@plan_option
@pass_json
@friendly
def validate(plan_dir: str | None, as_json: bool) -> None:
    """Check plan.yaml, runbooks/, templates/ and the drill scenarios; exit 1 on any error."""
    from crisisplan.plan.load import check_plan, resolve_plan_dir

    root = resolve_plan_dir(plan_dir)
    plan, problems = check_plan(root)
    scenarios: dict[str, Any] = {}
    if plan and not problems:
        from crisisplan.comms.samples import template_problems
        from crisisplan.drills.scenario import check_scenarios

        scenarios, drill_problems = check_scenarios(plan)
        problems = template_problems(plan) + drill_problems
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        _emit({"ok": not errors, "runbooks": sorted(plan.runbooks) if plan else [],
               "problems": [p.as_dict() for p in problems]})
    else:
        for problem in problems:
            click.echo(str(problem))
        if plan:
            templates = len(plan.templates)
            click.echo(f"{len(plan.runbooks)} runbook(s), {templates} template(s), {len(scenarios)} drill(s), "
                       f"locales {', '.join(plan.settings.locales)}: "
                       + (f"{len(errors)} error(s)" if errors else "ok"))
        else:
            click.echo(f"{len(errors)} error(s)")
    sys.exit(1 if errors else 0)


@main.command()
@plan_option
@pass_json
@friendly
def runbooks(plan_dir: str | None, as_json: bool) -> None:
    """List the runbooks, their severities and states."""
    from crisisplan.plan.load import load_plan

    plan = load_plan(plan_dir)
    if as_json:
        _emit([{"id": rb.id, "title": rb.title, "version": rb.version,
                "severities": [{"name": s.name, "label": s.label,
                                "acknowledge_within": format_duration(s.acknowledge_within),
                                "update_every": format_duration(s.update_every),
                                "approval": s.approval} for s in rb.severities],
                "states": [s.name for s in rb.states],
                "triggers": sorted({t.trigger for t in rb.transitions})}
               for rb in plan.runbooks.values()])
        return
    for rb in plan.runbooks.values():
        click.echo(f"{rb.id}  {rb.title} (v{rb.version})")
        for s in rb.severities:
            click.echo(f"  {s.name:<7} ack within {format_duration(s.acknowledge_within):<5} "
                       f"update every {format_duration(s.update_every):<5} "
                       f"approval {s.approval:<4} {s.label}")
        click.echo("  states: " + " → ".join(s.name + ("■" if s.final else "") for s in rb.states))
        click.echo()


@main.command()
@click.argument("runbook")
@click.option("--severity", required=True, help="A severity of the runbook, e.g. sev1.")
@click.option("--title", required=True, help="What customers see, in a few words.")
@click.option("--component", "components", multiple=True, help="Affected component (repeat).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Set a field (repeat).")
@click.option("--drill", is_flag=True, help="Mark it as a drill: never public.")
@plan_option
@actor_option
@pass_json
@friendly
def declare(runbook: str, severity: str, title: str, components: tuple[str, ...],
            sets: tuple[str, ...], drill: bool, plan_dir: str | None, actor: str | None,
            as_json: bool) -> None:
    """Declare an incident that runs through RUNBOOK."""
    services = _services(plan_dir)
    view = services.declare(runbook, severity, title, _actor(actor), list(components),
                            _pairs(sets, "--set"), is_drill=drill)
    _show(view, as_json)


def _show(view: Any, as_json: bool) -> None:
    if as_json:
        _emit(view.as_dict())
        return
    drill = " [DRILL]" if view.is_drill else ""
    click.echo(f"#{view.id} {view.title}{drill}")
    click.echo(f"  runbook {view.runbook_id}, severity {view.severity}, "
               f"state {view.state} ({view.state_label}), version {view.version}")
    if view.components:
        click.echo(f"  components: {', '.join(view.components)}")
    for name, value in view.fields.items():
        click.echo(f"  {name}: {value}")
    if view.roles:
        click.echo("  roles: " + ", ".join(f"{r}={p}" for r, p in view.roles.items()))
    for deadline in view.deadlines:
        click.echo(f"  due: {deadline.label}: {_when(deadline.due_at)}")
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

    views = _services(plan_dir).status(include_closed=show_all)
    if as_json:
        _emit([v.as_dict() for v in views])
        return
    if not views:
        click.echo("no active incidents")
        return
    now = datetime.now(UTC)
    _table(["ID", "RUNBOOK", "SEV", "STATE", "ACK BY", "NEXT UPDATE", "TITLE"],
           [[str(v.id), v.runbook_id, v.severity, v.state,
             _when(v.deadline(ACK_TIMER), now), _when(v.deadline(UPDATE_TIMER), now),
             v.title + (" [DRILL]" if v.is_drill else "")] for v in views])


@main.command()
@click.argument("incident_id", type=int)
@plan_option
@pass_json
@friendly
def show(incident_id: int, plan_dir: str | None, as_json: bool) -> None:
    """One incident: fields, roles, deadlines, checklist, promises kept, what can happen next."""
    services = _services(plan_dir)
    view, promises = services.get(incident_id), services.promises(incident_id)
    if as_json:
        _emit({**view.as_dict(), "promises": promises})
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
    view = _services(plan_dir).trigger(incident_id, name, _actor(actor), _pairs(sets, "--set"),
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
    _show(_services(plan_dir).set_fields(incident_id, _pairs(values, "set"), _actor(actor)), as_json)


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
    _show(_services(plan_dir).assign_role(incident_id, role, person, _actor(actor)), as_json)


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
    _show(_services(plan_dir).check_item(incident_id, item, _actor(actor), not undo), as_json)


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
    _show(_services(plan_dir).set_severity(incident_id, severity_name, _actor(actor)), as_json)


@main.command()
@click.argument("incident_id", type=int)
@click.option("--kind", "kinds", multiple=True, help="Only events of this kind (repeat).")
@plan_option
@pass_json
@friendly
def timeline(incident_id: int, kinds: tuple[str, ...], plan_dir: str | None, as_json: bool) -> None:
    """Every event of an incident: when, who, what."""
    events = [e for e in _services(plan_dir).timeline(incident_id) if not kinds or e.kind in kinds]
    if as_json:
        _emit([{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "kind": e.kind,
                "payload": json.loads(e.payload), "hash": e.hash} for e in events])
        return
    for e in events:
        detail = ", ".join(f"{k}={v}" for k, v in json.loads(e.payload).items() if v not in (None, "", [], {}))
        click.echo(f"{e.seq:>4}  {e.at.astimezone().strftime('%Y-%m-%d %H:%M:%S')}  "
                   f"{e.actor:<12} {e.kind:<15} {detail}")


@main.command()
@click.argument("incident_id", type=int)
@click.option("--locale", default=None, help="Show the text in this locale (default: the plan's).")
@plan_option
@pass_json
@friendly
def posts(incident_id: int, locale: str | None, plan_dir: str | None, as_json: bool) -> None:
    """The posts drafted for an incident, with their text."""
    services = _services(plan_dir)
    rows = services.posts(incident_id)
    if as_json:
        _emit([{"id": p.id, "kind": p.kind, "status": p.status, "bodies": p.bodies,
                "render_error": p.render_error, "created_at": p.created_at.isoformat()}
               for p in rows])
        return
    shown = locale or services.plan.settings.default_locale
    for p in rows:
        click.echo(f"--- post {p.id}: {p.kind} ({p.status}, {p.reason})")
        if p.render_error:
            click.echo(f"    template error: {p.render_error}")
        click.echo(p.bodies.get(shown, ""))


@main.command()
@click.option("--at", "at", default=None, metavar="ISO-TIME",
              help="Fire what is due by this time instead of now (for catching up).")
@plan_option
@pass_json
@friendly
def tick(at: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Fire every due timer now: drafts, reminders, escalations."""
    moment = _parse_time(at) if at else None
    fired = _services(plan_dir).tick(moment)
    if as_json:
        _emit([{"incident": i, "events": [{"kind": e.kind, **e.payload} for e in events]}
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


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@click.option("--post", "post_id", type=int, default=None, help="Lint a post (by its id) instead of FILE.")
@click.option("--incident", "incident_id", type=int, default=None,
              help="Lint the latest post of --kind of this incident instead of FILE.")
@click.option("--locale", default=None, help="Language of the text (default: the plan's).")
@click.option("--channel", default="status_page", show_default=True,
              help="Channel whose limits apply: status_page, social_short, social_long, email, chat, sms.")
@click.option("--kind", "post_kind", default=None, help="Post kind (acknowledge, cause, update, resolve, …).")
@plan_option
@pass_json
@friendly
def lint(file: str | None, post_id: int | None, incident_id: int | None, locale: str | None, channel: str,
         post_kind: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Check a post's words against the tone rules; exit 1 when a blocking rule fires.

    FILE is Markdown (- for standard input); or lint a stored post with --post ID,
    or the latest post of a kind with --incident ID --kind KIND. A stored post is
    checked on the channel's own text (its short form on short channels) and with
    its runbook's blocking rules.
    """
    from crisisplan.comms.channels import CHANNELS
    from crisisplan.comms.delivery import text_for
    from crisisplan.comms.tone import Context, blocking, check
    from crisisplan.errors import did_you_mean
    from crisisplan.plan.load import load_plan

    if channel not in CHANNELS:
        raise CrisisplanError(f"--channel: unknown channel '{channel}'; " + did_you_mean(channel, CHANNELS))
    if [file, post_id, incident_id].count(None) != 2:
        raise CrisisplanError("give a FILE (or - for standard input), --post ID, "
                              "or --incident ID with --kind KIND: one of them")
    context = None
    if post_id is not None or incident_id is not None:
        services = _services(plan_dir)
        settings = services.plan.settings
        locale = locale or settings.default_locale
        if incident_id is not None:
            if not post_kind:
                raise CrisisplanError("--incident needs --kind: which of its posts to lint")
            of_kind = [p for p in services.posts(incident_id) if p.kind == post_kind]
            if not of_kind:
                raise CrisisplanError(f"incident {incident_id} has no '{post_kind}' post; "
                                      f"`crisisplan posts {incident_id}` lists its posts")
            post = of_kind[-1]
        else:
            post = services.post(post_id)
        post_id, post_kind = post.id, post_kind or post.kind
        text = text_for(post.bodies, post.short_bodies or {}, locale, channel)
        if not text:
            raise CrisisplanError(f"post {post_id} has no '{locale}' text")
        if locale in settings.locales:
            context = services.tone_context(services.incident(post.incident_id), locale, post_kind, channel)
    else:
        settings = load_plan(plan_dir).settings
        locale = locale or settings.default_locale
        try:
            text = click.open_file(file, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError) as error:
            raise CrisisplanError(f"{file}: cannot read it ({error})") from None
    if locale not in settings.locales:
        raise CrisisplanError(f"--locale: '{locale}' is not a locale of the plan; "
                              + did_you_mean(locale, settings.locales))
    findings = check(text, context or Context(locale=locale, kind=post_kind, channel=channel,
                                              jargon=tuple(settings.tone.jargon), block=tuple(settings.tone.block)))
    if as_json:
        _emit({"findings": [{k: v for k, v in f.as_dict().items()} for f in findings]})
    else:
        for f in findings:
            line_no = text.count("\n", 0, f.start) + 1
            line_start = text.rfind("\n", 0, f.start) + 1
            line_end = text.find("\n", f.start)
            line = text[line_start: line_end if line_end != -1 else len(text)]
            click.echo(f"{file or f'post {post_id}'}:{line_no}: {f.severity}: [{f.rule}] {f.message}")
            if f.end > f.start:
                click.echo(f"    {line}")
                width = max(1, min(f.end, line_start + len(line)) - f.start)
                click.echo("    " + " " * (f.start - line_start) + "^" * width)
            click.echo(f"    suggestion: {f.suggestion}")
        blocked = len(blocking(findings))
        click.echo(f"{len(findings)} finding(s), {blocked} blocking" if findings else "no findings")
    sys.exit(1 if blocking(findings) else 0)


@main.group()
def post() -> None:
    """A post's review: draft, edit, submit, approve, reject, publish, show."""


def _show_post(services: Any, row: Any, as_json: bool) -> None:
    from crisisplan.comms.delivery import PRIMARY, verdict

    incident = services.incident(row.incident_id)
    checks = services.post_checks(row, incident)
    # published: where it went; otherwise: where it would go if published now
    channels = row.channels if row.status == "published" and row.channels else verdict(checks)
    if as_json:
        _emit({"id": row.id, "incident": row.incident_id, "kind": row.kind, "status": row.status,
               "author": row.author, "approvals": row.approvals, "policy": services.policy(incident),
               "review_comment": row.review_comment, "bodies": row.bodies, "short_bodies": row.short_bodies or {},
               "next_update_at": row.next_update_at.isoformat() if row.next_update_at else None,
               "publish_at": row.publish_at.isoformat() if row.publish_at else None,
               "published_at": row.published_at.isoformat() if row.published_at else None,
               "channels": {loc: {c.channel: c.rendering.summary() for c in checks if c.locale == loc}
                            for loc in row.bodies},
               # per channel: may it go there (or, once published, did it), and if not, why
               "delivery": {c: {"ok": not why, "withheld": why} for c, why in channels.items()},
               "renderings": {loc: {c.channel: {"length": c.rendering.length, "limit": c.rendering.limit,
                                                "unit": c.rendering.unit, "over_limit": c.rendering.over_limit,
                                                "short_form": c.text != row.bodies.get(loc),
                                                "findings": [f.as_dict() for f in c.findings]}
                                    for c in checks if c.locale == loc} for loc in row.bodies},
               "findings": {c.locale: [f.as_dict() for f in c.findings] for c in checks if c.channel == PRIMARY}})
        return
    approvals = ", ".join(a["by"] for a in row.approvals) or "none"
    click.echo(f"post {row.id} of incident #{row.incident_id}: {row.kind}, {row.status} "
               f"(policy {services.policy(incident)}; author {row.author or '-'}; approvals {approvals})")
    if row.next_update_at:
        click.echo(f"  promises the next update by {_when(row.next_update_at)}")
    if row.review_comment:
        click.echo(f"  rejected: {row.review_comment}")
    for locale, text in row.bodies.items():
        click.echo(f"--- {locale}")
        click.echo(text.rstrip())
        if (row.short_bodies or {}).get(locale):
            click.echo(f"--- {locale}, short form (short social post, SMS)")
            click.echo(row.short_bodies[locale].rstrip())
        here = [c for c in checks if c.locale == locale]
        click.echo("  " + "; ".join(c.rendering.summary() + (" OVER LIMIT" if c.rendering.over_limit else "")
                                    for c in here))
        for c in here:
            for f in c.findings:
                if c.channel != PRIMARY and f.rule != "too_long" and c.text == text:
                    continue  # the same text's findings are shown once, on the status page
                where = "" if c.channel == PRIMARY else f" ({c.channel})"
                span = f" {c.text[f.start:f.end]!r}" if f.end > f.start and f.rule != "too_long" else ""
                click.echo(f"  {f.severity}{where}: [{f.rule}] {f.message}{span}")
    verb = "sent to" if row.status == "published" else "fits"
    click.echo(f"  {verb}: " + (", ".join(c for c, why in channels.items() if not why) or "none"))
    for channel, why in channels.items():
        if why:
            click.echo(f"  withheld from {channel}: {why}")


def _text(file: str) -> str:
    try:
        return click.open_file(file, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as error:
        raise CrisisplanError(f"{file}: cannot read it ({error})") from None


@post.command(name="draft")
@click.argument("incident_id", type=int)
@click.argument("kind")
@click.option("--file", "file", default=None, help="Your own Markdown text (- for stdin) instead of the template.")
@click.option("--locale", default=None, help="Language of --file (default: the plan's).")
@next_update_option
@plan_option
@actor_option
@pass_json
@friendly
def post_draft(incident_id: int, kind: str, file: str | None, locale: str | None, next_update: str | None,
               plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Draft a post of KIND for an incident, from its template or from --file."""
    services = _services(plan_dir)
    row = services.draft_post(incident_id, kind, _actor(actor), _text(file) if file else None, locale,
                              _promise(services, next_update))
    _show_post(services, services.post(row.id), as_json)


@post.command(name="edit")
@click.argument("post_id", type=int)
@click.option("--file", "file", default=None, help="The new Markdown text (- for stdin).")
@click.option("--locale", default=None, help="Which language's text (default: the plan's).")
@click.option("--short", is_flag=True, help="Replace the short form (short social post, SMS) instead.")
@next_update_option
@plan_option
@actor_option
@pass_json
@friendly
def post_edit(post_id: int, file: str | None, locale: str | None, short: bool, next_update: str | None,
              plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Replace a post's text or the next-update time it promises; any approval is withdrawn."""
    services = _services(plan_dir)
    _show_post(services, services.edit_post(post_id, _text(file) if file else None, _actor(actor), locale,
                                            short, _promise(services, next_update)), as_json)


@post.command(name="redraft")
@click.argument("post_id", type=int)
@next_update_option
@plan_option
@actor_option
@pass_json
@friendly
def post_redraft(post_id: int, next_update: str | None, plan_dir: str | None, actor: str | None,
                 as_json: bool) -> None:
    """Write a post again from its templates, with today's fields and a fresh next-update time."""
    services = _services(plan_dir)
    _show_post(services, services.redraft_post(post_id, _actor(actor), _promise(services, next_update)), as_json)


def _review_command(name: str, doc: str, call: Callable[..., Any], comment: bool = False) -> None:
    @click.argument("post_id", type=int)
    @plan_option
    @actor_option
    @pass_json
    @friendly
    def command(post_id: int, plan_dir: str | None, actor: str | None, as_json: bool, **extra: Any) -> None:
        services = _services(plan_dir)
        _show_post(services, call(services, post_id, _actor(actor), **extra), as_json)

    command.__doc__ = doc
    if comment:
        command = click.option("--comment", required=True, help="What the author should change.")(command)
    post.command(name=name)(command)


_review_command("submit", "Submit a draft for review.", lambda s, p, a: s.submit_post(p, a))
_review_command("approve", "Approve a post in review (under two-person policy, not your own).",
                lambda s, p, a: s.approve_post(p, a))
_review_command("reject", "Send a post back to draft with a comment.",
                lambda s, p, a, comment: s.reject_post(p, a, comment), comment=True)


@post.command(name="publish")
@click.argument("post_id", type=int)
@click.option("--at", "at", default=None, metavar="ISO-TIME", help="Schedule it for this time instead of now.")
@plan_option
@actor_option
@pass_json
@friendly
def post_publish(post_id: int, at: str | None, plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Publish an approved post now, or schedule it with --at."""
    services = _services(plan_dir)
    _show_post(services, services.publish_post(post_id, _actor(actor), _parse_time(at) if at else None), as_json)


@post.command(name="show")
@click.argument("post_id", type=int)
@plan_option
@pass_json
@friendly
def post_show(post_id: int, plan_dir: str | None, as_json: bool) -> None:
    """A post: status, approvals, text per locale, lengths per channel, tone findings."""
    services = _services(plan_dir)
    _show_post(services, services.post(post_id), as_json)


def _promise(services: Any, text: str | None) -> datetime | None:
    """--next-update: a duration from now (45m, 2h) or an ISO time."""
    if text is None:
        return None
    try:
        return services.clock.now() + parse_duration(text)
    except ValueError:
        pass
    try:
        return _parse_time(text)
    except CrisisplanError:
        raise CrisisplanError(f"--next-update: {text!r} is neither a duration (45m, 2h) "
                              "nor an ISO time such as 2026-05-01T10:00+00:00") from None


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CrisisplanError(f"{text!r} is not an ISO time such as 2026-05-01T10:00+00:00") from None
    return moment if moment.tzinfo else moment.astimezone()


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command()
@plan_option
@pass_json
@friendly
def verify(plan_dir: str | None, as_json: bool) -> None:
    """Check the hash chain of every incident; exit 1 naming the first bad event."""
    incidents, events, findings = _services(plan_dir).verify_audit()
    if as_json:
        _emit({"ok": not findings, "incidents": incidents, "events": events,
               "findings": [{"incident": f.incident_id, "seq": f.seq, "message": f.message}
                            for f in findings]})
    else:
        for finding in findings:
            click.echo(f"TAMPERED: {finding}")
        click.echo(f"{incidents} incident(s), {events} event(s): "
                   + ("chain intact" if not findings else f"{len(findings)} chain(s) broken"))
    sys.exit(1 if findings else 0)



@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes of the HTTP server.")
@click.option("--server", type=click.Choice(["granian", "gunicorn"]), default="granian", show_default=True,
              help="HTTP server; granian is the measured choice (benchmarks/status_page.py).")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 256),
              help="Python threads a worker (granian).")
@click.option("--backpressure", default=64, show_default=True, type=click.IntRange(1, 100_000),
              help="Requests a worker takes into Python at once; the rest wait in granian (granian).")
@plan_option
@friendly
def serve(host: str, port: int, workers: int, server: str, threads: int, backpressure: int,
          plan_dir: str | None) -> None:
    """Run the console, the public status page and the API."""
    from crisisplan.services.accounts import Accounts

    services = _services(plan_dir)  # validates the plan and migrates the database before any worker starts
    os.environ["CRISISPLAN_PLAN"] = str(services.plan.root)
    os.environ.setdefault("CRISISPLAN_TICK_SECONDS", "5")  # timers fire while the app runs
    os.environ.setdefault("CRISISPLAN_DATABASE_URL", services.db.engine.url.render_as_string(hide_password=False))
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    click.echo(f"crisisplan on http://{shown}:{port}/ (status page) and http://{shown}:{port}/console/ (console)")
    if not Accounts(services.db).has_users():
        click.echo("No users yet. Create the first admin: crisisplan user add NAME --role admin")
    services.db.dispose()
    if server == "gunicorn":
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
                "--log-level", "warning", "crisisplan.web:create_app()"]
        os.execv(sys.executable, argv)
    from granian import Granian
    from granian.constants import Interfaces

    # Measured (benchmarks/status_page.py): granian's default of hundreds of Python threads a worker
    # fights over the GIL (p99 250 ms at 256 connections); two threads and at most 64 requests
    # inside Python a worker keep p99 under 10 ms, with the rest queued in granian's Rust side.
    Granian("crisisplan.web:create_app", address=host, port=port, workers=workers, interface=Interfaces.WSGI,
            factory=True, log_level="warning", blocking_threads=threads, backpressure=backpressure).serve()


@main.group()
def user() -> None:
    """People who use the console."""


@user.command(name="add")
@click.argument("name")
@click.option("--role", required=True, help="viewer, responder, communicator, approver or admin.")
@click.option("--password", default=None, help="Their password (default: a generated one, printed once). "
              "Or set CRISISPLAN_PASSWORD.", envvar="CRISISPLAN_PASSWORD")
@plan_option
@pass_json
@friendly
def user_add(name: str, role: str, password: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Add a person who can log in to the console."""
    from crisisplan.services.accounts import Accounts

    account, secret = Accounts(_services(plan_dir).db).add_user(name, role, password)
    if as_json:
        _emit({"id": account.id, "name": account.name, "role": account.role,
               "password": None if password else secret})
        return
    click.echo(f"user {account.name} ({account.role}) added")
    if not password:
        click.echo(f"password: {secret}  (shown once)")


@user.command(name="list")
@plan_option
@pass_json
@friendly
def user_list(plan_dir: str | None, as_json: bool) -> None:
    """Everyone who can log in, with their role."""
    from crisisplan.services.accounts import Accounts

    users = Accounts(_services(plan_dir).db).users()
    if as_json:
        _emit([{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat()} for u in users])
        return
    _table(["NAME", "ROLE", "SINCE"], [[u.name, u.role, _when(u.created_at)] for u in users])


@main.group()
def token() -> None:
    """API tokens for scripts and other tools."""


@token.command(name="add")
@click.argument("name")
@click.option("--role", required=True, help="viewer, responder, communicator, approver or admin.")
@plan_option
@pass_json
@friendly
def token_add(name: str, role: str, plan_dir: str | None, as_json: bool) -> None:
    """Create an API token; it is shown once and stored only as a hash."""
    from crisisplan.services.accounts import Accounts

    token_id, secret = Accounts(_services(plan_dir).db).add_token(name, role)
    if as_json:
        _emit({"id": token_id, "name": name, "role": role, "token": secret})
        return
    click.echo(f"token {token_id} for {name} ({role}): {secret}")
    click.echo("shown once: store it now; use it as  Authorization: Bearer <token>")


@token.command(name="revoke")
@click.argument("token_id", type=int)
@plan_option
@pass_json
@friendly
def token_revoke(token_id: int, plan_dir: str | None, as_json: bool) -> None:
    """Revoke an API token."""
    from crisisplan.services.accounts import Accounts

    Accounts(_services(plan_dir).db).revoke_token(token_id)
    _emit({"revoked": token_id}) if as_json else click.echo(f"token {token_id} revoked")


@main.command()
@plan_option
@pass_json
@friendly
def demo(plan_dir: str | None, as_json: bool) -> None:
    """Prepare a first look: an admin to log in with and one public sample incident (only when empty)."""
    from crisisplan.services import instance_dir
    from crisisplan.services.accounts import Accounts

    services = _services(plan_dir)
    accounts = Accounts(services.db)
    secret_file = instance_dir(services.plan.root) / "admin-password.txt"
    if not accounts.has_users():
        _, password = accounts.add_user("admin", "admin")
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.touch(mode=0o600)
        secret_file.write_text(password + "\n", encoding="utf-8")
    if not services.status(include_closed=True):
        view = services.declare("outage", "sev2", "Search is slow for some customers", "demo", ["website"],
                                {"impact": "Searches take up to a minute; orders and payments work."})
        ack = services.posts(view.id)[0]
        services.submit_post(ack.id, "demo")
        services.approve_post(ack.id, "admin")
        services.publish_post(ack.id, "demo")
        services.trigger(view.id, "acknowledge", "demo")
        if not as_json:
            click.echo(f"declared a sample incident (#{view.id}) and published its acknowledgement")
    if as_json:
        _emit({"admin_password_file": str(secret_file) if secret_file.exists() else None,
               "incidents": len(services.status(include_closed=True))})
        return
    click.echo("log in as admin with the password in " + (str(secret_file) if secret_file.exists() else
               "the file you kept when you created the first admin"))
    if secret_file.exists():
        click.echo(f"  admin password: {secret_file.read_text(encoding='utf-8').strip()}")


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
        _emit([{"id": s.id, "title": s.title, "runbook": s.runbook, "severity": s.severity,
                "duration": format_duration(s.duration), "injects": len(s.injects)} for s in scenarios.values()])
        return
    _table(["ID", "RUNBOOK", "SEV", "LENGTH", "INJECTS", "TITLE"],
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
    from crisisplan.drills.play import play
    from crisisplan.drills.scenario import load_scenario

    services = _services(plan_dir)
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
        _emit({"scenario": chosen.id, "score": played.mean, "runs": repeat, "scores": played.scores[:100],
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
    services = _services(plan_dir)
    view = services.start_drill(scenario, _actor(actor), speed)
    if as_json:
        _emit(view.as_dict())
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
    services = _services(plan_dir)
    _, card = services.finish_drill(incident_id, _actor(actor))
    if as_json:
        _emit(card.as_dict())
        return
    click.echo(f"drill #{incident_id}: score {card.score}/100")
    _print_card(card)


def _print_card(card: Any) -> None:
    for check in card.checks:
        click.echo(f"  {'ok  ' if check.passed else 'MISS'} {check.name}: {check.line}")


@main.command()
@click.option("--once", is_flag=True, help="One round (fire due timers, deliver due messages), then exit.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds between rounds when there is nothing to do.")
@click.option("--lease", default=60.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Seconds a claimed message stays with this worker; a worker that dies frees its messages then.")
@click.option("--batch", default=200, show_default=True, type=click.IntRange(1, 10_000),
              help="Messages claimed at a time.")
@click.option("--export-site", "site", type=click.Path(file_okay=False), default=None,
              help="Keep a static copy of the public site in this folder, refreshed whenever it changes.")
@click.option("--app-url", default="", help="With --export-site: the live app, for the subscription form.")
@plan_option
@pass_json
@friendly
def worker(once: bool, interval: float, lease: float, batch: int, site: str | None, app_url: str,
           plan_dir: str | None, as_json: bool) -> None:
    """Fire due timers and deliver the outbox with retries; on SIGTERM or Ctrl-C it finishes the message in
    hand, gives back the rest of its batch and exits. Run as many as you like: they share the work."""
    import signal
    import time
    from datetime import timedelta

    from crisisplan.publish import outbox

    services = _services(plan_dir)
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    totals = outbox.Result()
    exported: list[Any] = [None]  # the public stamp the static copy shows

    def refresh_site() -> None:
        stamp = services.public_stamp()
        if site and stamp != exported[0]:
            files = _export(services, Path(site), app_url)
            exported[0] = stamp
            if not as_json:
                click.echo(f"static site: {len(files)} files refreshed in {site}")

    while not stopping:
        fired = services.tick()
        refresh_site()
        done = outbox.deliver_due(services.db, services.plan.settings, services.clock.now(),
                                  lease=timedelta(seconds=lease), stopping=lambda: bool(stopping), limit=batch)
        totals.delivered, totals.retried = totals.delivered + done.delivered, totals.retried + done.retried
        totals.dead += done.dead
        busy = done.delivered + done.retried + done.dead
        if not as_json and (fired or busy):
            click.echo(f"timers fired on {len(fired)} incident(s); delivered {done.delivered}, "
                       f"retrying {done.retried}, dead {done.dead}")
        if once:
            break
        if not busy:  # a full batch means more may be waiting: go on at once
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, interval))
    if as_json:
        _emit({"delivered": totals.delivered, "retried": totals.retried, "dead": totals.dead})


@main.group(name="plan")
def plan_group() -> None:
    """The plan as a whole."""


@plan_group.command(name="render")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["html", "md", "pdf"]), default=None,
              help="Default: from OUT's suffix.")
@plan_option
@pass_json
@friendly
def plan_render(out: str, fmt: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Write the whole plan (contacts, roles, escalation matrix, runbooks with diagrams and checklists,
    deadlines, every template) as one document to print or keep offline."""
    from crisisplan.plan.document import write
    from crisisplan.plan.load import load_plan

    target = Path(out)
    fmt = fmt or {".html": "html", ".htm": "html", ".md": "md", ".pdf": "pdf"}.get(target.suffix.lower())
    if fmt is None:
        raise click.BadParameter(f"cannot tell the format from '{target.name}'; add --format html|md|pdf",
                                 param_hint="--format")
    files = write(load_plan(plan_dir), fmt, target)
    if as_json:
        _emit({"format": fmt, "files": [str(f) for f in files]})
    else:
        click.echo(f"wrote {', '.join(str(f) for f in files)}")


def _hours(_ctx: Any, _param: Any, value: str) -> range:
    start, _, end = value.partition("-")
    try:
        first, last = int(start), int(end)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a span of hours like 8-20") from None
    if not 0 <= first < last <= 24:
        raise click.BadParameter(f"'{value}': hours go from 0 to 24, the first before the last (8-20)")
    return range(first, last)


@main.command()
@click.option("--per-day", type=click.FloatRange(0), required=True, help="Contacts expected in a day.")
@click.option("--handle-minutes", type=click.FloatRange(0.1), required=True, help="Minutes a contact takes.")
@click.option("--target-answer-minutes", type=click.FloatRange(0), default=15, show_default=True,
              help="Answer within this many minutes...")
@click.option("--service-level", type=click.FloatRange(0.01, 0.999), default=0.8, show_default=True,
              help="...for this share of contacts.")
@click.option("--hours", default="0-24", show_default=True, callback=_hours,
              help="Open hours, e.g. 8-20 (contacts are spread evenly over them).")
@pass_json
@friendly
def staffing(per_day: float, handle_minutes: float, target_answer_minutes: float, service_level: float,
             hours: range, as_json: bool) -> None:
    """Responders needed each hour (Erlang C), to answer SERVICE-LEVEL of contacts within the target."""
    from crisisplan.signals.staffing import plan_day

    day = plan_day(per_day, handle_minutes, target_answer_minutes, service_level, hours)
    if as_json:
        _emit({"hours": [vars(h) for h in day], "peak": max((h.agents for h in day), default=0)})
        return
    _table(["HOUR", "CONTACTS", "ERLANGS", "RESPONDERS", "ANSWERED IN TIME", "WAIT AT ALL", "MEAN WAIT", "BUSY"],
           [[f"{h.hour:02d}:00", f"{h.contacts:.1f}", f"{h.traffic:.2f}", str(h.agents), f"{h.service_level:.1%}",
             f"{h.waiting:.1%}", f"{h.mean_wait_minutes:.1f} min", f"{h.occupancy:.0%}"] for h in day])
    click.echo(f"{sum(h.agents for h in day)} responder-hours; at most {max((h.agents for h in day), default=0)} "
               f"at once (Erlang C: {service_level:.0%} answered within {target_answer_minutes:g} min)")


def _export(services: Any, out: Path, app_url: str) -> list[str]:
    from crisisplan.web import create_app
    from crisisplan.web.export import export_site

    app = create_app({"SERVICES": services, "SECRET_KEY": "static export", "TICK_SECONDS": 0,
                      "PUBLIC_CACHE_SECONDS": 0})
    return export_site(app, out, app_url)


@main.command(name="export-site")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--app-url", default="", help="The live app, for the subscription form (else the link is relative).")
@plan_option
@pass_json
@friendly
def export_site_command(directory: str, app_url: str, plan_dir: str | None, as_json: bool) -> None:
    """Write the public site (pages in every language, feeds, CAP, v2 JSON) as static files to DIRECTORY."""
    files = _export(_services(plan_dir), Path(directory), app_url)
    if as_json:
        _emit({"directory": directory, "files": files})
    else:
        click.echo(f"wrote {len(files)} files to {directory}; serve it with any web server "
                   f"(pages are folder/index.html)")


@main.group(name="outbox")
def outbox_group() -> None:
    """Messages owed to webhooks: what is pending, delivered or dead."""


@outbox_group.command(name="list")
@click.option("--status", type=click.Choice(["pending", "delivered", "dead"]), default=None)
@plan_option
@pass_json
@friendly
def outbox_list(status: str | None, plan_dir: str | None, as_json: bool) -> None:
    """The outbox, with every delivery attempt."""
    from sqlalchemy import select

    from crisisplan.store.models import OutboxRow

    services = _services(plan_dir)
    with services.db.read() as session:
        query = select(OutboxRow).order_by(OutboxRow.id)
        rows = list(session.scalars(query.where(OutboxRow.status == status) if status else query))
    if as_json:
        _emit([{"id": r.id, "post": r.post_id, "channel": r.channel, "status": r.status, "attempts": r.attempts,
                "next_attempt_at": r.next_attempt_at.isoformat(), "log": r.log} for r in rows])
        return
    _table(["ID", "POST", "CHANNEL", "STATUS", "TRIES", "LAST"],
           [[str(r.id), str(r.post_id), r.channel, r.status, str(r.attempts),
             r.log[-1]["result"] if r.log else "-"] for r in rows])


@outbox_group.command(name="retry")
@click.argument("message_id", type=int)
@plan_option
@pass_json
@friendly
def outbox_retry(message_id: int, plan_dir: str | None, as_json: bool) -> None:
    """Put a dead message back in the queue."""
    from crisisplan.publish import outbox

    services = _services(plan_dir)
    outbox.retry(services.db, message_id, services.clock.now())
    _emit({"retried": message_id}) if as_json else click.echo(f"message {message_id} is pending again")


if __name__ == "__main__":
    main()
