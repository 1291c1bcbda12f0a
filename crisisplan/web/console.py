"""The operator console: dashboard, declare, incident page, post editor, timeline, plan browser, people.

Every action is a plain HTML form (works without JavaScript); console.js only
adds live tone checks and countdowns. Every change goes through `Services`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from crisisplan.comms.channels import CHANNELS
from crisisplan.comms.delivery import PRIMARY, verdict
from crisisplan.comms.markdown import to_html
from crisisplan.comms.render import format_moment
from crisisplan.comms.tone import Context, check
from crisisplan.duration import format_duration, parse_duration
from crisisplan.errors import CrisisplanError, InvalidInput
from crisisplan.plan.diagram import runbook_svg
from crisisplan.services import ACK_TIMER, UPDATE_TIMER, IncidentView
from crisisplan.web import accounts, services
from crisisplan.web.auth import require

bp = Blueprint("console", __name__, url_prefix="/console")
AMBER = timedelta(minutes=5)  # a deadline this close turns amber; past it, red


def actor() -> str:
    return g.account.name


def _now() -> datetime:
    return services().clock.now()


def _version(field: str = "version") -> int | None:
    raw = request.form.get(field, "")
    return int(raw) if raw.isdigit() else None


def _back(incident_id: int) -> Response:
    return redirect(url_for("console.incident", incident_id=incident_id))


def _attempt(action: Any, success: str) -> bool:
    """Run a change; flash what happened. A refused change says why and changes nothing."""
    try:
        action()
    except CrisisplanError as error:
        flash(str(error), "error")
        return False
    flash(success)
    return True


@bp.app_template_filter("moment")
def _moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    settings = services().plan.settings
    return format_moment(value, settings.default_locale, settings.organisation.time_zone, _now())


@bp.app_template_global()
def due_class(value: datetime | None) -> str:
    if value is None:
        return ""
    left = value - _now()
    return "red" if left <= timedelta(0) else "amber" if left <= AMBER else ""


@bp.app_template_global()
def due_text(value: datetime | None) -> str:
    if value is None:
        return "-"
    left = value - _now()
    if left <= timedelta(0):
        return f"{format_duration(-left)} overdue"
    return f"in {format_duration(left)}"


def _urgency(view: IncidentView) -> tuple[int, datetime]:
    """Promises broken or at risk first, then the nearest deadline."""
    rank = {"broken": 0, "at_risk": 1}
    worst = min(rank.get(view.promise or "", 9), rank.get(view.acknowledgement or "", 9))
    nearest = min((d.due_at for d in view.deadlines), default=datetime.max.replace(tzinfo=_now().tzinfo))
    return worst, nearest


# dashboard -------------------------------------------------------------------
@bp.route("/")
@require("viewer")
def dashboard() -> str:
    views = sorted(services().status(), key=_urgency)
    return render_template("console/dashboard.html", views=views, ACK=ACK_TIMER, UPDATE=UPDATE_TIMER)


@bp.route("/declare", methods=["GET", "POST"])
@require("responder")
def declare() -> Any:
    plan = services().plan
    if request.method == "POST":
        form = request.form
        try:
            view = services().declare(form.get("runbook", ""), form.get("severity", ""), form.get("title", ""),
                                      actor(), form.getlist("components"), is_drill=form.get("drill") == "on")
        except CrisisplanError as error:
            flash(str(error), "error")
            return render_template("console/declare.html", plan=plan, form=form,
                                   chosen=form.getlist("components")), 422
        flash(f"Incident #{view.id} declared; the acknowledgement is drafted.")
        return redirect(url_for("console.incident", incident_id=view.id))
    return render_template("console/declare.html", plan=plan, form={}, chosen=[])


# incident --------------------------------------------------------------------
@bp.route("/incidents/<int:incident_id>")
@require("viewer")
def incident(incident_id: int) -> str:
    svc = services()
    view = svc.get(incident_id)
    runbook = svc.plan.runbook(view.runbook_id)
    from crisisplan.web.public import component_statuses

    statuses = component_statuses(svc.public_incidents())
    labels = {c.name: c.label for c in svc.plan.settings.components}
    components = [(labels.get(c, c), statuses.get(c, "operational")) for c in view.components]
    injects = [json.loads(e.payload) | {"at": e.at} for e in svc.timeline(incident_id) if e.kind == "drill_inject"]
    return render_template("console/incident.html", view=view, runbook=runbook, posts=svc.posts(incident_id),
                           components=components, injects=list(reversed(injects)),
                           live=svc.incident(incident_id).drill,
                           promises=svc.promises(incident_id), kinds=sorted(svc.plan.kinds()),
                           fields=runbook.fields, roles=runbook.roles, ACK=ACK_TIMER, UPDATE=UPDATE_TIMER)


@bp.route("/incidents/<int:incident_id>/diagram.svg")
@require("viewer")
def diagram(incident_id: int) -> Response:
    view = services().get(incident_id)
    return _svg(runbook_svg(services().plan.runbook(view.runbook_id), view.state))


def _svg(body: bytes) -> Response:
    # a drawing, not a document: no script runs in an <img>, and the CSP forbids it anyway
    return Response(body, content_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@bp.route("/incidents/<int:incident_id>/trigger", methods=["POST"])
@require("responder")
def trigger(incident_id: int) -> Response:
    name = request.form.get("trigger", "")
    _attempt(lambda: services().trigger(incident_id, name, actor(), expected_version=_version()), f"Done: {name}.")
    return _back(incident_id)


@bp.route("/incidents/<int:incident_id>/fields", methods=["POST"])
@require("responder")
def fields(incident_id: int) -> Response:
    known = {f.name for f in services().plan.runbook(services().get(incident_id).runbook_id).fields}
    values = {k.removeprefix("field_"): v for k, v in request.form.items() if k.removeprefix("field_") in known
              and k.startswith("field_")}
    _attempt(lambda: services().set_fields(incident_id, values, actor(), expected_version=_version()),
             "Fields saved.")
    return _back(incident_id)


@bp.route("/incidents/<int:incident_id>/roles", methods=["POST"])
@require("responder")
def roles(incident_id: int) -> Response:
    _attempt(lambda: services().assign_role(incident_id, request.form.get("role", ""),
                                            request.form.get("person", ""), actor(), expected_version=_version()),
             "Role assigned.")
    return _back(incident_id)


@bp.route("/incidents/<int:incident_id>/checklist", methods=["POST"])
@require("responder")
def checklist(incident_id: int) -> Response:
    item = request.form.get("item", "")
    if not item.isdigit():
        flash("item: which checklist item (a number)", "error")
        return _back(incident_id)
    _attempt(lambda: services().check_item(incident_id, int(item), actor(), request.form.get("done") != "0",
                                           expected_version=_version()), "Checklist updated.")
    return _back(incident_id)


@bp.route("/incidents/<int:incident_id>/severity", methods=["POST"])
@require("responder")
def severity(incident_id: int) -> Response:
    _attempt(lambda: services().set_severity(incident_id, request.form.get("severity", ""), actor(),
                                             expected_version=_version()), "Severity changed.")
    return _back(incident_id)


@bp.route("/incidents/<int:incident_id>/posts", methods=["POST"])
@require("communicator")
def draft(incident_id: int) -> Response:
    holder: list[Any] = []
    if _attempt(lambda: holder.append(services().draft_post(incident_id, request.form.get("kind", ""), actor())),
                "Drafted."):
        return redirect(url_for("console.post", post_id=holder[0].id))
    return _back(incident_id)


# timeline --------------------------------------------------------------------
def _events(incident_id: int) -> list[dict[str, Any]]:
    wanted = set(request.args.getlist("kind")) - {""}
    return [{"seq": e.seq, "at": e.at, "actor": e.actor, "kind": e.kind, "payload": json.loads(e.payload)}
            for e in services().timeline(incident_id) if not wanted or e.kind in wanted]


@bp.route("/incidents/<int:incident_id>/timeline")
@require("viewer")
def timeline(incident_id: int) -> str:
    view = services().get(incident_id)
    every = sorted({e.kind for e in services().timeline(incident_id)})
    checked, broken = services().verify_incident_audit(incident_id)
    return render_template("console/timeline.html", view=view, events=_events(incident_id), kinds=every,
                           chosen=request.args.getlist("kind"), checked=checked, broken=broken)


@bp.route("/incidents/<int:incident_id>/timeline.md")
@require("viewer")
def timeline_markdown(incident_id: int) -> Response:
    view = services().get(incident_id)
    lines = [f"# Incident #{view.id}: {view.title}", "", f"Runbook {view.runbook_id}, severity {view.severity}, "
             f"state {view.state_label}.", "", "| # | time (UTC) | who | what | details |", "|---|---|---|---|---|"]
    for e in _events(incident_id):
        details = ", ".join(f"{k}={v}" for k, v in sorted(e["payload"].items()) if k != "diff")
        cells = [str(e["seq"]), e["at"].strftime("%Y-%m-%d %H:%M:%S"), e["actor"], e["kind"], details]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return Response("\n".join(lines) + "\n", content_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="incident-{incident_id}-timeline.md"'})


# posts -----------------------------------------------------------------------
def _post_page(post_id: int, texts: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    svc = services()
    row = svc.post(post_id)
    incident_ = svc.incident(row.incident_id)
    checks = svc.post_checks(row, incident_)
    channels = row.channels if row.status == "published" and row.channels else verdict(checks)
    view = svc.get(row.incident_id)
    policy = svc.policy(incident_)
    return render_template(
        "console/post.html", post=row, view=view, checks=checks, channels=channels, policy=policy,
        locales=svc.plan.settings.locales, texts=texts or {}, CHANNELS=CHANNELS, PRIMARY=PRIMARY,
        preview={loc: Markup(to_html(text)) for loc, text in row.bodies.items()},  # noqa: S704 - nh3-sanitised
        may_approve=g.account.may("approver") and row.status == "in_review"
        and not (policy == "two" and row.author == actor()),
    ), status


@bp.route("/posts/<int:post_id>")
@require("viewer")
def post(post_id: int) -> tuple[str, int]:
    return _post_page(post_id)


def _when(raw: str) -> datetime | None:
    """A duration from now (45m) or a local date-time from the form, read in the plan's time zone."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return _now() + parse_duration(raw)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"'{raw}' is neither a duration (45m, 2h) nor a date and time", "next_update") from None
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo(services().plan.settings.organisation.time_zone))
    return moment


@bp.route("/posts/<int:post_id>/edit", methods=["POST"])
@require("communicator")
def edit(post_id: int) -> Any:
    svc = services()
    row = svc.post(post_id)
    texts = {k: v.replace("\r\n", "\n") for k, v in request.form.items() if k.startswith(("body_", "short_"))}
    try:
        promise = _when(request.form.get("next_update", ""))
        version = _version()
        changes = [(loc, False, texts[f"body_{loc}"]) for loc in row.bodies if f"body_{loc}" in texts
                   and texts[f"body_{loc}"] != row.bodies.get(loc)]
        changes += [(loc, True, texts[f"short_{loc}"]) for loc in (row.short_bodies or {})
                    if f"short_{loc}" in texts and texts[f"short_{loc}"] != row.short_bodies.get(loc)]
        if not changes and promise is None:
            flash("Nothing changed.")
            return redirect(url_for("console.post", post_id=post_id))
        for i, (locale, short, text) in enumerate(changes or [(None, False, None)]):
            svc.edit_post(post_id, text, actor(), locale, short, promise if i == 0 else None,
                          expected_version=version)
            version = None  # the first change checked what you saw; the rest follow it
    except CrisisplanError as error:
        flash(str(error), "error")
        return _post_page(post_id, texts, 409 if "changed since" in str(error) else 422)
    flash("Saved. Any approval was withdrawn: the text changed.")
    return redirect(url_for("console.post", post_id=post_id))


def _review(post_id: int, action: Any, success: str) -> Response:
    _attempt(action, success)
    return redirect(url_for("console.post", post_id=post_id))


@bp.route("/posts/<int:post_id>/submit", methods=["POST"])
@require("communicator")
def submit(post_id: int) -> Response:
    return _review(post_id, lambda: services().submit_post(post_id, actor()), "Submitted for review.")


@bp.route("/posts/<int:post_id>/approve", methods=["POST"])
@require("approver")
def approve(post_id: int) -> Response:
    return _review(post_id, lambda: services().approve_post(post_id, actor()), "Approved.")


@bp.route("/posts/<int:post_id>/reject", methods=["POST"])
@require("approver")
def reject(post_id: int) -> Response:
    return _review(post_id, lambda: services().reject_post(post_id, actor(), request.form.get("comment", "")),
                   "Sent back to the author.")


@bp.route("/posts/<int:post_id>/publish", methods=["POST"])
@require("communicator")
def publish(post_id: int) -> Response:
    def go() -> None:
        at = _when(request.form.get("at", ""))
        services().publish_post(post_id, actor(), at)

    return _review(post_id, go, "Published." if not request.form.get("at") else "Scheduled.")


@bp.route("/posts/<int:post_id>/redraft", methods=["POST"])
@require("communicator")
def redraft(post_id: int) -> Response:
    return _review(post_id, lambda: services().redraft_post(post_id, actor()), "Written again from the templates.")


@bp.route("/lint", methods=["POST"])
@require("viewer")
def lint() -> Response:
    """Live tone check for the editor: findings and length of a text on a channel."""
    from crisisplan.comms.channels import render

    data = request.get_json(silent=True) or {}
    text, locale = str(data.get("text", "")), str(data.get("locale", "en"))
    channel = str(data.get("channel", PRIMARY))
    if channel not in CHANNELS:
        error = {"code": "invalid", "message": f"unknown channel '{channel}'", "field": "channel"}
        return jsonify({"error": error}), 422
    post_id = data.get("post")
    if isinstance(post_id, int):
        row = services().post(post_id)
        ctx = services().tone_context(services().incident(row.incident_id), locale, row.kind, channel)
    else:
        tone = services().plan.settings.tone
        ctx = Context(locale=locale, kind=data.get("kind"), channel=channel, jargon=tuple(tone.jargon),
                      block=tuple(tone.block))
    rendering = render(text, channel)
    findings = check(text, ctx, rendering)
    return jsonify({"findings": [f.as_dict() for f in findings], "length": rendering.length,
                    "limit": rendering.limit, "unit": rendering.unit, "over_limit": rendering.over_limit,
                    "summary": rendering.summary()})


# plan ------------------------------------------------------------------------
@bp.route("/plan")
@require("viewer")
def plan() -> str:
    from crisisplan.comms.samples import template_problems
    from crisisplan.plan.load import check_plan

    svc = services()
    _, problems = check_plan(svc.plan.root)
    problems += template_problems(svc.plan)
    templates = sorted((loc, rb, kind, path.relative_to(svc.plan.root / "templates").as_posix())
                       for (loc, rb, kind), path in svc.plan.templates.items())
    return render_template("console/plan.html", plan=svc.plan, problems=problems, templates=templates)


@bp.route("/plan/runbooks/<runbook_id>/diagram.svg")
@require("viewer")
def runbook_diagram(runbook_id: str) -> Response:
    return _svg(runbook_svg(services().plan.runbook(runbook_id)))


@bp.route("/plan/templates/<path:name>")
@require("viewer")
def template_source(name: str) -> str:
    svc = services()
    known = {path.relative_to(svc.plan.root / "templates").as_posix(): path for path in svc.plan.templates.values()}
    if name not in known:
        abort(404)
    return render_template("console/template.html", name=name, source=known[name].read_text(encoding="utf-8"))


# drills ----------------------------------------------------------------------
@bp.route("/drills")
@require("viewer")
def drills() -> str:
    """Drill history per runbook, with the trend of the scores."""
    from crisisplan.drills.scenario import check_scenarios

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
    from crisisplan.web import public

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


@bp.route("/posts/<int:post_id>/cap.xml")
@require("viewer")
def post_cap(post_id: int) -> Response:
    """The CAP document of a published post, drills included (they say Exercise): never public for a drill."""
    from crisisplan.web import cap

    row = services().post(post_id)
    drill = services().get(row.incident_id).is_drill
    found = cap.find(post_id, drill_id=row.incident_id if drill else None)
    if not found:
        abort(404, "only a published post has a CAP document")
    return Response(cap.alert(*found, drill=drill), content_type=cap.CONTENT_TYPE)


@bp.route("/drills/start", methods=["POST"])
@require("responder")
def drill_start() -> Response:
    holder: list[Any] = []
    try:
        speed = float(request.form.get("speed", "1") or 1)
    except ValueError:
        flash("speed: a number such as 1 or 10", "error")
        return redirect(url_for("console.drills"))
    if _attempt(lambda: holder.append(services().start_drill(request.form.get("scenario", ""), actor(), speed)),
                "Live drill started: injects will appear on this page."):
        return redirect(url_for("console.incident", incident_id=holder[0].id))
    return redirect(url_for("console.drills"))


@bp.route("/incidents/<int:incident_id>/finish-drill", methods=["POST"])
@require("responder")
def drill_finish(incident_id: int) -> Response:
    holder: list[Any] = []
    if _attempt(lambda: holder.append(services().finish_drill(incident_id, actor())), "Drill scored."):
        flash(f"Score: {holder[0][1].score}/100; see the drill history.")
        return redirect(url_for("console.drills"))
    return _back(incident_id)


# signals in: alerts, complaints; staffing ---------------------------------------
@bp.route("/signals")
@require("viewer")
def signals() -> str:
    from crisisplan.signals.staffing import staff_hour

    def number(name: str, default: float, low: float, high: float) -> float:
        try:
            return min(max(float(request.args.get(name, default)), low), high)
        except ValueError:
            return default

    handle, target = number("handle", 12, 0.5, 240), number("target", 15, 0, 1440)
    level = number("level", 0.8, 0.05, 0.99)
    load, days = services().contact_load()
    staffing = [staff_hour(h, load[h], handle, target, level) for h in sorted(load)]
    return render_template("console/signals.html", rows=services().signals(), staffing=staffing, days=days,
                           handle=handle, target=target, level=level)


@bp.route("/signals/complaint", methods=["POST"])
@require("responder")
def signal_add() -> Response:
    form = request.form
    try:
        reach = int(form.get("reach") or 0)
    except ValueError:
        raise InvalidInput("reach must be a whole number of followers", field="reach") from None
    at = None
    if form.get("at"):  # the browser's datetime-local: the organisation's time zone
        from zoneinfo import ZoneInfo

        try:
            at = datetime.fromisoformat(form["at"])
        except ValueError:
            raise InvalidInput("when must be a date and time, e.g. 2026-05-01T10:00", field="at") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(services().plan.settings.organisation.time_zone))
    row, new = services().receive_complaint(form.get("channel", ""), form.get("author", ""), reach,
                                            form.get("text", ""), form.get("link", ""), at, actor=g.account.name)
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
    counts = services().import_complaints(text, upload.filename, g.account.name)
    flash(f"Imported {counts['new']} complaint(s); {counts['duplicates']} were known already.", "ok")
    return redirect(url_for("console.signals"))


@bp.route("/signals/<int:signal_id>/override", methods=["POST"])
@require("communicator")
def signal_override(signal_id: int) -> Response:
    changes = {k: v for k, v in request.form.items() if k in ("severity", "legitimacy") and v}
    services().override_triage(signal_id, changes, g.account.name)
    flash(f"Signal {signal_id}: your judgement is kept beside the assessment.", "ok")
    return redirect(url_for("console.signals"))


# delivery and subscribers ------------------------------------------------------
@bp.route("/delivery")
@require("communicator")
def delivery() -> str:
    counts, dead = services().outbox_overview()
    return render_template("console/delivery.html", counts=counts, dead=dead,
                           give_up=format_duration(services().plan.settings.delivery.give_up_after))


@bp.route("/delivery/<int:message_id>/retry", methods=["POST"])
@require("communicator")
def delivery_retry(message_id: int) -> Response:
    services().retry_message(message_id)
    flash(f"Message {message_id} is back in the queue; the worker tries it within seconds.", "ok")
    return redirect(url_for("console.delivery"))


@bp.route("/subscribers", methods=["GET", "POST"])
@require("communicator")
def subscribers() -> Any:
    if request.method == "POST":
        form = request.form
        try:
            if form.get("remove"):
                row = services().remove_subscriber(int(form["remove"]))
                flash(f"{row.email} gets no more e-mails.", "ok")
            else:
                services().subscribe(form.get("email", ""), form.getlist("components"), form.get("locale", ""))
                flash("A confirmation e-mail is on its way: the address joins once its owner confirms.", "ok")
        except CrisisplanError as error:
            flash(str(error), "error")
        return redirect(url_for("console.subscribers", status=request.args.get("status", "")))
    status = request.args.get("status") or None
    rows, counts = services().subscribers(status if status in ("pending", "confirmed", "unsubscribed") else None)
    settings = services().plan.settings
    return render_template("console/subscribers.html", rows=rows, counts=counts, status=status,
                           components=settings.components, locales=settings.locales,
                           labels={c.name: c.label for c in settings.components})


# people ----------------------------------------------------------------------
@bp.route("/people", methods=["GET", "POST"])
@require("admin")
def people() -> Any:
    from crisisplan.services.accounts import ROLES

    shown: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            if form.get("what") == "token":
                _, token = accounts().add_token(form.get("name", ""), form.get("role", ""))
                shown = {"token": token}
            else:
                account, password = accounts().add_user(form.get("name", ""), form.get("role", ""),
                                                        form.get("password") or None)
                shown = {"user": account.name, "password": password if not form.get("password") else ""}
        except CrisisplanError as error:
            flash(str(error), "error")
    return render_template("console/people.html", users=accounts().users(), tokens=accounts().tokens(),
                           roles=ROLES, shown=shown)


@bp.errorhandler(CrisisplanError)
def _refused(error: CrisisplanError) -> tuple[str, int]:
    from crisisplan.errors import NotFound

    return render_template("console/error.html", message=str(error)), 404 if isinstance(error, NotFound) else 400
