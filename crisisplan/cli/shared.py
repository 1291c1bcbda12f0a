"""The `main` group and what every command shares: the common options, errors shown as one clear line,
and output (JSON for scripts, tables and times for people).

Services are imported lazily, inside the commands, so that `--help` stays fast.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from crisisplan.duration import format_duration
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
    help="Promise the next update at this time (45m, 2h, 14:30 or an ISO time; without a zone, the organisation's) "
         "instead of the severity's cadence.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crisisplan")
def main() -> None:
    """crisisplan: run your crisis communication plan as software.

    The plan is runbooks/ (YAML) and templates/ (Jinja2 + Markdown) in a plan
    directory; incidents live in CRISISPLAN_DATABASE_URL (default: an SQLite
    file in <plan>/instance/).
    """


def fail(message: str, code: int = 1) -> None:
    """Print `error: message` on stderr and exit with `code`."""
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
            fail(f"the plan has {len(error.problems)} problem(s); fix them and run again")
        except CrisisplanError as error:
            fail(str(error), error.exit_code)

    return run


def open_services(plan_dir: str | None):  # noqa: ANN201 - imported lazily for a fast --help
    """The plan loaded and its database opened: the one way in for every command."""
    from crisisplan.services import Services

    services = Services.open(plan_dir)
    _shown["time_zone"] = services.plan.settings.organisation.time_zone  # `when` writes times in it
    return services


# the zone `when` shows times in: the organisation's, once a command has opened the plan (UTC before that)
_shown = {"time_zone": "UTC"}


def actor_name(actor: str | None) -> str:
    """Who is acting: --as, else the OS user name."""
    from crisisplan.services import default_actor

    return actor or default_actor()


def pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """FIELD=VALUE arguments as a dict."""
    result = {}
    for item in values:
        if "=" not in item:
            raise CrisisplanError(f"{option} takes FIELD=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        result[key.strip()] = value
    return result


def emit(data: Any) -> None:
    """Print data as JSON for scripts."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def when(moment: datetime | None, now: datetime | None = None) -> str:
    """A moment as people read it in a terminal, in the organisation's time zone with its label, the one the
    status page and the posts use: `14:05 UTC+1 (in 20m)` or `13:40 UTC+1 (5m overdue)`."""
    if moment is None:
        return "-"
    now = now or datetime.now(UTC)
    delta = moment - now
    relative = f"in {format_duration(delta)}" if delta.total_seconds() >= 0 else \
        f"{format_duration(-delta)} overdue"
    from zoneinfo import ZoneInfo

    from crisisplan.comms.render import zone_label

    zone = _shown["time_zone"]
    local = moment.astimezone(ZoneInfo(zone))
    day = "" if local.date() == now.astimezone(ZoneInfo(zone)).date() else local.strftime(" %d %b")
    return f"{local:%H:%M} {zone_label(moment, zone)}{day} ({relative})"


def table(headers: list[str], rows: list[list[str]]) -> None:
    """Print rows under headers, in columns."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    click.echo(line.rstrip())
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


def read_time(services: Any, text: str, option: str) -> datetime:
    """What a person typed for a time option (45m, 14:30 or an ISO time), by the one rule of `crisisplan.moment`:
    without a zone, the organisation's time zone."""
    from crisisplan.moment import parse_moment

    return parse_moment(text, services.plan.settings.organisation.time_zone, services.clock.now(), option)
