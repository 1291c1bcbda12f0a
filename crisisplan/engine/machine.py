"""The runbook state machine: one `transitions` Machine per runbook, shared by all incidents.

Every command takes an incident and a clock and returns an Outcome: a new
incident and the events that explain the change. The input is never mutated,
so a caller that fails to store the outcome has changed nothing.
"""

from __future__ import annotations

import threading
from datetime import datetime

from transitions import EventData, Machine

from crisisplan import textgate
from crisisplan.clock import Clock
from crisisplan.engine import maintenance as windows
from crisisplan.engine import timers as timer_rules
from crisisplan.engine.incident import Event, Incident
from crisisplan.engine.outcome import Outcome, TriggerOption, guard_holds
from crisisplan.engine.publication import PublicationSteps
from crisisplan.errors import InvalidInput, TriggerNotAllowed, did_you_mean
from crisisplan.plan.schema import Guard, Runbook


class _Subject:
    """The model `transitions` drives: wraps one incident for one command."""

    def __init__(self, incident: Incident):
        self.incident = incident
        self.moves: list[tuple[str, str, str]] = []


class IncidentMachine(PublicationSteps):
    """Runs incidents through one runbook."""

    def __init__(self, runbook: Runbook):
        self.runbook = runbook
        self.states = {s.name: s for s in runbook.states}
        self.triggers = sorted({t.trigger for t in runbook.transitions})
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None,
            states=list(self.states),
            initial=runbook.initial,
            auto_transitions=False,
            send_event=True,
        )
        for tr in runbook.transitions:
            self._machine.add_transition(
                tr.trigger,
                runbook.sources(tr),
                tr.dest,
                conditions=[self._condition(g) for g in tr.guards],
                after=self._record_move,
            )

    # transitions' callbacks ------------------------------------------------
    def _condition(self, guard: Guard):  # noqa: ANN202 - a transitions callback
        def holds(event: EventData) -> bool:
            return guard_holds(guard, event.model.incident, self.runbook)

        holds.__name__ = guard.describe()
        return holds

    @staticmethod
    def _record_move(event: EventData) -> None:
        event.model.moves.append((event.transition.source, event.transition.dest, event.event.name))

    # queries -----------------------------------------------------------------
    def options(self, incident: Incident) -> list[TriggerOption]:
        """Every trigger of the current state, allowed or with the guards that block it."""
        result = []
        for tr in self.runbook.transitions:
            if incident.state not in self.runbook.sources(tr):
                continue
            blocked = tuple(g.describe() for g in tr.guards if not guard_holds(g, incident, self.runbook))
            result.append(TriggerOption(tr.trigger, tr.label, tr.dest, not blocked, blocked, tr.post))
        return result

    def due(self, incident: Incident) -> dict[str, datetime]:
        """When each of the incident's running timers falls due, by timer name."""
        return timer_rules.all_due(incident, self.runbook)

    def next_wakeup(self, incident: Incident) -> datetime | None:
        """The next moment `tick` has work: a due timer or a promise turning at risk."""
        return min(timer_rules.wakeups(incident, self.runbook) + windows.wakeups(self.runbook, incident), default=None)

    # commands ----------------------------------------------------------------
    def declare(
        self,
        clock: Clock,
        *,
        severity: str,
        title: str,
        actor: str,
        components: list[str] | None = None,
        fields: dict[str, str] | None = None,
        is_drill: bool = False,
    ) -> Outcome:
        """Open an incident of this runbook at a severity: its first state, the declarer in their role, people paged."""
        now = clock.now()
        rules = self.runbook.severity(severity)  # refuses an unknown one, naming those there are
        title = textgate.clean(title, "title", textgate.TITLE_MAX, one_line=True)  # the gate, once for every way in
        if not title.strip():
            raise InvalidInput("an incident needs a title that says what customers see", "title")
        incident = Incident(
            runbook_id=self.runbook.id, severity=severity, title=title.strip(),
            state=self.runbook.initial, declared_at=now, state_entered_at=now,
            is_drill=is_drill, components=list(components or []),
        )
        events = [Event("declared", now, actor, {
            "runbook": self.runbook.id, "runbook_version": str(self.runbook.version),
            "severity": severity, "title": incident.title, "components": incident.components,
            "state": incident.state, "drill": is_drill,
        })]
        if self.runbook.declarer_role:
            incident.roles[self.runbook.declarer_role] = actor
            events.append(Event("role_assigned", now, actor,
                                {"role": self.runbook.declarer_role, "person": actor}))
        outcome = Outcome(incident, events)
        self._apply_fields(outcome, fields or {}, now, actor)
        page = rules.page
        if page:
            events.append(Event("paged", now, actor, {
                "roles": list(page), "people": {r: incident.roles.get(r, "") for r in page}}))
        self._draft_on_entry(outcome, now, actor, reason="declared")
        return self._finish(outcome, now, actor, before={})

    def trigger(
        self, incident: Incident, name: str, clock: Clock, actor: str,
        fields: dict[str, str] | None = None, by_post: str | None = None,
    ) -> Outcome:
        """Move the incident along its runbook by a trigger, if its guards allow it now.

        A step that is a public act (`post:` in the runbook) is taken only by publishing
        that post (`by_post`), never by the bare trigger: the record cannot say "acknowledged"
        while nothing was said in public.
        """
        step = self.runbook.step(incident.state, name)
        if step is not None and step.post and by_post != step.post:
            raise TriggerNotAllowed(
                f"'{name}' is taken by publishing the '{step.post}' post, not by hand: draft it (or open the "
                f"draft there is), get it approved, and publish it; the incident moves with it",
                [], {name: [f"publish the '{step.post}' post"]})
        now = clock.now()
        before = self.due(incident)
        outcome = Outcome(incident.copy())
        self._apply_fields(outcome, fields or {}, now, actor)
        current = outcome.incident
        options = self.options(current)
        allowed = [o.trigger for o in options if o.allowed]
        blocked = {o.trigger: list(o.blocked_by) for o in options if not o.allowed}
        if name not in self.triggers:
            raise TriggerNotAllowed(
                f"'{name}' is not a trigger of runbook '{self.runbook.id}'. "
                + self._allowed_text(current, allowed, blocked), allowed, blocked)
        subject = _Subject(current)
        with self._lock:
            self._machine.add_model(subject, initial=current.state)
            try:
                may = subject.may_trigger(name)
                if may:
                    subject.trigger(name)
            finally:
                self._machine.remove_model(subject)
        if not subject.moves:
            why = blocked.get(name)
            reason = (f"'{name}' is blocked: " + "; ".join(why) + ". ") if why else (
                f"'{name}' cannot fire from state '{current.state}'. ")
            raise TriggerNotAllowed(reason + self._allowed_text(current, allowed, blocked),
                                    allowed, blocked)
        source, dest, _ = subject.moves[-1]
        current.state = dest
        current.state_entered_at = now
        outcome.events.append(Event("state_changed", now, actor,
                                    {"trigger": name, "from": source, "to": dest}))
        self._draft_on_entry(outcome, now, actor, reason=name)
        return self._finish(outcome, now, actor, before)

    def set_fields(self, incident: Incident, values: dict[str, str], clock: Clock, actor: str) -> Outcome:
        """Fill in (or, with an empty value, clear) fields of the incident, recording each change."""
        now = clock.now()
        before = self.due(incident)
        outcome = Outcome(incident.copy())
        self._apply_fields(outcome, values, now, actor)
        return self._finish(outcome, now, actor, before)

    def assign_role(self, incident: Incident, role: str, person: str, clock: Clock, actor: str) -> Outcome:
        """Give a role on the incident to a person, or (with an empty name) leave it unassigned."""
        roles = {r.name for r in self.runbook.roles}
        if role not in roles:
            raise InvalidInput(f"unknown role '{role}'; " + did_you_mean(role, roles), "role")
        now = clock.now()
        before = self.due(incident)
        outcome = Outcome(incident.copy())
        previous = outcome.incident.roles.get(role, "")
        if person.strip():
            outcome.incident.roles[role] = person.strip()
        else:
            outcome.incident.roles.pop(role, None)
        outcome.events.append(Event("role_assigned", now, actor,
                                    {"role": role, "person": person.strip(), "previous": previous}))
        return self._finish(outcome, now, actor, before)

    def check_item(self, incident: Incident, item: int, clock: Clock, actor: str, done: bool = True) -> Outcome:
        """Tick (or untick) item `item` (1-based) of the current state's checklist."""
        items = self.states[incident.state].checklist
        if not 1 <= item <= len(items):
            raise InvalidInput(
                f"state '{incident.state}' has {len(items)} checklist item(s); "
                f"{item} is not one of them", "item")
        now = clock.now()
        before = self.due(incident)
        outcome = Outcome(incident.copy())
        done_items = set(outcome.incident.checklist.get(incident.state, []))
        (done_items.add if done else done_items.discard)(item - 1)
        outcome.incident.checklist[incident.state] = sorted(done_items)
        outcome.events.append(Event("checklist_item", now, actor, {
            "state": incident.state, "item": item, "text": items[item - 1], "done": done}))
        return self._finish(outcome, now, actor, before)

    def set_severity(self, incident: Incident, severity: str, clock: Clock, actor: str) -> Outcome:
        """Change the incident's severity; its deadlines and update cadence follow the new one."""
        self.runbook.severity(severity)  # refuses an unknown one, naming those there are
        now = clock.now()
        before = self.due(incident)
        outcome = Outcome(incident.copy())
        outcome.events.append(Event("severity_changed", now, actor,
                                    {"from": incident.severity, "to": severity}))
        outcome.incident.severity = severity
        return self._finish(outcome, now, actor, before)

    def tick(self, incident: Incident, clock: Clock, actor: str = "crisisplan") -> Outcome:
        """Fire every timer due at the clock's time, oldest first."""
        now = clock.now()
        before = self.due(incident)
        outcome = Outcome(incident.copy())
        current = outcome.incident
        by_name = {t.name: t for t in self.runbook.timers}
        self._mark_at_risk(outcome, now, actor)
        fired: set[str] = set()
        while True:
            pending = sorted((when, name) for name, when in self.due(current).items()
                             if when <= now and name not in fired)
            if not pending:
                break
            when, name = pending[0]
            fired.add(name)  # a recurring timer fires once a tick, however late
            timer = by_name[name]
            state = current.timers[name]
            state.fired += 1
            state.fired_at = now
            outcome.events.append(Event("timer_fired", now, actor, {
                "timer": name, "label": timer.label, "due_at": when.isoformat(),
                "late_by_s": int((now - when).total_seconds())}))
            action = timer.action
            if action.draft and state.at_risk_for != when:  # else drafted ahead already
                outcome.events.append(Event("post_drafted", now, actor,
                                            {"kind": action.draft, "reason": f"timer {name}"}))
            if action.remind:
                outcome.events.append(Event("reminder", now, actor, {
                    "role": action.remind, "person": current.roles.get(action.remind, ""),
                    "timer": name, "message": timer.label}))
            if action.escalate:
                current.escalations += 1
                outcome.events.append(Event("escalated", now, actor, {
                    "role": action.escalate, "person": current.roles.get(action.escalate, ""),
                    "timer": name, "level": current.escalations, "message": timer.label}))
        return self._finish(outcome, now, actor, before)

    # helpers -------------------------------------------------------------------
    def _mark_at_risk(self, outcome: Outcome, now: datetime, actor: str) -> None:
        """A promise inside its `ahead` window and not yet kept: draft the update, tell the owner."""
        current = outcome.incident
        for timer in self.runbook.timers:
            state = current.timers.get(timer.name)
            due = timer_rules.due_at(timer, state, current, self.runbook) if state else None
            risk = timer_rules.at_risk_from(timer, due, state) if due else None
            if risk is None or not risk <= now < due:
                continue
            state.at_risk_for = due
            outcome.events.append(Event("promise_at_risk", now, actor, {
                "timer": timer.name, "label": timer.label, "due_at": due.isoformat(),
                "left_s": int((due - now).total_seconds())}))
            if timer.action.draft:
                outcome.events.append(Event("post_drafted", now, actor, {
                    "kind": timer.action.draft, "reason": f"ahead of timer {timer.name}"}))
            if timer.action.remind:
                outcome.events.append(Event("reminder", now, actor, {
                    "role": timer.action.remind, "person": current.roles.get(timer.action.remind, ""),
                    "timer": timer.name, "message": f"{timer.label}: at risk, due {due.isoformat()}"}))

    def _allowed_text(self, incident: Incident, allowed: list[str], blocked: dict[str, list[str]]) -> str:
        text = f"In state '{incident.state}' allowed now: {', '.join(allowed) or 'none'}"
        if blocked:
            text += "; blocked: " + "; ".join(f"{t} ({', '.join(w)})" for t, w in blocked.items())
        return text

    def _apply_fields(self, outcome: Outcome, values: dict[str, str], now: datetime, actor: str) -> None:
        known = {f.name for f in self.runbook.fields}
        for name, value in values.items():
            if name not in known:
                raise InvalidInput(f"unknown field '{name}' for runbook '{self.runbook.id}'; "
                                   + did_you_mean(name, known), name)
            value = textgate.clean(str(value), name, textgate.FIELD_MAX).strip()
            previous = outcome.incident.fields.get(name, "")
            if value == previous:
                continue
            if value:
                outcome.incident.fields[name] = value
            else:
                outcome.incident.fields.pop(name, None)
            outcome.events.append(Event("field_set", now, actor,
                                        {"field": name, "value": value, "previous": previous}))

    def _draft_on_entry(self, outcome: Outcome, now: datetime, actor: str, reason: str) -> None:
        kind = self.states[outcome.incident.state].draft
        if kind:
            outcome.events.append(Event("post_drafted", now, actor, {"kind": kind, "reason": reason}))

    def _finish(self, outcome: Outcome, now: datetime, actor: str, before: dict[str, datetime]) -> Outcome:
        """Re-arm timers for the new state and record every due time that moved."""
        timer_rules.activate(outcome.incident, self.runbook, now)
        after = self.due(outcome.incident)
        for name in sorted(set(before) | set(after)):
            if name not in after:
                outcome.events.append(Event("timer_cleared", now, actor, {"timer": name}))
            elif before.get(name) != after[name]:
                outcome.events.append(Event("timer_set", now, actor,
                                            {"timer": name, "due_at": after[name].isoformat()}))
        return outcome

