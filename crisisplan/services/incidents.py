"""Declaring and moving incidents: triggers, fields, roles, checklist, severity, timers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from crisisplan import textgate
from crisisplan.clock import Clock
from crisisplan.comms import approval
from crisisplan.engine import Event
from crisisplan.errors import Conflict, CrisisplanError, InvalidInput, did_you_mean
from crisisplan.services.unit import UnitOfWork
from crisisplan.services.views import SYSTEM_ACTOR, IncidentView
from crisisplan.store.models import IncidentRow, PostRow


class IncidentCommands(UnitOfWork):
    """The incident's life on its runbook: declare it, move it, record what the team does."""

    def declare(self, runbook_id: str, severity: str, title: str, actor: str,
                components: list[str] | None = None, fields: dict[str, str] | None = None,
                is_drill: bool = False, drill: dict[str, Any] | None = None,
                clock: Clock | None = None, translations: dict[str, dict[str, str]] | None = None) -> IncidentView:
        """Open an incident on a runbook: its first state, deadlines, people paged and first drafts; `translations`
        (locale -> {"title": ..., public field: ...}) are its public words in the plan's other languages."""
        known = {c.name for c in self.plan.settings.components}
        for name in components or []:
            if known and name not in known:
                raise CrisisplanError(f"unknown component '{name}' (plan.yaml); " + did_you_mean(name, known))
        clock = clock or self.clock
        if self.machine(runbook_id).runbook.maintenance is not None:
            raise InvalidInput(f"'{runbook_id}' is a maintenance runbook: schedule a window on it instead (`crisisplan "
                               f"maintenance schedule {runbook_id} --start ... --end ... --title ...`)", "runbook")
        declared = self.machine(runbook_id).declare(clock, severity=severity, title=title, actor=actor,
                                                    components=components, fields=fields, is_drill=is_drill)
        declared.incident.drill = drill
        declared.incident.translations = self._translations(runbook_id, translations or {})
        if drill:
            self._inject(declared, clock)  # injects due at the start arrive with the declaration
        return self._insert(declared, clock)

    def translate(self, incident_id: int, locale: str, values: dict[str, str], actor: str,
                  expected_version: int | None = None) -> IncidentView:
        """Give the incident's title or public fields in another of the plan's languages (an empty value removes
        it); the drafts are not rewritten: redraft them, or edit that language."""
        with self.change(incident_id, expected_version) as work:
            self._translations(work.incident.runbook_id, {locale: values})  # a language and names the plan has
            given = {name: _word(name, value) for name, value in values.items()}
            kept = {**work.incident.translations.get(locale, {}), **given}
            work.incident.translations[locale] = {k: v for k, v in kept.items() if v}
            work.note("translated", actor, locale=locale, values=given)
        return work.view

    def _translations(self, runbook_id: str, given: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        """Per-locale public words, checked: a language of the plan other than the default, the title or a public
        field of the runbook."""
        settings = self.plan.settings
        names = ["title"] + [f.name for f in self.plan.runbook(runbook_id).fields if f.public]
        result = {}
        for locale, values in given.items():
            if locale not in settings.locales or locale == settings.default_locale:
                others = [loc for loc in settings.locales if loc != settings.default_locale]
                raise InvalidInput(f"'{locale}' is not another language of the plan (the {settings.default_locale} "
                                   f"words are the title and fields themselves); " + did_you_mean(locale, others),
                                   "translations")
            for name in values:
                if name not in names:
                    raise InvalidInput(f"'{name}' has no translation: only the title and the public fields "
                                       f"({', '.join(names[1:])}) are shown to the public; "
                                       + did_you_mean(name, names), f"{name}_{locale}")
            result[locale] = {k: _word(k, v) for k, v in values.items() if _word(k, v)}
        return result

    def trigger(self, incident_id: int, name: str, actor: str,
                fields: dict[str, str] | None = None, expected_version: int | None = None) -> IncidentView:
        """Move the incident along its runbook by a trigger, if its guards allow it now."""
        with self.change(incident_id, expected_version) as work:
            work.apply(work.machine.trigger(work.incident, name, work.clock, actor, fields))
        return work.view

    def set_fields(self, incident_id: int, values: dict[str, str], actor: str,
                   expected_version: int | None = None) -> IncidentView:
        """Record facts about the incident (cause, impact, references) that posts and guards use."""
        with self.change(incident_id, expected_version) as work:
            work.apply(work.machine.set_fields(work.incident, values, work.clock, actor))
        return work.view

    def assign_role(self, incident_id: int, role: str, person: str, actor: str,
                    expected_version: int | None = None) -> IncidentView:
        """Name who holds one of the runbook's roles."""
        with self.change(incident_id, expected_version) as work:
            work.apply(work.machine.assign_role(work.incident, role, person, work.clock, actor))
        return work.view

    def assign_roles(self, incident_id: int, people: dict[str, str], actor: str) -> IncidentView:
        """Name several role holders in one change."""
        with self.change(incident_id) as work:
            for role, person in people.items():
                work.apply(work.machine.assign_role(work.incident, role, person, work.clock, actor))
        return work.view

    def check_item(self, incident_id: int, item: int, actor: str, done: bool = True,
                   expected_version: int | None = None) -> IncidentView:
        """Tick (or untick) an item of the current state's checklist."""
        with self.change(incident_id, expected_version) as work:
            work.apply(work.machine.check_item(work.incident, item, work.clock, actor, done))
        return work.view

    def check_items(self, incident_id: int, items: list[int], actor: str) -> IncidentView:
        """Tick several checklist items in one change (one event each)."""
        with self.change(incident_id) as work:
            for item in items:
                work.apply(work.machine.check_item(work.incident, item, work.clock, actor))
        return work.view

    def set_severity(self, incident_id: int, severity: str, actor: str,
                     expected_version: int | None = None) -> IncidentView:
        """Raise or lower the severity: deadlines, cadence and approval follow the new one."""
        with self.change(incident_id, expected_version) as work:
            work.apply(work.machine.set_severity(work.incident, severity, work.clock, actor))
        return work.view

    def record_note(self, incident_id: int, event_kind: str, actor: str, /, **payload: Any) -> IncidentView:
        """Put something that happened outside the engine into the incident's audit chain."""
        with self.change(incident_id) as work:
            work.note(event_kind, actor, **payload)
        return work.view

    def next_due(self, incident_id: int) -> datetime | None:
        """When `tick` next has work for this incident, on the wall clock (one column, no incident load)."""
        with self.db.read() as session:
            return session.scalar(select(IncidentRow.next_due_at).where(IncidentRow.id == incident_id,
                                                                        IncidentRow.closed.is_(False)))

    def tick(self, now: datetime | None = None, only: int | None = None) -> list[tuple[int, list[Event]]]:
        """Publish scheduled posts and fire every timer due by `now` (default: now); of one incident with `only`."""
        moment = now or self.clock.now()
        self._start_history()  # uptime.py: the record of component statuses begins, once
        with self.db.read() as session:
            query = select(IncidentRow.id).where(IncidentRow.next_due_at <= moment, IncidentRow.closed.is_(False))
            due = list(session.scalars(query.where(IncidentRow.id == only) if only is not None else
                                       query.order_by(IncidentRow.next_due_at)))
            query = select(PostRow.id).where(PostRow.status == approval.SCHEDULED, PostRow.publish_at <= moment)
            scheduled = list(session.scalars(query.where(PostRow.incident_id == only) if only is not None else query))
        for post_id in scheduled:
            try:
                self.publish_post(post_id, SYSTEM_ACTOR)
            except CrisisplanError:
                continue  # stays scheduled and visible as overdue; one bad post must not stop the timers
        fired = []
        for incident_id in due:
            try:
                with self.change(incident_id) as work:
                    work.apply(work.machine.tick(work.incident, work.clock, SYSTEM_ACTOR))
                    self._maintenance_due(work)
                    self._inject(work, work.clock)
            except Conflict:
                continue  # somebody changed it meanwhile; the next tick sees the new state
            except CrisisplanError:
                continue  # a window's post refused (a template's words): nothing moved; the others still tick
            if work.events:
                fired.append((incident_id, work.events))
        self.remind_actions(moment)  # actions.py: follow-up actions due tomorrow or overdue
        return fired


def _word(name: str, value: object) -> str:
    """A translated title or field through the input gate (a title is one line of at most 300 characters)."""
    if name == "title":
        return textgate.clean(str(value or ""), name, textgate.TITLE_MAX, one_line=True).strip()
    return textgate.clean(str(value or ""), name, textgate.FIELD_MAX).strip()
