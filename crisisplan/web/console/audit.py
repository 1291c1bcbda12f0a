"""The admin chain for admins: who added people and tokens, removed subscribers, set component statuses by hand,
overrode triage; and whether the chain is intact."""

from __future__ import annotations

import json

from flask import render_template

from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import bp


@bp.route("/audit")
@require("admin")
def audit_log() -> str:
    checked, broken = services().verify_admin_audit()
    events = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "payload": json.loads(e.payload)}
              for e in services().admin_events(200)]
    return render_template("console/audit.html", events=events, checked=checked, broken=broken)
