"""Signals in: alerts and complaints received, a complaint by hand or by CSV, overrides; and staffing."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from crisisplan import textgate
from crisisplan.errors import InvalidInput
from crisisplan.signals.staffing import staff_hour
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, bp, when

METRICS_DAYS = 30  # responsiveness and the measured load: the last 30 days


@bp.route("/signals")
@require("viewer")
def signals() -> str:
    def number(name: str, default: float, low: float, high: float) -> float:
        try:
            return min(max(float(request.args.get(name, default)), low), high)
        except ValueError:
            return default

    handle, target = number("handle", 12, 0.5, 240), number("target", 15, 0, 1440)
    level = number("level", 0.8, 0.05, 0.99)
    load, days = services().measured_load(METRICS_DAYS)  # the load measured over the same window as below
    staffing = [staff_hour(h, load[h], handle, target, level) for h in sorted(load)]
    rows = services().signals()
    return render_template("console/signals.html", rows=rows, staffing=staffing, days=days,
                           told=services().customer_times(rows), replies=services().reply_states(rows),
                           responsiveness=services().responsiveness(METRICS_DAYS), metrics_days=METRICS_DAYS,
                           handle=handle, target=target, level=level)


@bp.route("/signals/complaint", methods=["POST"])
@require("responder")
def signal_add() -> Response:
    form = request.form
    reach = textgate.parse_int(form.get("reach") or 0, "reach", 0, 10**11)
    at = when(form.get("at", ""), "at")  # the browser's datetime-local: the organisation's time zone
    row, new = services().receive_complaint(form.get("channel", ""), form.get("author", ""), reach,
                                            form.get("text", ""), form.get("link", ""), at, actor=actor())
    flash(f"Recorded as signal {row.id}: {row.action}." if new else f"Already recorded as signal {row.id}.", "ok")
    return redirect(url_for("console.signals"))


@bp.route("/signals/import", methods=["POST"])
@require("responder")
def signal_import() -> Response:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to import", field="file")
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{upload.filename} is not UTF-8 text; save it as CSV UTF-8", field="file") from None
    counts = services().import_complaints(text, upload.filename, actor())
    flash(f"Imported {counts['new']} complaint(s); {counts['duplicates']} were known already.", "ok")
    return redirect(url_for("console.signals"))


@bp.route("/signals/<int:signal_id>/override", methods=["POST"])
@require("communicator")
def signal_override(signal_id: int) -> Response:
    changes = {k: v for k, v in request.form.items() if k in ("severity", "legitimacy") and v}
    services().override_triage(signal_id, changes, actor())
    flash(f"Signal {signal_id}: your judgement is kept beside the assessment.", "ok")
    return redirect(url_for("console.signals"))
