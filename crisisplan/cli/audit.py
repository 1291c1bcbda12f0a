"""The tamper-evident audit trail: `audit verify` checks every incident's hash chain.
"""

from __future__ import annotations

import sys

import click

from crisisplan.cli.shared import (
    emit,
    friendly,
    main,
    open_services,
    pass_json,
    plan_option,
)


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command()
@plan_option
@pass_json
@friendly
def verify(plan_dir: str | None, as_json: bool) -> None:
    """Check the hash chain of every incident; exit 1 naming the first bad event."""
    incidents, events, findings = open_services(plan_dir).verify_audit()
    if as_json:
        emit({"ok": not findings, "incidents": incidents, "events": events,
               "findings": [{"incident": f.incident_id, "seq": f.seq, "message": f.message}
                            for f in findings]})
    else:
        for finding in findings:
            click.echo(f"TAMPERED: {finding}")
        click.echo(f"{incidents} incident(s), {events} event(s): "
                   + ("chain intact" if not findings else f"{len(findings)} chain(s) broken"))
    sys.exit(1 if findings else 0)
