"""The inbox from the command line: `crisisplan inbox pull` reads the connected networks into signals."""

from __future__ import annotations

import click

from crisisplan.cli.shared import emit, fail, friendly, main, open_services, pass_json, plan_option

DEFAULT_PULL_SECONDS = 2.0  # the worker's schedule too: a mention waits this long at most before triage


@main.group(name="inbox")
def inbox_group() -> None:
    """Mentions and messages from the networks in plan.yaml `connectors:`."""


@inbox_group.command(name="pull")
@click.option("--once", is_flag=True, help="Read each network once, then exit.")
@click.option("--connector", default=None, help="Only this connector (as named in plan.yaml).")
@click.option("--every", default=DEFAULT_PULL_SECONDS, show_default=True, type=click.FloatRange(1, 86_400),
              help="Without --once: seconds between pulls.")
@plan_option
@pass_json
@friendly
def pull(once: bool, connector: str | None, every: float, plan_dir: str | None, as_json: bool) -> None:
    """Record what is new on each connected network as complaint signals (each mention once, triaged), from
    where the last pull stopped. Without --once it goes on every --every seconds until Ctrl-C or SIGTERM."""
    import signal
    import time

    services = open_services(plan_dir)
    if not services.inbox_connectors():
        fail("no network is connected: add one under `connectors:` in plan.yaml (see the README, 'Bluesky'), "
             "or set CRISISPLAN_IMAP_HOST for e-mail (the README, 'E-mail in')")
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    failed = False
    while not stopping:
        results = services.pull_inbox(connector)
        failed = any(r.error for r in results)
        if as_json:
            emit([r.as_dict() for r in results])
        for r in [] if as_json else results:
            said = f"{r.connector}: {r.new} new, {r.repeats} already recorded"
            said += f", {r.skipped} left out" if r.skipped else ""
            click.echo(said + (f"; cannot read it now: {r.error}" if r.error else ""))
            for problem in r.problems:
                click.echo(f"  left out {problem}")
        if once:
            break
        deadline = time.monotonic() + every
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)
    if once and failed:
        raise SystemExit(1)
