"""The plan as the console shows it: runbooks, their drawings, the templates and what is wrong with them."""

from __future__ import annotations

from flask import Response, abort, render_template

from crisisplan.comms.samples import template_problems
from crisisplan.plan.diagram import runbook_svg
from crisisplan.plan.load import check_plan
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import bp, svg


@bp.route("/plan")
@require("viewer")
def plan() -> str:
    svc = services()
    _, problems = check_plan(svc.plan.root)
    problems += template_problems(svc.plan)
    templates = sorted((loc, rb, kind, path.relative_to(svc.plan.root / "templates").as_posix())
                       for (loc, rb, kind), path in svc.plan.templates.items())
    return render_template("console/plan.html", plan=svc.plan, problems=problems, templates=templates)


@bp.route("/plan/runbooks/<runbook_id>/diagram.svg")
@require("viewer")
def runbook_diagram(runbook_id: str) -> Response:
    return svg(runbook_svg(services().plan.runbook(runbook_id)))


@bp.route("/plan/templates/<path:name>")
@require("viewer")
def template_source(name: str) -> str:
    svc = services()
    known = {path.relative_to(svc.plan.root / "templates").as_posix(): path for path in svc.plan.templates.values()}
    if name not in known:
        abort(404)
    return render_template("console/template.html", name=name, source=known[name].read_text(encoding="utf-8"))
