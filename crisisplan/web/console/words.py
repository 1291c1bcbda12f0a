"""Human words for the console: what the runbook and the plan call things, never their machine names.

Post kinds, guards, roles, states and audit events are named here as a reader says them; the machine name, where
a page shows it at all, goes in small print inside <code>. Durations and times have one helper each
(`crisisplan.duration.spoken_duration`, the `moment` filter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from crisisplan.plan.schema import Guard, Runbook
from crisisplan.web.vocabulary import N_

# the post kinds the shipped runbooks and the plan draft, as a list names them, and as a sentence names them
# ("published the …"): the article goes with the noun, as languages that give nouns a gender need
KIND_NAMES = {
    "acknowledge": N_("acknowledgement"), "cause": N_("cause"), "update": N_("update"), "resolve": N_("resolution"),
    "follow_up": N_("follow-up"), "holding_reply": N_("holding reply"), "escalation_notice": N_("escalation notice"),
    "private_channel_invite": N_("invitation to a private channel"),
    "maintenance_scheduled": N_("maintenance announcement"), "maintenance_reminder": N_("maintenance reminder"),
    "maintenance_started": N_("maintenance start"), "maintenance_verifying": N_("maintenance check"),
    "maintenance_completed": N_("maintenance end"),
}
THE_KIND = {
    "acknowledge": N_("the acknowledgement"), "cause": N_("the cause"), "update": N_("the update"),
    "resolve": N_("the resolution"), "follow_up": N_("the follow-up"), "holding_reply": N_("the holding reply"),
    "escalation_notice": N_("the escalation notice"),
    "private_channel_invite": N_("the invitation to a private channel"),
    "maintenance_scheduled": N_("the maintenance announcement"),
    "maintenance_reminder": N_("the maintenance reminder"), "maintenance_started": N_("the maintenance start"),
    "maintenance_verifying": N_("the maintenance check"), "maintenance_completed": N_("the maintenance end"),
}


def kind_name(kind: str) -> str:
    """A post kind as words: 'follow_up' -> 'follow-up'; a kind of a plan's own, its name with spaces."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind.replace("_", " ")


def the_kind(kind: str) -> str:
    """A post kind as a sentence names it: 'the follow-up'."""
    return _(THE_KIND[kind]) if kind in THE_KIND else _("the %(kind)s", kind=kind.replace("_", " "))


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


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
        return _("%(post)s must be published first", post=the_kind(guard.published))
    if guard.field:
        return _("%(field)s must be set", field=field_label(runbook, guard.field))
    if guard.checklist:
        return _("every item of this state's checklist must be ticked")
    return _("someone must be assigned as %(role)s", role=role_label(runbook, guard.role or "").lower())


def why_not(runbook: Runbook, blocked_by: list[str] | tuple[str, ...]) -> list[str]:
    """The engine's reasons (`Guard.describe`) told with the runbook's labels, in the same order."""
    spoken = {g.describe(): guard_words(runbook, g) for t in runbook.transitions for g in t.guards}
    return [spoken.get(reason, reason) for reason in blocked_by]


def _who(actor: str) -> str:
    return _("The system") if actor in ("", "crisisplan", "system") else actor


def sentence(event: dict[str, Any], runbook: Runbook | None, locales: dict[int, list[str]] | None = None) -> str:
    """One audit event as a sentence: 'ana published the acknowledgement (en, es)'. Unknown kinds say what
    happened with their name in words; the details toggle beside it keeps every field."""
    p, who, kind = event["payload"], _who(event["actor"]), event["kind"]
    post = the_kind(str(p.get("kind", "")))
    role = role_label(runbook, str(p.get("role", ""))).lower()
    timer = p.get("label") or timer_label(runbook, str(p.get("timer", "")))
    shown = ", ".join(locales[p["post_id"]]) if locales and p.get("post_id") in locales else ""
    told = {
        "declared": lambda: _("%(who)s declared the incident: “%(title)s”, severity %(severity)s", who=who,
                              title=p.get("title", ""), severity=p.get("severity", "")),
        "role_assigned": lambda: _("%(who)s named %(person)s %(role)s", who=who,
                                   person=p.get("person") or _("nobody"), role=role),
        "paged": lambda: _("Paged: %(roles)s", roles=", ".join(
            role_label(runbook, r).lower() + (f" ({p['people'][r]})" if p.get("people", {}).get(r) else "")
            for r in p.get("roles", []))),
        "state_changed": lambda: _("%(who)s moved the incident from %(old)s to %(new)s", who=who,
                                   old=state_label(runbook, str(p.get("from", ""))),
                                   new=state_label(runbook, str(p.get("to", "")))),
        "checklist_item": lambda: (_("%(who)s ticked “%(item)s”", who=who, item=p.get("text", "")) if p.get("done")
                                   else _("%(who)s unticked “%(item)s”", who=who, item=p.get("text", ""))),
        "severity_changed": lambda: _("%(who)s changed the severity from %(old)s to %(new)s", who=who,
                                      old=p.get("from"), new=p.get("to")),
        "field_set": lambda: _("%(who)s set %(field)s", who=who, field=field_label(runbook, str(p.get("field", "")))),
        "timer_set": lambda: _("%(timer)s: running", timer=timer_label(runbook, str(p.get("timer", "")))),
        "timer_cleared": lambda: _("%(timer)s: stopped", timer=timer_label(runbook, str(p.get("timer", "")))),
        "timer_fired": lambda: _("%(timer)s: the time is up", timer=timer),
        "reminder": lambda: (_("Reminded %(role)s (%(person)s)", role=role, person=p["person"]) if p.get("person")
                             else _("Reminded %(role)s", role=role)),
        "escalated": lambda: (_("Escalated to %(role)s (%(person)s)", role=role, person=p["person"])
                              if p.get("person") else _("Escalated to %(role)s", role=role)),
        "promise_at_risk": lambda: _("%(promise)s is at risk", promise=p.get("label") or _("A promise")),
        "post_drafted": lambda: _("%(who)s drafted %(post)s", who=who, post=post),
        "post_edited": lambda: (_("%(who)s edited %(post)s (%(locale)s)", who=who, post=post, locale=p["locale"])
                                if p.get("locale") else _("%(who)s edited %(post)s", who=who, post=post)),
        "post_submitted": lambda: _("%(who)s submitted %(post)s for review", who=who, post=post),
        "post_approved": lambda: _("%(who)s approved %(post)s", who=who, post=post),
        "post_rejected": lambda: _("%(who)s sent %(post)s back: %(comment)s", who=who, post=post,
                                   comment=p.get("comment", "")),
        "post_scheduled": lambda: _("%(who)s scheduled %(post)s", who=who, post=post),
        "post_published": lambda: (_("%(who)s published %(post)s (%(locales)s)", who=who, post=post, locales=shown)
                                   if shown else _("%(who)s published %(post)s", who=who, post=post)),
        "post_locale_confirmed": lambda: _("%(who)s confirmed the %(locale)s text of %(post)s unchanged", who=who,
                                           locale=p.get("locale"), post=post),
        "post_step_chosen": lambda: _("%(who)s chose the step %(post)s takes", who=who, post=post),
        "tone_warnings_published": lambda: _upper(_("%(post)s went out with tone warnings", post=post)),
        "translated": lambda: _("%(who)s translated the incident into %(locale)s", who=who, locale=p.get("locale")),
        "translation_outdated": lambda: _("The %(locale)s translation is out of date", locale=p.get("locale")),
        "drill_inject": lambda: _("Drill: %(inject)s", inject=str(p.get("inject", "")).replace("_", " ")),
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
            text = _("yes") if value else _("no")
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
