"""The console's front page: every open incident, the most urgent first; and the form to declare one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from crisisplan.errors import CrisisplanError
from crisisplan.plan.defaults import incident_runbooks
from crisisplan.services import ACK_TIMER, UPDATE_TIMER, IncidentView
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, bp, now
from crisisplan.web.console.quick import severity_choices


def _urgency(view: IncidentView) -> tuple[int, datetime]:
    """Promises broken or at risk first, then the nearest deadline."""
    rank = {"broken": 0, "at_risk": 1}
    worst = min(rank.get(view.promise or "", 9), rank.get(view.acknowledgement or "", 9))
    nearest = min((d.due_at for d in view.deadlines), default=datetime.max.replace(tzinfo=now().tzinfo))
    return worst, nearest


@bp.route("/")
@require("viewer")
def dashboard() -> str:
    number = request.args.get("page", "1")
    wanted = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1
    page = services().dashboard_page(wanted, _urgency)
    mine = [(post, incident) for post, incident in page.waiting if _for(post)]
    return render_template("console/dashboard.html", views=page.views, ACK=ACK_TIMER, UPDATE=UPDATE_TIMER,
                           waiting=[item for item in page.waiting if item not in mine], mine=mine, page=page,
                           choices=severity_choices(services().plan))


def _for(post: Any) -> bool:
    """Whether a post waiting for approval waits for the person looking: an approver who neither wrote it nor
    approved it yet."""
    return g.account.may("approver") and post.author != actor() and all(a["by"] != actor() for a in post.approvals)


@bp.route("/declare", methods=["GET", "POST"])
@require("responder")
def declare() -> Any:
    plan = services().plan
    form = request.form if request.method == "POST" else request.args
    runbook = _chosen_runbook(plan, form.get("runbook", ""))
    if request.method == "POST" and form.get("runbook") and form.get("runbook") != getattr(runbook, "id", None):
        flash(f"runbook: no runbook '{form.get('runbook', '')[:40]}' to declare on; pick one of the list", "error")
        return render_template("console/declare.html", plan=plan, form=form, runbook=runbook,
                               chosen=form.getlist("components")), 422
    if request.method == "GET" or form.get("step") == "runbook" or runbook is None:
        # the first step (or the second without JavaScript: the runbook picked, now its severities)
        return render_template("console/declare.html", plan=plan, form=form, runbook=runbook,
                               chosen=form.getlist("components"))
    severity = form.get("severity", "")
    if severity not in {s.name for s in runbook.severities}:
        # a severity of another runbook (the runbook changed without JavaScript): ask, refuse nothing yet
        flash(f"Pick a severity of the {runbook.title} runbook.", "error")
        return render_template("console/declare.html", plan=plan, form=form, runbook=runbook,
                               chosen=form.getlist("components")), 422
    try:
        impact = form.get("impact", "").strip()
        view = services().declare(runbook.id, severity, form.get("title", ""), actor(), form.getlist("components"),
                                  {"impact": impact} if impact else None,
                                  is_drill=form.get("drill") == "on", translations=_translations(plan, form))
    except CrisisplanError as error:
        flash(str(error), "error")
        return render_template("console/declare.html", plan=plan, form=form, runbook=runbook,
                               chosen=form.getlist("components")), 422
    flash(f"Incident #{view.id} declared; the acknowledgement is drafted.")
    return redirect(url_for("console.incident", incident_id=view.id))


def _chosen_runbook(plan: Any, wanted: str) -> Any:
    """The runbook the form names if incidents are declared on it, else the plan's default runbook."""
    choices = {rb.id: rb for rb in incident_runbooks(plan.runbooks)}
    return choices.get(wanted) or plan.default_runbook()


def _translations(plan: Any, form: Any) -> dict[str, dict[str, str]]:
    """The form's `title_es` and `impact_es` (one pair a language other than the default) as translations."""
    result: dict[str, dict[str, str]] = {}
    for locale in plan.settings.locales:
        if locale == plan.settings.default_locale:
            continue
        words = {name: form.get(f"{name}_{locale}", "").strip() for name in ("title", "impact")}
        if words["impact"] and not form.get("impact", "").strip():
            words["impact"] = ""  # a translation of nothing: the default language leads
        if any(words.values()):
            result[locale] = {k: v for k, v in words.items() if v}
    return result
