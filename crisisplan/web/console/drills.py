"""Drills in the console: the history and its trend, starting and scoring a live drill, its injects and sandbox."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from crisisplan.drills.scenario import check_scenarios
from crisisplan.web import public, services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, attempt, back, bp


@bp.route("/drills")
@require("viewer")
def drills() -> str:
    """Drill history per runbook, with the trend of the scores."""
    svc = services()
    scenarios, problems = check_scenarios(svc.plan)
    history: dict[str, list[Any]] = {}
    for row in svc.drill_history():
        history.setdefault(row.runbook_id, []).append(row)
    return render_template("console/drills.html", scenarios=scenarios, problems=problems, history=history,
                           trend=_trend)


def _trend(scores: list[int]) -> Markup:
    """A small inline chart of scores over time (0 at the bottom, 100 at the top)."""
    if len(scores) < 2:
        return Markup("")
    width, height = 160, 36
    step = width / (len(scores) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (s / 100) * (height - 4):.1f}" for i, s in enumerate(scores))
    return Markup(  # noqa: S704 - numbers only
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="score trend: {", ".join(map(str, scores))}"><polyline fill="none" stroke="#0b57b0" '
        f'stroke-width="2" points="{points}"/></svg>')


@bp.route("/incidents/<int:incident_id>/sandbox")
@require("viewer")
def drill_sandbox(incident_id: int) -> str:
    """What the status page would show for this drill: seen only here, behind the login."""
    found = services().public_incidents(drill_id=incident_id)
    if not found:
        abort(404, "not a drill, or nothing published in it yet")
    locale = request.args.get("lang") or services().plan.settings.default_locale
    return render_template("public/incident.html", **public.context(locale, True), incident=found[0],
                           sandbox=True)


@bp.route("/incidents/<int:incident_id>/injects.json")
@require("viewer")
def drill_injects(incident_id: int) -> Response:
    """The injects of a live drill so far, newest first: console.js shows new ones as they arrive."""
    injects = [json.loads(e.payload) | {"at": e.at.isoformat(), "seq": e.seq}
               for e in services().timeline(incident_id) if e.kind == "drill_inject"]
    return jsonify(list(reversed(injects)))


@bp.route("/drills/start", methods=["POST"])
@require("responder")
def drill_start() -> Response:
    holder: list[Any] = []
    try:
        speed = float(request.form.get("speed", "1") or 1)
    except ValueError:
        flash(_("speed: a number such as 1 or 10"), "error")
        return redirect(url_for("console.drills"))
    if attempt(lambda: holder.append(services().start_drill(request.form.get("scenario", ""), actor(), speed)),
               "Live drill started: injects will appear on this page."):
        return redirect(url_for("console.incident", incident_id=holder[0].id))
    return redirect(url_for("console.drills"))


@bp.route("/incidents/<int:incident_id>/finish-drill", methods=["POST"])
@require("responder")
def drill_finish(incident_id: int) -> Response:
    holder: list[Any] = []
    if attempt(lambda: holder.append(services().finish_drill(incident_id, actor())), _("Drill scored.")):
        flash(_("Score: %(score)s/100; see the drill history.", score=holder[0][1].score))
        return redirect(url_for("console.drills"))
    return back(incident_id)
