"""The plan itself: `init` a new one, `validate` it, list its `runbooks`, `lint` a post's words against
the tone rules, and `plan render` the whole plan as one document to print.
"""

from __future__ import annotations

import sys
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import click

from crisisplan import shipped_plan
from crisisplan.cli.shared import (
    emit,
    friendly,
    main,
    open_services,
    pass_json,
    plan_option,
)
from crisisplan.duration import format_duration
from crisisplan.errors import CrisisplanError


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@friendly
def init(directory: str) -> None:
    """Write a new plan in DIRECTORY: a copy of the shipped runbooks and templates."""
    target = Path(directory)
    if (target / "runbooks").exists() or (target / "plan.yaml").exists():
        raise CrisisplanError(f"{target} already holds a plan; choose an empty directory")
    shipped = shipped_plan()
    target.mkdir(parents=True, exist_ok=True)
    for name in ("plan.yaml", "runbooks", "templates"):
        _copy(shipped / name, target / name)
    (target / ".gitignore").write_text("instance/\n", encoding="utf-8")
    click.echo(f"wrote a new plan in {target}: plan.yaml, runbooks/, templates/")
    click.echo(f"next: cd {target} && crisisplan validate")


def _copy(source: Traversable, target: Path) -> None:
    """A file or a folder of the shipped plan, wherever it lives (package data or the checkout)."""
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for child in source.iterdir():
            if child.name != "__pycache__":
                _copy(child, target / child.name)
    else:
        target.write_bytes(source.read_bytes())


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
    if plan and not any(p.severity == "error" for p in problems):  # warnings must not hide the next checks
        from crisisplan.comms.samples import template_problems
        from crisisplan.drills.scenario import check_scenarios

        scenarios, drill_problems = check_scenarios(plan)
        problems = problems + template_problems(plan) + drill_problems
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        emit({"ok": not errors, "runbooks": sorted(plan.runbooks) if plan else [],
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
        emit([{"id": rb.id, "title": rb.title, "version": rb.version,
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
    from crisisplan.comms.tone_plan import plan_tone
    from crisisplan.errors import did_you_mean
    from crisisplan.plan.load import load_plan

    if channel not in CHANNELS:
        raise CrisisplanError(f"--channel: unknown channel '{channel}'; " + did_you_mean(channel, CHANNELS))
    if [file, post_id, incident_id].count(None) != 2:
        raise CrisisplanError("give a FILE (or - for standard input), --post ID, "
                              "or --incident ID with --kind KIND: one of them")
    context = None
    if post_id is not None or incident_id is not None:
        services = open_services(plan_dir)
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
    org = settings.organisation  # the organisation's own e-mail and phone are nobody's personal data
    findings = check(text, context or Context(locale=locale, kind=post_kind, channel=channel,
                                              jargon=tuple(settings.tone.jargon), block=tuple(settings.tone.block),
                                              own_contacts=(org.support_email, org.phone),
                                              **plan_tone(settings)))
    if as_json:
        emit({"findings": [{k: v for k, v in f.as_dict().items()} for f in findings]})
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
        emit({"format": fmt, "files": [str(f) for f in files]})
    else:
        click.echo(f"wrote {', '.join(str(f) for f in files)}")
