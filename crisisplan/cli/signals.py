"""Signals: `staffing`, the responders needed each hour by Erlang C; `signals list`, what came in and its answer.
"""

from __future__ import annotations

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
    when,
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
@click.option("--per-day", type=click.FloatRange(0), default=None, help="Contacts expected in a day.")
@click.option("--measured", is_flag=True,
              help="Instead of --per-day: the complaints of the last 30 days on record, hour by hour.")
@click.option("--handle-minutes", type=click.FloatRange(0.1), required=True, help="Minutes a contact takes.")
@click.option("--target-answer-minutes", type=click.FloatRange(0), default=15, show_default=True,
              help="Answer within this many minutes...")
@click.option("--service-level", type=click.FloatRange(0.01, 0.999), default=0.8, show_default=True,
              help="...for this share of contacts.")
@click.option("--hours", default="0-24", show_default=True, callback=_hours,
              help="Open hours, e.g. 8-20 (contacts are spread evenly over them).")
@plan_option
@pass_json
@friendly
def staffing(per_day: float | None, measured: bool, handle_minutes: float, target_answer_minutes: float,
             service_level: float, hours: range, plan_dir: str | None, as_json: bool) -> None:
    """Responders needed each hour (Erlang C), to answer SERVICE-LEVEL of contacts within the target."""
    from crisisplan.signals.staffing import plan_day, staff_hour

    if (per_day is None) == (not measured):
        raise click.UsageError("give either --per-day N (an estimate) or --measured (the load on record)")
    if measured:  # each hour's own measured rate: the day's shape as it was, not spread evenly
        load, _ = open_services(plan_dir).measured_load()
        day = [staff_hour(h, load.get(h, 0.0), handle_minutes, target_answer_minutes, service_level) for h in hours]
    else:
        day = plan_day(per_day or 0.0, handle_minutes, target_answer_minutes, service_level, hours)
    if as_json:
        emit({"hours": [vars(h) for h in day], "peak": max((h.agents for h in day), default=0)})
        return
    table(["HOUR", "CONTACTS", "ERLANGS", "RESPONDERS", "ANSWERED IN TIME", "WAIT AT ALL", "MEAN WAIT", "BUSY"],
           [[f"{h.hour:02d}:00", f"{h.contacts:.1f}", f"{h.traffic:.2f}", str(h.agents), f"{h.service_level:.1%}",
             f"{h.waiting:.1%}", f"{h.mean_wait_minutes:.1f} min", f"{h.occupancy:.0%}"] for h in day])
    click.echo(f"{sum(h.agents for h in day)} responder-hours; at most {max((h.agents for h in day), default=0)} "
               f"at once (Erlang C: {service_level:.0%} answered within {target_answer_minutes:g} min)")


@main.group(name="signals")
def signals_group() -> None:
    """Alerts and complaints received (`crisisplan signals list`)."""


@signals_group.command(name="list")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="The newest this many.")
@click.option("--channel", default=None, help="Only complaints that came in on this channel (email, social…).")
@plan_option
@pass_json
@friendly
def signals_list(limit: int, channel: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Signals received, newest first: channel, source id, triage (category, severity, language) and whether the
    complaint was answered (when), or by when its customer was told to expect an answer."""
    services = open_services(plan_dir)
    rows = services.signals(limit if not channel else 10_000)
    if channel:
        rows = [r for r in rows if (r.data or {}).get("channel") == channel][:limit]
    states = services.reply_states(rows)
    found = [_listed(row, states.get(row.id)) for row in rows]
    if as_json:
        emit(found)
        return
    if not found:
        click.echo("No signals yet.")
        return
    now = services.clock.now()
    table(["ID", "AT", "CHANNEL", "SOURCE ID", "CATEGORY", "SEVERITY", "LANG", "REPLY"],
          [[str(s["id"]), _past(s["at"], now), s["channel"], _short(s["source_id"]), s["triage"]["category"] or "-",
            s["triage"]["severity"] or "-", s["triage"]["locale"] or "-", _reply_words(s["reply"], now)]
           for s in found])


def _listed(row: Any, state: dict[str, Any] | None) -> dict[str, Any]:
    """One signal as `signals list --json` gives it."""
    data = row.data or {}
    triage, override = data.get("triage") or {}, data.get("override") or {}
    complaint = row.source == "complaint"
    reply = None
    if state:
        reply = {"state": state["state"], "answered_at": _iso(state.get("answered_at")),
                 "answer_by": _iso(state.get("answer_by")), "overdue": bool(state.get("overdue"))}
    return {"id": row.id, "source": row.source, "at": row.at.isoformat(),
            "channel": data.get("channel", "") if complaint else row.source, "source_id": row.source_id,
            "author": data.get("author", "") if complaint else "",
            "action": row.action, "incident": row.incident_id,
            "triage": {"category": triage.get("topic", ""), "severity": override.get("severity")
                       or triage.get("severity", ""), "legitimacy": override.get("legitimacy")
                       or triage.get("legitimacy", ""), "locale": triage.get("locale", "")},
            "reply": reply}


def _past(at: str, now: Any) -> str:
    """When something came in: the time (and day, when not today) in the organisation's zone, without "overdue"."""
    from datetime import datetime

    return when(datetime.fromisoformat(at), now).split(" (")[0]


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _reply_words(reply: dict[str, Any] | None, now: Any) -> str:
    from datetime import datetime

    if reply is None:
        return "-"
    if reply["state"] == "answered":
        return f"answered {_past(reply['answered_at'], now)}"
    if reply["state"] == "not_due":
        return "no reply (trolling)"
    by = reply["answer_by"]
    return "unanswered" + (f", due {when(datetime.fromisoformat(by), now)}" if by else "")  # "(5m overdue)" when late
