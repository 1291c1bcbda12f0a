"""The fewest clicks at 3 a.m.: declaring from the dashboard (a title and how serious) opens the drafted
acknowledgement at once, and an approver approves and publishes in one action when the rules allow."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from crisisplan.comms import approval
from crisisplan.errors import CrisisplanError
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, bp


def severity_choices(plan: Any) -> list[tuple[Any, list[tuple[str, str]]]]:
    """Each runbook one may declare on, with its severities as (`runbook/severity`, label) choices."""
    return [(rb, [(f"{rb.id}/{sev.name}", f"{rb.title}: {sev.name} — {sev.label}") for sev in rb.severities])
            for rb in plan.runbooks.values() if rb.maintenance is None]


@bp.route("/declare/quick", methods=["POST"])
@require("responder")
def quick_declare() -> Any:
    """Declare with a title and a runbook's severity; land on the drafted post that acknowledges it."""
    runbook, severity = request.form.get("kind", "").partition("/")[::2]
    try:
        view = services().declare(runbook, severity, request.form.get("title", ""), actor())
    except CrisisplanError as error:
        flash(str(error), "error")
        return redirect(url_for("console.dashboard"))
    drafts = [p for p in services().posts(view.id) if p.status == approval.DRAFT]
    flash(_("Incident #%(id)s declared.", id=view.id))
    if len(drafts) == 1:  # the acknowledgement, drafted from the templates: review it, then submit
        return redirect(url_for("console.post", post_id=drafts[0].id))
    return redirect(url_for("console.incident", incident_id=view.id))
