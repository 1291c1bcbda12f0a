"""Posts: `posts` of an incident, and a post's review (`post draft`, `edit`, `redraft`, `submit`, `approve`,
`reject`, `publish`, `show`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from crisisplan.cli.shared import (
    actor_name,
    actor_option,
    emit,
    friendly,
    main,
    next_update_option,
    open_services,
    pass_json,
    plan_option,
    read_time,
    when,
)
from crisisplan.errors import CrisisplanError


@main.command()
@click.argument("incident_id", type=int)
@click.option("--locale", default=None, help="Show the text in this locale (default: the plan's).")
@plan_option
@pass_json
@friendly
def posts(incident_id: int, locale: str | None, plan_dir: str | None, as_json: bool) -> None:
    """The posts drafted for an incident, with their text."""
    services = open_services(plan_dir)
    rows = services.posts(incident_id)
    if as_json:
        emit([{"id": p.id, "kind": p.kind, "status": p.status, "bodies": p.bodies,
                "render_error": p.render_error, "created_at": p.created_at.isoformat()}
               for p in rows])
        return
    shown = locale or services.plan.settings.default_locale
    for p in rows:
        click.echo(f"--- post {p.id}: {p.kind} ({p.status}, {p.reason})")
        if p.render_error:
            click.echo(f"    template error: {p.render_error}")
        click.echo(p.bodies.get(shown, ""))


@main.group()
def post() -> None:
    """A post's review: draft, edit, submit, approve, reject, publish, show."""


def _show_post(services: Any, row: Any, as_json: bool) -> None:
    from crisisplan.comms.delivery import PRIMARY, verdict

    incident = services.incident(row.incident_id)
    checks = services.post_checks(row, incident)
    # published: where it went; otherwise: where it would go if published now
    channels = row.channels if row.status == "published" and row.channels else verdict(checks)
    audience = services.plan.runbook(incident.runbook_id).audience(row.kind)
    private = services.private_delivery(row) if audience == "private" else None
    if audience != "public":
        channels = {}  # a private or internal post goes on no public channel
    delivery = services.post_delivery(row.id)  # published: each channel as it is, from the outbox
    if as_json:
        emit({"id": row.id, "incident": row.incident_id, "kind": row.kind, "status": row.status,
              "audience": audience, **({"private": {k: private[k] for k in ("how", "to", "channel", "status")}}
                                       if private else {}),
               "author": row.author, "approvals": row.approvals, "policy": services.policy(incident),
               "review_comment": row.review_comment, "stale_locales": list(row.stale_locales or []),
               "bodies": row.bodies, "short_bodies": row.short_bodies or {},
               "next_update_at": row.next_update_at.isoformat() if row.next_update_at else None,
               "publish_at": row.publish_at.isoformat() if row.publish_at else None,
               "published_at": row.published_at.isoformat() if row.published_at else None,
               "channels": {loc: {c.channel: c.rendering.summary() for c in checks if c.locale == loc}
                            for loc in row.bodies},
               # per channel: may it go there, and if not, why; once published, its delivery state
               "delivery": {d.channel: d.as_dict() for d in delivery} if row.status == "published" else
               {c: {"ok": not why, "withheld": why} for c, why in channels.items()},
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
        click.echo(f"  promises the next update by {when(row.next_update_at)}")
    if row.review_comment:
        click.echo(f"  rejected: {row.review_comment}")
    for locale in row.stale_locales or []:
        click.echo(f"  {locale} is stale after an edit in another language: edit it, or "
                   f"`crisisplan post confirm-locale {row.id} --locale {locale}`")
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
    if private:
        click.echo(f"  private: for {private['to'] or 'the person who complained'} only; "
                   + (f"by e-mail to {private['to']}" + (f" ({private['status']})" if private["status"] else "")
                      if private["how"] == "email" else
                      f"in public on Bluesky, under {private['to']}'s post" if private["how"] == "bluesky"
                      else "copy the text and send it by hand"))
        return
    if audience != "public":
        click.echo(f"  {audience}: for responders only, on no public channel")
        return
    _show_channels(row, channels, delivery)


def _show_channels(row: Any, channels: dict[str, str], delivery: list[Any]) -> None:
    """Published: each channel as it is (published, not connected, queued, delivered, failed, withheld) — never
    "sent" without a delivery; otherwise where it would go."""
    if row.status == "published":
        click.echo("  delivery:")
        for item in delivery:
            click.echo(f"    {item.channel}: {item.detail}")
            if item.retry_ids:
                click.echo(f"      retry: crisisplan outbox retry {' '.join(map(str, item.retry_ids))}")
        return
    click.echo("  fits: " + (", ".join(c for c, why in channels.items() if not why) or "none"))
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
    services = open_services(plan_dir)
    row = services.draft_post(incident_id, kind, actor_name(actor), _text(file) if file else None, locale,
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
    services = open_services(plan_dir)
    _show_post(services, services.edit_post(post_id, _text(file) if file else None, actor_name(actor), locale,
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
    services = open_services(plan_dir)
    _show_post(services, services.redraft_post(post_id, actor_name(actor), _promise(services, next_update)), as_json)


def _review_command(name: str, doc: str, call: Callable[..., Any], comment: bool = False) -> None:
    @click.argument("post_id", type=int)
    @plan_option
    @actor_option
    @pass_json
    @friendly
    def command(post_id: int, plan_dir: str | None, actor: str | None, as_json: bool, **extra: Any) -> None:
        services = open_services(plan_dir)
        _show_post(services, call(services, post_id, actor_name(actor), **extra), as_json)

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
@click.option("--at", "at", default=None, metavar="WHEN",
              help="Schedule it for this time instead of now (14:30, 2h or an ISO time; without a zone, "
                   "the organisation's).")
@plan_option
@actor_option
@pass_json
@friendly
def post_publish(post_id: int, at: str | None, plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Publish an approved post now, or schedule it with --at."""
    services = open_services(plan_dir)
    at_time = read_time(services, at, "--at") if at else None
    _show_post(services, services.publish_post(post_id, actor_name(actor), at_time), as_json)


@post.command(name="confirm-locale")
@click.argument("post_id", type=int)
@click.option("--locale", required=True, help="The stale language whose text still says the same, e.g. es.")
@plan_option
@actor_option
@pass_json
@friendly
def post_confirm_locale(post_id: int, locale: str, plan_dir: str | None, actor: str | None, as_json: bool) -> None:
    """Confirm that a language left stale by an edit of another still says the same (then it may go out)."""
    services = open_services(plan_dir)
    _show_post(services, services.confirm_locale(post_id, locale, actor_name(actor)), as_json)


@post.command(name="show")
@click.argument("post_id", type=int)
@plan_option
@pass_json
@friendly
def post_show(post_id: int, plan_dir: str | None, as_json: bool) -> None:
    """A post: status, approvals, text per locale, lengths per channel, tone findings."""
    services = open_services(plan_dir)
    _show_post(services, services.post(post_id), as_json)


def _promise(services: Any, text: str | None) -> datetime | None:
    """--next-update: a duration from now (45m, 2h), a time of day (14:30) or an ISO time."""
    return None if text is None else read_time(services, text, "--next-update")
