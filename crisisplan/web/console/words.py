"""Human words for the console: what the runbook and the plan call things, never their machine names.

Post kinds, guards, roles, states and audit events are named here as a reader says them; the machine name, where
a page shows it at all, goes in small print inside <code>. Durations and times have one helper each
(`crisisplan.duration.spoken_duration`, the `moment` filter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crisisplan.plan.schema import Guard, Runbook

# the post kinds the shipped runbooks and the plan draft, as a sentence names them ("published the …")
KIND_NAMES = {
    "acknowledge": "acknowledgement", "cause": "cause", "update": "update", "resolve": "resolution",
    "follow_up": "follow-up", "holding_reply": "holding reply", "escalation_notice": "escalation notice",
    "private_channel_invite": "invitation to a private channel",
    "maintenance_scheduled": "maintenance announcement", "maintenance_reminder": "maintenance reminder",
    "maintenance_started": "maintenance start", "maintenance_verifying": "maintenance check",
    "maintenance_completed": "maintenance end",
}


def kind_name(kind: str) -> str:
    """A post kind as words: 'follow_up' -> 'follow-up'; a kind of a plan's own, its name with spaces."""
    return KIND_NAMES.get(kind, kind.replace("_", " "))


def role_label(runbook: Runbook | None, role: str) -> str:
    """A role's label in the runbook ('Incident commander'), or its name with spaces."""
    found = next((r.label for r in runbook.roles if r.name == role), None) if runbook is not None else None
    return found or role.replace("_", " ").capitalize()


def field_label(runbook: Runbook | None, name: str) -> str:
    if runbook is not None:
        found = next((f.label for f in runbook.fields if f.name == name), None)
        if found:
            return found
    return name.replace("_", " ").capitalize()


def state_label(runbook: Runbook | None, name: str) -> str:
    if runbook is not None:
        found = next((s.label for s in runbook.states if s.name == name), None)
        if found:
            return found
    return name.replace("_", " ")


def timer_label(runbook: Runbook | None, name: str) -> str:
    if runbook is not None:
        found = next((t.label for t in runbook.timers if t.name == name), None)
        if found:
            return found
    return name.replace("_", " ")


def guard_words(runbook: Runbook, guard: Guard) -> str:
    """What a guard waits for, in the runbook's words: 'Confirmed cause must be set'."""
    if guard.published:
        return f"the {kind_name(guard.published)} must be published first"
    if guard.field:
        return f"{field_label(runbook, guard.field)} must be set"
    if guard.checklist:
        return "every item of this state's checklist must be ticked"
    return f"someone must be assigned as {role_label(runbook, guard.role or '').lower()}"


def why_not(runbook: Runbook, blocked_by: list[str] | tuple[str, ...]) -> list[str]:
    """The engine's reasons (`Guard.describe`) told with the runbook's labels, in the same order."""
    spoken = {g.describe(): guard_words(runbook, g) for t in runbook.transitions for g in t.guards}
    return [spoken.get(reason, reason) for reason in blocked_by]


def _who(actor: str) -> str:
    return "The system" if actor in ("", "crisisplan", "system") else actor


def sentence(event: dict[str, Any], runbook: Runbook | None, locales: dict[int, list[str]] | None = None) -> str:
    """One audit event as a sentence: 'ana published the acknowledgement (en, es)'. Unknown kinds say what
    happened with their name in words; the details toggle beside it keeps every field."""
    p, who, kind = event["payload"], _who(event["actor"]), event["kind"]
    post = kind_name(str(p.get("kind", "")))
    told = {
        "declared": lambda: f"{who} declared the incident: “{p.get('title', '')}”, severity {p.get('severity', '')}",
        "role_assigned": lambda: f"{who} named {p.get('person') or 'nobody'} "
                                 f"{role_label(runbook, str(p.get('role', ''))).lower()}",
        "paged": lambda: "Paged: " + ", ".join(
            role_label(runbook, r).lower() + (f" ({p['people'][r]})" if p.get("people", {}).get(r) else "")
            for r in p.get("roles", [])),
        "state_changed": lambda: f"{who} moved the incident from {state_label(runbook, str(p.get('from', '')))} to "
                                 f"{state_label(runbook, str(p.get('to', '')))}",
        "checklist_item": lambda: f"{who} {'ticked' if p.get('done') else 'unticked'} “{p.get('text', '')}”",
        "severity_changed": lambda: f"{who} changed the severity from {p.get('from')} to {p.get('to')}",
        "field_set": lambda: f"{who} set {field_label(runbook, str(p.get('field', '')))}",
        "timer_set": lambda: f"{timer_label(runbook, str(p.get('timer', '')))}: running",
        "timer_cleared": lambda: f"{timer_label(runbook, str(p.get('timer', '')))}: stopped",
        "timer_fired": lambda: f"{p.get('label') or timer_label(runbook, str(p.get('timer', '')))}: the time is up",
        "reminder": lambda: f"Reminded {role_label(runbook, str(p.get('role', ''))).lower()}"
                            f"{' (' + p['person'] + ')' if p.get('person') else ''}",
        "escalated": lambda: f"Escalated to {role_label(runbook, str(p.get('role', ''))).lower()}"
                             f"{' (' + p['person'] + ')' if p.get('person') else ''}",
        "promise_at_risk": lambda: f"{p.get('label') or 'A promise'} is at risk",
        "post_drafted": lambda: f"{who} drafted the {post}",
        "post_edited": lambda: f"{who} edited the {post}" + (f" ({p['locale']})" if p.get("locale") else ""),
        "post_submitted": lambda: f"{who} submitted the {post} for review",
        "post_approved": lambda: f"{who} approved the {post}",
        "post_rejected": lambda: f"{who} sent the {post} back: {p.get('comment', '')}",
        "post_scheduled": lambda: f"{who} scheduled the {post}",
        "post_published": lambda: f"{who} published the {post}" + (
            f" ({', '.join(locales[p['post_id']])})" if locales and p.get("post_id") in locales else ""),
        "post_locale_confirmed": lambda: f"{who} confirmed the {p.get('locale')} text of the {post} unchanged",
        "post_step_chosen": lambda: f"{who} chose the step the {post} takes",
        "tone_warnings_published": lambda: f"The {post} went out with tone warnings",
        "translated": lambda: f"{who} translated the incident into {p.get('locale')}",
        "translation_outdated": lambda: f"The {p.get('locale')} translation is out of date",
        "drill_inject": lambda: f"Drill: {str(p.get('inject', '')).replace('_', ' ')}",
    }
    make = told.get(kind)
    return make() if make else f"{who}: {kind.replace('_', ' ')}"


def details(payload: dict[str, Any]) -> list[tuple[str, str, datetime | None]]:
    """Every field of an event as label and plain text (lists joined, mappings as 'key: value'), for the toggle;
    a moment also as a datetime, so the page shows it in the organisation's zone."""
    rows = []
    for key, value in payload.items():
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value) or "—"
        elif isinstance(value, dict):
            text = "; ".join(f"{k}: {v or '—'}" for k, v in value.items()) or "—"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value) if value not in (None, "") else "—"
        moment = _moment(value) if isinstance(value, str) and key.endswith(("_at", "_from")) else None
        rows.append((key.replace("_", " "), text, moment))
    return rows


def _moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
