"""The incident page and its forms: triggers, fields, roles, checklist, severity; the runbook drawing."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crisisplan.plan.diagram import runbook_svg
from crisisplan.services import ACK_TIMER, UPDATE_TIMER
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, attempt, back, bp, form_version, svg
from crisisplan.web.public import current_statuses


@bp.route("/incidents/<int:incident_id>")
@require("viewer")
def incident(incident_id: int) -> str:
    svc = services()
    page = svc.incident_page(incident_id)  # one read: the incident, its posts, its audit trail
    view = page.view
    runbook = svc.plan.runbook(view.runbook_id)
    statuses = current_statuses()  # kept with the public page: no query while the public view stays the same
    labels = {c.name: c.label for c in svc.plan.settings.components}
    components = [(labels.get(c, c), statuses.get(c, "operational")) for c in view.components]
    return render_template("console/incident.html", view=view, runbook=runbook, posts=page.posts,
                           components=components, injects=page.injects, live=page.incident.drill,
                           promises=page.promises, kinds=sorted(svc.plan.kinds()),
                           fields=runbook.fields, roles=runbook.roles, ACK=ACK_TIMER, UPDATE=UPDATE_TIMER,
                           translations=page.incident.translations, settings=svc.plan.settings)


@bp.route("/incidents/<int:incident_id>/diagram.svg")
@require("viewer")
def diagram(incident_id: int) -> Response:
    view = services().get(incident_id)
    # the state changes under this URL: never cached, so a reload always shows the state in force
    return svg(runbook_svg(services().plan.runbook(view.runbook_id), view.state), cache="no-cache")


@bp.route("/incidents/<int:incident_id>/trigger", methods=["POST"])
@require("responder")
def trigger(incident_id: int) -> Response:
    name = request.form.get("trigger", "")
    attempt(lambda: services().trigger(incident_id, name, actor(), expected_version=form_version()),
            _("Done: %(step)s.", step=name))
    return back(incident_id)


@bp.route("/incidents/<int:incident_id>/step", methods=["POST"])
@require("communicator")
def step(incident_id: int) -> Response:
    """A public step (acknowledge, resolve…): open the post whose publication takes it."""
    name = request.form.get("trigger", "")
    posts: list[Any] = []
    if attempt(lambda: posts.append(services().draft_for_step(incident_id, name, actor())),
               _("Write, review and publish this post: the incident moves when it goes out.")):
        return redirect(url_for("console.post", post_id=posts[0].id))
    return back(incident_id)


@bp.route("/incidents/<int:incident_id>/fields", methods=["POST"])
@require("responder")
def fields(incident_id: int) -> Response:
    known = {f.name for f in services().plan.runbook(services().get(incident_id).runbook_id).fields}
    values = {k.removeprefix("field_"): v for k, v in request.form.items() if k.removeprefix("field_") in known
              and k.startswith("field_")}
    attempt(lambda: services().set_fields(incident_id, values, actor(), expected_version=form_version()),
            _("Fields saved."))
    return back(incident_id)


@bp.route("/incidents/<int:incident_id>/translate", methods=["POST"])
@require("responder")
def translate(incident_id: int) -> Response:
    """The title and public fields in one other language of the plan (an empty box removes that translation)."""
    locale = request.form.get("locale", "")
    values = {k.removeprefix("tr_"): v for k, v in request.form.items() if k.startswith("tr_")}
    attempt(lambda: services().translate(incident_id, locale, values, actor(), expected_version=form_version()),
            _("Saved in %(locale)s; redraft or edit the drafts in %(locale)s to use it.", locale=locale))
    return back(incident_id)


@bp.route("/incidents/<int:incident_id>/roles", methods=["POST"])
@require("responder")
def roles(incident_id: int) -> Response:
    attempt(lambda: services().assign_role(incident_id, request.form.get("role", ""), request.form.get("person", ""),
                                           actor(), expected_version=form_version()),
            _("Role assigned."))
    return back(incident_id)


@bp.route("/incidents/<int:incident_id>/checklist", methods=["POST"])
@require("responder")
def checklist(incident_id: int) -> Response:
    item = request.form.get("item", "")
    if not re.fullmatch(r"[0-9]{1,4}", item):  # ASCII digits: '²' is a digit to str.isdigit, not to int()
        flash(_("item: which checklist item (a number)"), "error")
        return back(incident_id)
    attempt(lambda: services().check_item(incident_id, int(item), actor(), request.form.get("done") != "0",
                                          expected_version=form_version()), _("Checklist updated."))
    return back(incident_id)


@bp.route("/incidents/<int:incident_id>/severity", methods=["POST"])
@require("responder")
def severity(incident_id: int) -> Response:
    attempt(lambda: services().set_severity(incident_id, request.form.get("severity", ""), actor(),
                                            expected_version=form_version()), _("Severity changed."))
    return back(incident_id)
