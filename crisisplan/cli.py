"""The command line: click commands over the same services the web app uses.

Human-readable output by default, `--json` for scripts; a user's mistake is
one clear message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crisisplan import SHIPPED_PLAN
from crisisplan.duration import format_duration
from crisisplan.errors import CrisisplanError, PlanError

pass_json = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
plan_option = click.option(
    "--plan", "plan_dir", type=click.Path(file_okay=False), envvar="CRISISPLAN_PLAN",
    help="Plan directory (default: the current directory; env CRISISPLAN_PLAN).")
actor_option = click.option(
    "--as", "actor", default=None, metavar="NAME",
    help="Who is acting, for the audit trail (default: your OS user name).")


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
    """Check plan.yaml, runbooks/ and templates/; exit 1 on any error."""
    from crisisplan.plan.load import check_plan, resolve_plan_dir

    root = resolve_plan_dir(plan_dir)
    plan, problems = check_plan(root)
    if plan and not problems:
        from crisisplan.comms.samples import template_problems

        problems = template_problems(plan)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        _emit({"ok": not errors, "runbooks": sorted(plan.runbooks) if plan else [],
               "problems": [p.as_dict() for p in problems]})
    else:
        for problem in problems:
            click.echo(str(problem))
        if plan:
            templates = len(plan.templates)
            click.echo(f"{len(plan.runbooks)} runbook(s), {templates} template(s), "
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
    click.echo(f"  update promises: {promises['kept']} kept, {promises['broken']} broken ({rate})")


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
@click.option("--post", "post_id", type=int, default=None, help="Lint a drafted post of an incident instead of FILE.")
@click.option("--locale", default=None, help="Language of the text (default: the plan's).")
@click.option("--channel", default="status_page", show_default=True,
              help="Channel whose limits apply: status_page, social_short, social_long, email, chat, sms.")
@click.option("--kind", "post_kind", default=None, help="Post kind (acknowledge, cause, update, resolve, …).")
@plan_option
@pass_json
@friendly
def lint(file: str | None, post_id: int | None, locale: str | None, channel: str, post_kind: str | None,
         plan_dir: str | None, as_json: bool) -> None:
    """Check a post's words against the tone rules; exit 1 when a blocking rule fires."""
    from crisisplan.comms.channels import CHANNELS
    from crisisplan.comms.tone import Context, blocking, check
    from crisisplan.plan.checks import did_you_mean
    from crisisplan.plan.load import load_plan

    if channel not in CHANNELS:
        raise CrisisplanError(f"--channel: unknown channel '{channel}'; " + did_you_mean(channel, CHANNELS))
    if (file is None) == (post_id is None):
        raise CrisisplanError("give a FILE (or - for standard input) or --post ID, not both")
    if post_id is not None:
        services = _services(plan_dir)
        settings = services.plan.settings
        locale = locale or settings.default_locale
        post = services.post(post_id)
        text, post_kind = post.bodies.get(locale, ""), post_kind or post.kind
        if not text:
            raise CrisisplanError(f"post {post_id} has no '{locale}' text")
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
    findings = check(text, Context(locale=locale, kind=post_kind, channel=channel,
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
    from crisisplan.comms.channels import CHANNELS, render

    incident = services.incident(row.incident_id)
    findings = services.post_findings(row, incident)
    if as_json:
        _emit({"id": row.id, "incident": row.incident_id, "kind": row.kind, "status": row.status,
               "author": row.author, "approvals": row.approvals, "policy": services.policy(incident),
               "review_comment": row.review_comment, "bodies": row.bodies,
               "publish_at": row.publish_at.isoformat() if row.publish_at else None,
               "channels": {loc: {c: render(text, c).summary() for c in CHANNELS} for loc, text in row.bodies.items()},
               "findings": {loc: [f.as_dict() for f in found] for loc, found in findings.items()}})
        return
    approvals = ", ".join(a["by"] for a in row.approvals) or "none"
    click.echo(f"post {row.id} of incident #{row.incident_id}: {row.kind}, {row.status} "
               f"(policy {services.policy(incident)}; author {row.author or '-'}; approvals {approvals})")
    if row.review_comment:
        click.echo(f"  rejected: {row.review_comment}")
    for locale, text in row.bodies.items():
        click.echo(f"--- {locale}")
        click.echo(text.rstrip())
        lengths = [render(text, c) for c in CHANNELS]
        click.echo("  " + "; ".join(r.summary() + (" OVER LIMIT" if r.over_limit else "") for r in lengths))
        for f in findings[locale]:
            click.echo(f"  {f.severity}: [{f.rule}] {f.message} {text[f.start:f.end]!r}" if f.end > f.start
                       else f"  {f.severity}: [{f.rule}] {f.message}")


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
@plan_option
@actor_option
@pass_json
@friendly
def post_draft(incident_id: int, kind: str, file: str | None, locale: str | None, plan_dir: str | None,
               actor: str | None, as_json: bool) -> None:
    """Draft a post of KIND for an incident, from its template or from --file."""
    services = _services(plan_dir)
    row = services.draft_post(incident_id, kind, _actor(actor), _text(file) if file else None, locale)
    _show_post(services, services.post(row.id), as_json)


@post.command(name="edit")
@click.argument("post_id", type=int)
@click.option("--file", "file", required=True, help="The new Markdown text (- for stdin).")
@click.option("--locale", default=None, help="Which language's text (default: the plan's).")
@plan_option
@actor_option
@pass_json
@friendly
def post_edit(post_id: int, file: str, locale: str | None, plan_dir: str | None, actor: str | None,
              as_json: bool) -> None:
    """Replace a post's text; any approval is withdrawn."""
    services = _services(plan_dir)
    _show_post(services, services.edit_post(post_id, _text(file), _actor(actor), locale), as_json)


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


if __name__ == "__main__":
    main()
