"""The web app: `serve` the console, the status page and the API; `demo` prepares a first look; `migrate`
brings the database to the newest schema, as a deployment step.
"""

from __future__ import annotations

import os
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes of the HTTP server.")
@click.option("--server", type=click.Choice(["granian", "gunicorn"]), default="granian", show_default=True,
              help="HTTP server; granian is the measured choice (benchmarks/status_page.py).")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 256),
              help="Python threads a worker (granian).")
@click.option("--backpressure", default=1024, show_default=True, type=click.IntRange(1, 100_000),
              help="Connections a worker serves at once (granian); the next ones wait to be accepted.")
@plan_option
@friendly
def serve(host: str, port: int, workers: int, server: str, threads: int, backpressure: int,
          plan_dir: str | None) -> None:
    """Run the console, the public status page and the API."""
    from crisisplan.services.accounts import Accounts

    services = open_services(plan_dir)  # validates the plan and migrates the database before any worker starts
    os.environ["CRISISPLAN_PLAN"] = str(services.plan.root)
    os.environ.setdefault("CRISISPLAN_TICK_SECONDS", "5")  # timers fire while the app runs
    os.environ.setdefault("CRISISPLAN_TONE_WARM_UP", "1")  # each worker loads the tone checks' dictionaries at start
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
    # fights over the GIL (p99 250 ms at 256 connections); two threads keep p99 under 10 ms. granian's
    # backpressure counts open connections, not requests: at 64 a worker, browsers holding keep-alive
    # connections beyond 128 were never answered (benchmarks/load.py: 500 readers, minute-long timeouts)
    os.environ[MASTER_ENV] = str(os.getpid())  # each worker ties its life to this process (worker_app)
    Granian("crisisplan.cli.serve:worker_app", address=host, port=port, workers=workers, interface=Interfaces.WSGI,
            factory=True, log_level="warning", blocking_threads=threads, backpressure=backpressure).serve()


@main.command()
@plan_option
@pass_json
@friendly
def migrate(plan_dir: str | None, as_json: bool) -> None:
    """Bring the database to the newest schema: the deployment step before starting servers and workers
    (they migrate too unless CRISISPLAN_MIGRATE=manual; any number may start at once)."""
    from crisisplan.services.schema import migrate_database

    before, after = migrate_database(plan_dir)
    if as_json:
        emit({"before": before, "after": after})
    else:
        click.echo(f"database at migration {after}" + (f" (was {before or 'empty'})" if before != after else
                                                       " (nothing to do)"))


MASTER_ENV = "CRISISPLAN_SERVE_MASTER"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def worker_app():  # noqa: ANN201 - a Flask app, built in each granian worker process
    """The app of one `serve` worker, which dies with its master: a master killed outright (kill -9) must not
    leave workers serving the port with the old code and secrets."""
    die_with_master()
    from crisisplan.web import create_app

    return create_app()


def die_with_master() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (PR_SET_PDEATHSIG); if the master is already
    gone, leave now."""
    import ctypes
    import signal

    master = os.environ.get(MASTER_ENV, "")
    if not master.isdigit() or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(master):  # the master died before the line above: nobody would signal us
        os._exit(1)


@main.command()
@plan_option
@pass_json
@friendly
def demo(plan_dir: str | None, as_json: bool) -> None:
    """Prepare a first look: an admin to log in with and one public sample incident (only when empty)."""
    from crisisplan.services import instance_dir
    from crisisplan.services.accounts import Accounts

    services = open_services(plan_dir)
    accounts = Accounts(services.db)
    secret_file = instance_dir(services.plan.root) / "admin-password.txt"
    if not accounts.has_users():
        _, password = accounts.add_user("admin", "admin")
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.touch(mode=0o600)
        secret_file.write_text(password + "\n", encoding="utf-8")
    if not services.status(include_closed=True):
        from crisisplan.services.sample_uptime import upcoming_maintenance, uptime_history

        uptime_history(services)  # first: the record of the days before everything else
        # every public word in each language of the shipped plan (English, Spanish)
        # sev3 (no second approver): the demo has one person, who can then take it to its end from the console
        view = services.declare(
            "outage", "sev3", "Search is slow for some customers", "demo", ["website"],
            {"impact": "Searches take up to a minute; orders and payments work."},
            translations={"es": {"title": "La búsqueda va lenta para algunos clientes",
                                 "impact": "Las búsquedas tardan hasta un minuto; los pedidos y los pagos funcionan."}})
        ack = services.posts(view.id)[0]
        services.submit_post(ack.id, "demo")
        services.approve_post(ack.id, "admin")
        services.publish_post(ack.id, "demo")
        if services.get(view.id).state == services.machine("outage").runbook.initial:  # the step, when not taken
            services.trigger(view.id, "acknowledge", "demo")
        if not as_json:
            click.echo(f"declared a sample incident (#{view.id}) and published its acknowledgement")
        from crisisplan.services.sample import past_incident

        done = past_incident(services)
        if not as_json:
            click.echo(f"played a past incident (#{done}) with its post-incident review and follow-up actions")
        window = upcoming_maintenance(services)
        if not as_json:
            click.echo(f"scheduled a maintenance window (#{window}) and played 89 days of uptime history")
    if as_json:
        emit({"admin_password_file": str(secret_file) if secret_file.exists() else None,
               "incidents": len(services.status(include_closed=True))})
        return
    click.echo("log in as admin with the password in " + (str(secret_file) if secret_file.exists() else
               "the file you kept when you created the first admin"))
    if secret_file.exists():
        click.echo(f"  admin password: {secret_file.read_text(encoding='utf-8').strip()}")
