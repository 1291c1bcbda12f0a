"""What every message template sees: the incident, the organisation, the next update time; and what a reply to
one person sees (no incident: a complaint may belong to none yet)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crisisplan.comms.render import format_moment
from crisisplan.engine.incident import Incident
from crisisplan.plan.schema import PlanSettings, Runbook


def template_context(
    settings: PlanSettings,
    runbook: Runbook,
    incident: Incident,
    *,
    locale: str,
    now: datetime,
    next_update_at: datetime,
    person: str | None = None,
    channel: str = "status_page",
    team: str | None = None,
    words: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The variables a post's template sees: `incident` (its public fields, title, state, components, page),
    `org`, `next_update` (in the reader's language and the organisation's time zone), `person`, `channel`,
    `team` (who took an escalated case, in the reader's words; None for most posts) and `drill`; and the facts
    the record holds, so a template states a claim only behind its fact (templates/claims.yaml): `checked` (the
    text of every checklist item done, in any state) and `recorded` (the name of every field with a value,
    public or not; a private field's value stays out). `words` are the responder's own for a reply that needs them
    (a refusal's `reason` and `alternative`: comms/reply_words.py)."""
    org = settings.organisation
    labels = {c.name: c.label_in(locale, settings.fallback_locale) for c in settings.components}
    state = runbook.state(incident.state)
    severity = runbook.severity(incident.severity)
    fields = {f.name: localized(settings, incident, f.name, locale) for f in runbook.fields if f.public}
    # the incident's own public page when the plan names the status page, else the help site
    url = org.status_url.rstrip("/") or org.help_url
    if org.status_url and incident.id is not None:
        url += f"/incidents/{incident.id}"
    return {
        "incident": {
            **fields,
            # an internal incident's own title names people (a complaint from @maria): never in a post's words
            "title": (localized(settings, incident, "title", locale) if runbook.incident_audience == "public"
                      else fields.get("topic") or runbook.title),
            "severity": incident.severity,
            "severity_label": severity.label,
            "state": incident.state,
            "state_label": state.label,
            "components": [labels.get(c, c) for c in incident.components],
            "started_at": format_moment(incident.declared_at, locale, org.time_zone, now),
            # a maintenance window's planned times, always with their day (read in an e-mail days later)
            **({"starts_at": format_moment(incident.window[0], locale, org.time_zone),
                "ends_at": format_moment(incident.window[1], locale, org.time_zone),
                "checked_by": format_moment(incident.window[1] + (runbook.maintenance.verify_for if runbook.maintenance
                                                                  else timedelta(0)), locale, org.time_zone)}
               if incident.window else {}),
            "url": url,
        },
        "org": org.model_dump(),
        "next_update": format_moment(next_update_at, locale, org.time_zone, now),
        "person": person,
        "channel": channel,
        "team": team,
        "drill": incident.is_drill,
        **record_facts(runbook, incident),
        **(words or {}),
    }


def localized(settings: PlanSettings, incident: Incident, name: str, locale: str) -> str:
    """The incident's title or a public field in the reader's language (or the plan's fallback locale); where the
    language lacks it, the default locale's words, which `missing_translations` reports so a public post with them
    is held."""
    found = incident.public_text(name, locale, settings.default_locale, settings.fallback_locale)
    if found is None:
        found = incident.title if name == "title" else incident.fields.get(name, "")
    return found


def missing_translations(settings: PlanSettings, runbook: Runbook, incident: Incident) -> list[str]:
    """`es: title`, `es: impact`: the public words of the incident (its title, its public fields with a value) that
    a language of the plan lacks, when the plan allows no fallback locale to stand in."""
    titled = ["title"] if runbook.incident_audience == "public" else []  # an internal title is never shown
    names = titled + [f.name for f in runbook.fields if f.public and (incident.fields.get(f.name) or "").strip()]
    return [f"{locale}: {name}" for locale in settings.locales for name in names
            if incident.public_text(name, locale, settings.default_locale, settings.fallback_locale) is None]


def record_facts(runbook: Runbook, incident: Incident) -> dict[str, frozenset[str]]:
    """What the incident's record holds, without any value: `checked`, the texts of the checklist items done
    (in any state), and `recorded`, the names of the runbook's fields that have a value."""
    done = {(state, i) for state, items in incident.checklist.items() for i in items}
    checked = frozenset(item for state in runbook.states for i, item in enumerate(state.checklist)
                        if (state.name, i) in done)
    recorded = frozenset(f.name for f in runbook.fields if (incident.fields.get(f.name) or "").strip())
    return {"checked": checked, "recorded": recorded}


def reply_context(settings: PlanSettings, *, locale: str, now: datetime, answer_by: datetime,
                  person: str | None = None, team: str | None = None, channel: str = "") -> dict[str, Any]:
    """What a reply to one person sees: `person` (their name or handle), `next_update` (when they hear from us,
    in their language), `team` (who took the case over, in their language; None when the plan has no words for
    it), `org` and `channel`. No `incident`, so no facts either: `checked` and `recorded` are empty, and a claim
    behind them is never stated in a reply."""
    org = settings.organisation
    return {"org": org.model_dump(), "person": person,
            "next_update": format_moment(answer_by, locale, org.time_zone, now),
            "team": team, "channel": channel, "drill": False, "checked": frozenset(), "recorded": frozenset()}
