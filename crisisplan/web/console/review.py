"""After the incident: the post-incident review page (figures from the audit chain, the team's sections, its
state, its follow-up actions), follow-up actions across incidents, and response metrics with drill scores."""

from __future__ import annotations

from flask import Response, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from crisisplan.comms import metrics as figures
from crisisplan.comms import review_document as document
from crisisplan.comms.markdown import to_html
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, attempt, bp
from crisisplan.web.console.charts import bar_chart
from crisisplan.web.vocabulary import N_

SECTION_NAMES = ("went_well", "went_badly", "why")
# the metrics' figures as the console names them in the reader's language (the CSV keeps figures.DURATIONS' English)
DURATION_WORDS = {"acknowledge": N_("Time to acknowledge"), "first_public": N_("Time to first public post"),
                  "approval_wait": N_("Approval wait"), "resolve": N_("Time to resolve")}


@bp.app_template_filter("markdown")
def _markdown(text: str) -> Markup:
    return Markup(to_html(text))  # sanitised: only inert tags and http(s)/mailto/tel links survive


def _to_review(incident_id: int) -> Response:
    return redirect(url_for("console.review", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/review")
@require("viewer")
def review(incident_id: int) -> str:
    found = services().review(incident_id)
    owners = [p.name for p in services().plan.settings.people]
    sections = document.sections(found, _, str(get_locale()))  # the exports keep English; the page speaks the reader's
    labels = dict(zip(SECTION_NAMES, map(_, document.HEADINGS[3:6]), strict=True))
    return render_template("console/review.html", review=found, sections=sections, owners=owners, labels=labels,
                           today=found.now.date())


@bp.route("/incidents/<int:incident_id>/review.md", defaults={"fmt": "md"})
@bp.route("/incidents/<int:incident_id>/review.html", defaults={"fmt": "html"})
@bp.route("/incidents/<int:incident_id>/review.pdf", defaults={"fmt": "pdf"})
@require("viewer")
def review_file(incident_id: int, fmt: str) -> Response:
    found = services().review(incident_id)
    name = f"incident-{incident_id}-review.{fmt}"
    if fmt == "pdf":
        body, kind = document.to_pdf(found), "application/pdf"
    elif fmt == "html":
        body, kind = document.to_html_page(found).encode(), "text/html; charset=utf-8"
    else:
        body, kind = document.to_markdown(found).encode(), "text/markdown; charset=utf-8"
    return Response(body, content_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/incidents/<int:incident_id>/review", methods=["POST"])
@require("responder")
def review_write(incident_id: int) -> Response:
    sections = {name: request.form[name] for name in SECTION_NAMES if name in request.form}
    attempt(lambda: services().write_review(incident_id, sections, actor()), _("Review saved"))
    return _to_review(incident_id)


@bp.route("/incidents/<int:incident_id>/review/state", methods=["POST"])
@require("responder")
def review_state(incident_id: int) -> Response:
    to = request.form.get("state", "")
    attempt(lambda: services().move_review(incident_id, to, actor(), role=g.account.role), _("Review moved"))
    return _to_review(incident_id)


@bp.route("/incidents/<int:incident_id>/actions", methods=["POST"])
@require("responder")
def action_add(incident_id: int) -> Response:
    form = request.form
    attempt(lambda: services().add_action(incident_id, form.get("title", ""), form.get("owner", ""),
                                          form.get("due_on", ""), actor()), _("Follow-up action added"))
    return _to_review(incident_id)


@bp.route("/actions/<int:action_id>", methods=["POST"])
@require("responder")
def action_set(action_id: int) -> Response:
    attempt(lambda: services().change_action(action_id, actor(), state=request.form.get("state") or None),
            _("Follow-up action changed"))
    target = request.form.get("back", "")
    return redirect(target if target.startswith("/console/") else url_for("console.actions"))


@bp.route("/actions")
@require("viewer")
def actions() -> str:
    state = request.args.get("state") or None
    found = services().actions(state=state if state in ("open", "done", "dropped") else None)
    return render_template("console/actions.html", actions=found, today=services().clock.now().date(), state=state)


@bp.route("/actions.csv", defaults={"fmt": "csv"})
@bp.route("/actions.json", defaults={"fmt": "json"})
@require("viewer")
def actions_export(fmt: str) -> Response:
    body = services().export_actions(fmt)
    kind = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(body, content_type=kind,
                    headers={"Content-Disposition": f'attachment; filename="follow-up-actions.{fmt}"'})


@bp.route("/metrics")
@require("viewer")
def metrics() -> str:
    incidents = services().response_metrics()
    groups = {"by runbook": figures.grouped(incidents, lambda i: i.runbook),
              "by severity": figures.grouped(incidents, lambda i: i.severity),
              "per month": figures.grouped(incidents, lambda i: i.month)}
    charts = {}
    durations = [(key, _(DURATION_WORDS[key]) if key in DURATION_WORDS else label) for key, label in figures.DURATIONS]
    for key, label in durations:
        rows = [(g.name, figures.minutes(g.means[key])) for g in groups["per month"]]
        charts[key] = bar_chart(f"chart-{key}", _("%(figure)s, mean per month (minutes)", figure=label),
                                _("%(figure)s: the mean in minutes of the incidents declared each month; the table "
                                  "below gives the same figures.", figure=label), rows, "min")
    rates = [(g.name, None if g.promise_rate is None else round(100 * g.promise_rate)) for g in groups["per month"]]
    charts["promises"] = bar_chart("chart-promises", _("Promises kept per month (%)"),
                                   _("The share of next-update promises kept, per month; the table below gives the "
                                     "same figures."), rates, "%")
    history = services().drill_history()
    drilled: dict[str, list[int]] = {}
    for run in history:
        drilled.setdefault(run.runbook_id, []).append(run.score)
    runbooks = sorted(set(drilled) | {i.runbook for i in incidents})
    return render_template("console/metrics.html", incidents=incidents, groups=groups, charts=charts,
                           durations=durations, minutes=figures.minutes, drills=history,
                           drilled=drilled, runbooks=runbooks, by_runbook={g.name: g for g in groups['by runbook']})


@bp.route("/metrics.csv")
@require("viewer")
def metrics_csv() -> Response:
    return Response(services().metrics_csv(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="response-metrics.csv"'})


@bp.route("/incidents/<int:incident_id>/review.json")
@require("viewer")
def review_json(incident_id: int) -> Response:
    return jsonify(document.as_dict(services().review(incident_id)))
