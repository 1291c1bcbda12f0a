"""Signals: `staffing`, the responders needed each hour by Erlang C.
"""

from __future__ import annotations

from typing import Any

import click

from crisisplan.cli.shared import (
    emit,
    friendly,
    main,
    pass_json,
    table,
)


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
        emit({"hours": [vars(h) for h in day], "peak": max((h.agents for h in day), default=0)})
        return
    table(["HOUR", "CONTACTS", "ERLANGS", "RESPONDERS", "ANSWERED IN TIME", "WAIT AT ALL", "MEAN WAIT", "BUSY"],
           [[f"{h.hour:02d}:00", f"{h.contacts:.1f}", f"{h.traffic:.2f}", str(h.agents), f"{h.service_level:.1%}",
             f"{h.waiting:.1%}", f"{h.mean_wait_minutes:.1f} min", f"{h.occupancy:.0%}"] for h in day])
    click.echo(f"{sum(h.agents for h in day)} responder-hours; at most {max((h.agents for h in day), default=0)} "
               f"at once (Erlang C: {service_level:.0%} answered within {target_answer_minutes:g} min)")
