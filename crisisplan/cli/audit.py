"""The tamper-evident audit trail: `audit verify` checks every chain (and, with `--checkpoints`, against the
signed checkpoints kept outside the database); `audit log` lists admin actions; keys rotate and old events seal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crisisplan.cli.shared import (
    actor_option,
    emit,
    friendly,
    main,
    open_services,
    pass_json,
    plan_option,
    table,
    when,
)


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command()
@click.option("--checkpoints", "checkpoint_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A copy of the signed checkpoints (saved from /audit/checkpoints, or kept elsewhere): every "
                   "head it anchored must still be in the database. Default: this installation's own file.")
@click.option("--no-checkpoints", is_flag=True, help="Check the chains alone, without any checkpoints.")
@click.option("--public-key", default=None, metavar="BASE64",
              help="The key the checkpoints must be signed with (default: this installation's; "
                   "`crisisplan audit public-key` prints it).")
@plan_option
@pass_json
@friendly
def verify(checkpoint_file: Path | None, no_checkpoints: bool, public_key: str | None, plan_dir: str | None,
           as_json: bool) -> None:
    """Check the keyed chain of every incident and the admin chain, and that the database still holds every head
    the checkpoints anchored; exit 1 naming the first bad event."""
    services = open_services(plan_dir)
    if checkpoint_file is None and not no_checkpoints:
        checkpoint_file = services.own_checkpoints()
    report = services.audit_report(checkpoint_file, public_key)
    if as_json:
        emit({"ok": report.ok, "incidents": report.incidents, "events": report.events,
              "admin_events": report.admin_events, "checkpoint_lines": report.checkpoint_lines,
              "checkpoint_problems": report.checkpoint_problems, "unanchored": report.unanchored,
              "findings": [{"incident": f.incident_id, "seq": f.seq, "message": f.message}
                           for f in report.findings]})
    else:
        for problem in report.checkpoint_problems:
            click.echo(f"CHECKPOINTS: {problem}")
        for finding in report.findings:
            click.echo(f"TAMPERED: {finding}")
        click.echo(f"{report.incidents} incident(s), {report.events} event(s), {report.admin_events} admin "
                   "action(s): " + ("chain intact" if not report.findings else
                                    f"{len(report.findings)} chain(s) broken"))
        if checkpoint_file is not None:
            click.echo(f"{report.checkpoint_lines} checkpoint(s) read"
                       + (f"; {report.unanchored} incident(s) in no checkpoint" if report.unanchored else ""))
    sys.exit(0 if report.ok else 1)


@audit.command(name="log")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@plan_option
@pass_json
@friendly
def admin_log(limit: int, plan_dir: str | None, as_json: bool) -> None:
    """The admin actions (people, tokens, subscribers removed, component statuses, triage), newest first."""
    rows = open_services(plan_dir).admin_events(limit)
    if as_json:
        emit([{"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "payload": r.payload}
              for r in rows])
        return
    table(["#", "WHEN", "WHO", "WHAT", "DETAILS"], [[r.seq, when(r.at), r.actor, r.action, r.payload] for r in rows])


@audit.command(name="rotate-key")
@actor_option
@plan_option
@pass_json
@friendly
def rotate_key(actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Key new events with a new HMAC key; older events keep verifying with the key they name."""
    from crisisplan.services import default_actor

    key_id = open_services(plan_dir).rotate_audit_key(actor or default_actor())
    emit({"current": key_id}) if as_json else click.echo(f"new audit key {key_id} is current; the old ones are kept")


@audit.command()
@actor_option
@plan_option
@pass_json
@friendly
def seal(actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Once, after an upgrade: key the events written before crisisplan kept a key (their chain checked first)."""
    from crisisplan.services import default_actor

    count = open_services(plan_dir).seal_unkeyed(actor or default_actor())
    emit({"sealed": count}) if as_json else click.echo(f"{count} event(s) keyed")


@audit.command(name="public-key")
@plan_option
@pass_json
@friendly
def public_key(plan_dir: str | None, as_json: bool) -> None:
    """The public key that signs the checkpoints (base64): give it to whoever keeps a copy of them."""
    key = open_services(plan_dir).checkpoint_log()[1]
    emit({"public_key": key}) if as_json else click.echo(key)
