"""Public steps: a post going out is recorded, and the runbook step it stands for is taken with it — pure."""

from __future__ import annotations

from datetime import datetime

from crisisplan.clock import Clock
from crisisplan.engine.incident import Event, Incident
from crisisplan.engine.outcome import Outcome, guard_holds
from crisisplan.errors import TriggerNotAllowed
from crisisplan.plan.schema import Transition

# the look back after an incident (Statuspage's incident status of that name): published once it is resolved
POSTMORTEM = "postmortem"


class PublicationSteps:
    """The part of the incident machine that ties a published post to its runbook step."""

    def record_publication(
        self, incident: Incident, kind: str, clock: Clock, actor: str, post_id: int | None = None,
        promise_at: datetime | None = None, channels: dict[str, str] | None = None,
        moved_from: datetime | None = None, step: str = "",
    ) -> Outcome:
        """A public post went out: guards see it and the update cadence restarts.

        `promise_at` is the next-update time the post's text names; the cadence
        timer keeps that promise rather than its own period. `channels` maps each
        channel to "" (sent) or the reason it was withheld. `moved_from` is the
        promise the draft named before publication moved it.
        """
        self.check_publishable(incident, kind)
        now = clock.now()
        before = self.due(incident)
        outcome = Outcome(incident.copy())
        outcome.incident.published[kind] = now
        outcome.incident.last_published_at = now
        outcome.incident.promised_update_at = promise_at if promise_at and promise_at > now else None
        payload: dict[str, object] = {"kind": kind, "post_id": post_id}
        if promise_at is not None:
            payload["next_update_at"] = promise_at.isoformat()
        if channels is not None:
            payload["channels"] = sorted(c for c, why in channels.items() if not why)
            payload["withheld"] = {c: why for c, why in channels.items() if why}
        if moved_from is not None:
            payload["next_update_moved_from"] = moved_from.isoformat()
        outcome.events.append(Event("post_published", now, actor, payload))
        published = self._finish(outcome, now, actor, before)
        taken = self.post_step(published.incident, kind, step)
        if taken is None:
            return published
        try:  # the post is the public act its step stands for: they happen together or not at all
            moved = self.trigger(published.incident, taken.trigger, clock, actor, by_post=kind)
        except TriggerNotAllowed as error:
            raise TriggerNotAllowed(f"publishing the '{kind}' post takes the step '{taken.trigger}', which cannot "
                                    f"happen yet: {error}", error.allowed, error.blocked) from None
        return Outcome(moved.incident, published.events + moved.events)

    def post_step(self, incident: Incident, kind: str, chosen: str = "") -> Transition | None:
        """The step publishing a post of this kind takes now: the one the team chose, else the first the
        record allows (say, "watching the fix" once a fix is recorded, else "progress"), else the first
        there is, to name what blocks it."""
        steps = [t for t in self.runbook.transitions if t.post == kind and incident.state in self.runbook.sources(t)]
        if chosen:
            step = next((t for t in steps if t.trigger == chosen), None)
            if step is None:
                raise TriggerNotAllowed(f"this '{kind}' post was written to take the step '{chosen}', which the "
                                        f"incident cannot take from {self.states[incident.state].label}",
                                        [t.trigger for t in steps], {})
            return step
        ready = (t for t in steps if all(guard_holds(g, incident, self.runbook) for g in t.guards
                                         if g.published != kind))
        return next(ready, steps[0] if steps else None)

    def check_publishable(self, incident: Incident, kind: str) -> None:
        """Refuse a post of a kind the runbook does not allow to go out from the incident's state."""
        allowed = self.runbook.publishable_in(kind)
        if kind == POSTMORTEM:  # a look back: only once the incident is resolved, before it is closed
            allowed = [s for s in allowed if self.states[s].public_status == "resolved"]
        if incident.state not in allowed:
            labels = ", ".join(self.states[s].label for s in allowed) or "no state"
            raise TriggerNotAllowed(
                f"a '{kind}' post can go out from: {labels}; the incident is {self.states[incident.state].label}",
                [], {})
