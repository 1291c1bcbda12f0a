"""Delivery: the `worker` (due timers and the outbox), the `outbox` (list, retry dead letters) and
`export-site` (the public site as static files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from crisisplan.cli.shared import (
    emit,
    friendly,
    main,
    open_services,
    pass_json,
    plan_option,
    table,
)


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
@click.option("--pull-every", default=2.0, show_default=True, type=click.FloatRange(0, 86_400),
              help="Seconds between inbox pulls from the networks in plan.yaml `connectors:` (0: never); a "
                   "pull with nothing new is one request.")
@plan_option
@pass_json
@friendly
def worker(once: bool, interval: float, lease: float, batch: int, site: str | None, app_url: str,
           pull_every: float, plan_dir: str | None, as_json: bool) -> None:
    """Fire due timers and deliver the outbox with retries; on SIGTERM or Ctrl-C it finishes the message in
    hand, gives back the rest of its batch and exits. Run as many as you like: they share the work."""
    import signal
    import time
    from datetime import timedelta

    services = open_services(plan_dir)
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    totals = {"delivered": 0, "retried": 0, "dead": 0}
    exported: list[Any] = [None]  # the public stamp the static copy shows
    pulled_at = [float("-inf")]  # monotonic time of the last inbox pull

    def pull_inbox() -> None:
        if not pull_every or time.monotonic() - pulled_at[0] < pull_every or not services.inbox_connectors():
            return
        pulled_at[0] = time.monotonic()
        for result in services.pull_inbox():
            if not as_json and (result.new or result.error):
                click.echo(f"inbox {result.connector}: {result.new} new"
                           + (f"; cannot read it now: {result.error}" if result.error else ""))

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
        pull_inbox()
        done = services.deliver_due(lease=timedelta(seconds=lease), stopping=lambda: bool(stopping), limit=batch)
        for outcome in totals:
            totals[outcome] += getattr(done, outcome)
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
        emit(totals)


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
    files = _export(open_services(plan_dir), Path(directory), app_url)
    if as_json:
        emit({"directory": directory, "files": files})
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
    rows = open_services(plan_dir).outbox_messages(status)
    if as_json:
        emit([{"id": r.id, "post": r.post_id, "channel": r.channel, "status": r.status, "attempts": r.attempts,
                "next_attempt_at": r.next_attempt_at.isoformat(), "log": r.log} for r in rows])
        return
    table(["ID", "POST", "CHANNEL", "STATUS", "TRIES", "LAST"],
           [[str(r.id), str(r.post_id), r.channel, r.status, str(r.attempts),
             r.log[-1]["result"] if r.log else "-"] for r in rows])


@outbox_group.command(name="retry")
@click.argument("message_id", type=int)
@plan_option
@pass_json
@friendly
def outbox_retry(message_id: int, plan_dir: str | None, as_json: bool) -> None:
    """Put a dead message back in the queue."""
    open_services(plan_dir).retry_message(message_id)
