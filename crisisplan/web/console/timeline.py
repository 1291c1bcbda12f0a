"""An incident's audit trail: every event, filtered by kind, its chain checked; and its Markdown export."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request

from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import bp, words


def _events(incident_id: int) -> list[dict[str, Any]]:
    wanted = set(request.args.getlist("kind")) - {""}
    return [{"seq": e.seq, "at": e.at, "actor": e.actor, "kind": e.kind, "payload": json.loads(e.payload)}
            for e in services().timeline(incident_id) if not wanted or e.kind in wanted]


@bp.route("/incidents/<int:incident_id>/timeline")
@require("viewer")
def timeline(incident_id: int) -> str:
    svc = services()
    view = svc.get(incident_id)
    runbook = svc.plan.runbooks.get(view.runbook_id)
    every = sorted({e.kind for e in svc.timeline(incident_id)})
    checked, broken = svc.verify_incident_audit(incident_id)
    locales = {p.id: list(p.bodies) for p in svc.incident_page(incident_id).posts}  # "(en, es)" after "published"
    events = [{**e, "sentence": words.sentence(e, runbook, locales), "details": words.details(e["payload"])}
              for e in _events(incident_id)]
    return render_template("console/timeline.html", view=view, events=events, kinds=every,
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
