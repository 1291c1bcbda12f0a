"""The post-incident review's figures, read from an incident's audit chain: pure, time is passed in.

What was said in public and when, against what was known: the first public word, each confirmed cause from
the moment it was recorded to the moment a public post said it, each next-update promise a post made and
whether the next post came by then, how long each post waited for approval, each deadline met or missed,
and the tone warnings a post went out with. Services read the chain and the posts; this module only counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from crisisplan.plan.schema import Runbook

SYSTEM_ACTOR = "crisisplan"
PROMISE_TIMER = "next_update"
SECTIONS = {"went_well": "What went well", "went_badly": "What did not go well", "why": "Why it happened"}
DRAFT, IN_REVIEW, FINAL = "draft", "in_review", "final"
STATES = {DRAFT: "Draft", IN_REVIEW: "In review", FINAL: "Final"}
# what a declaration writes in its own transaction: not yet somebody taking the incident
_DECLARATION = {"declared", "role_assigned", "paged", "post_drafted", "timer_set", "field_set", "translated"}
# what the timeline of decisions shows: the choices people (and deadlines) made, not the bookkeeping
DECISIONS = {"declared", "state_changed", "field_set", "role_assigned", "severity_changed", "post_published",
             "post_rejected", "escalated", "component_status_set", "review_state_changed", "action_added",
             "action_changed"}


@dataclass(frozen=True)
class Entry:
    """One audit event as the review reads it."""

    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class PostFacts:
    """A published post as the review reads it: its kind, audience, time and text in the default language."""

    id: int
    kind: str
    public: bool
    published_at: datetime
    text: str


@dataclass(frozen=True)
class Cause:
    """A confirmed cause: when it was recorded and when a public post first said it."""

    value: str
    recorded_at: datetime
    published_at: datetime | None  # the first public post after it that says it
    post_id: int | None

    @property
    def delay(self) -> timedelta | None:
        """From recording the cause to saying it in public."""
        return None if self.published_at is None else self.published_at - self.recorded_at


@dataclass(frozen=True)
class Promise:
    """A next-update time a published post named, and whether the next post came by then."""

    post_id: int
    kind: str
    made_at: datetime
    due_at: datetime
    outcome: str  # kept | broken | open
    next_post_at: datetime | None  # when the next post came, if it did

    @property
    def late_by(self) -> timedelta | None:
        """How late the next post came after a broken promise."""
        if self.outcome != "broken" or self.next_post_at is None:
            return None
        return self.next_post_at - self.due_at


@dataclass(frozen=True)
class ApprovalWait:
    """How long a published post waited between its submission and the approval that let it out."""

    post_id: int
    kind: str
    submitted_at: datetime
    approved_at: datetime

    @property
    def wait(self) -> timedelta:
        """The time spent waiting for approval."""
        return self.approved_at - self.submitted_at


@dataclass(frozen=True)
class Deadline:
    """A deadline of the runbook (acknowledge by, follow up by…): met, missed or still open."""

    timer: str
    label: str
    due_at: datetime
    outcome: str  # met | missed | open
    settled_at: datetime | None


@dataclass(frozen=True)
class Decision:
    """One line of the timeline of decisions."""

    at: datetime
    actor: str
    kind: str
    text: str


@dataclass
class ReviewFigures:
    """Everything the review states in figures."""

    declared_at: datetime
    resolved_at: datetime | None
    acknowledged_at: datetime | None  # somebody took the incident
    first_public_at: datetime | None
    causes: list[Cause] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)
    approvals: list[ApprovalWait] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    tone: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)  # (post id, kind, rules)
    decisions: list[Decision] = field(default_factory=list)
    public_posts: int = 0

    def duration(self, now: datetime) -> timedelta:
        """From declaration to resolution, or to now while it is not resolved."""
        return (self.resolved_at or now) - self.declared_at

    @property
    def time_to_first_public(self) -> timedelta | None:
        """From declaration to the first public post."""
        return None if self.first_public_at is None else self.first_public_at - self.declared_at

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        """From declaration to somebody taking the incident."""
        return None if self.acknowledged_at is None else self.acknowledged_at - self.declared_at

    @property
    def kept(self) -> int:
        """Promises kept."""
        return sum(1 for p in self.promises if p.outcome == "kept")

    @property
    def broken(self) -> int:
        """Promises broken."""
        return sum(1 for p in self.promises if p.outcome == "broken")

    @property
    def promise_rate(self) -> float | None:
        """Share of settled promises that were kept (None when none settled)."""
        settled = self.kept + self.broken
        return None if not settled else self.kept / settled

    @property
    def longest_approval_wait(self) -> timedelta | None:
        """The longest time a post waited for approval."""
        return max((a.wait for a in self.approvals), default=None)


@dataclass(frozen=True)
class ActionLine:
    """A follow-up action as the review and the lists show it."""

    id: int
    incident_id: int
    title: str
    owner: str
    due_on: date
    state: str
    created_at: datetime
    created_by: str

    def overdue(self, today: date) -> bool:
        """Still open after its due date."""
        return self.state == "open" and today > self.due_on


@dataclass
class Review:
    """An incident's post-incident review as people read it: facts of the incident, the figures, the team's
    sections and its follow-up actions."""

    incident_id: int
    title: str
    runbook_id: str
    runbook_title: str
    severity: str
    state_label: str
    is_drill: bool
    components: list[str]  # labels
    complaints: int
    fields: dict[str, str]
    review_state: str
    sections: dict[str, str]
    figures: ReviewFigures
    now: datetime
    time_zone: str
    actions: list[ActionLine] = field(default_factory=list)
    updated_by: str = ""
    updated_at: datetime | None = None

    @property
    def review_state_label(self) -> str:
        """The review's state in words."""
        return STATES[self.review_state]


def figures(entries: list[Entry], posts: list[PostFacts], runbook: Runbook, now: datetime) -> ReviewFigures:
    """The review's figures for one incident: its audit events in order and its published posts."""
    states = {s.name: s for s in runbook.states}
    declared = next(e for e in entries if e.kind == "declared")
    resolved_at = next((e.at for e in entries if e.kind == "state_changed"
                        and states.get(e.payload.get("to", "")) is not None
                        and states[e.payload["to"]].public_status == "resolved"), None)
    published = sorted(posts, key=lambda p: (p.published_at, p.id))
    public = [p for p in published if p.public]
    result = ReviewFigures(declared_at=declared.at, resolved_at=resolved_at,
                           acknowledged_at=_taken(entries, declared),
                           first_public_at=public[0].published_at if public else None,
                           public_posts=len(public))
    result.causes = _causes(entries, public)
    result.promises = promises(entries, now)
    result.approvals = _approvals(entries)
    result.deadlines = _deadlines(entries, runbook, now)
    result.tone = [(e.payload.get("post_id", 0), e.payload.get("kind", ""), tuple(e.payload.get("rules", ())))
                   for e in entries if e.kind == "tone_warnings_published"]
    result.decisions = [Decision(e.at, e.actor, e.kind, describe(e, runbook)) for e in entries if e.kind in DECISIONS]
    return result


def _taken(entries: list[Entry], declared: Entry) -> datetime | None:
    """When somebody first acted on the incident after the declaration's own events."""
    declaring = True
    for entry in entries[entries.index(declared) + 1:]:
        if declaring and entry.at == declared.at and entry.kind in _DECLARATION:
            continue  # still the declaration's own transaction
        declaring = False
        if entry.actor != SYSTEM_ACTOR and entry.kind not in ("timer_set", "timer_cleared", "timer_fired"):
            return entry.at
    return None


def _causes(entries: list[Entry], public: list[PostFacts]) -> list[Cause]:
    """Each confirmed cause recorded, and the first public post after it whose text says it."""
    causes = []
    for entry in entries:
        value = str(entry.payload.get("value") or "").strip()
        if entry.kind != "field_set" or entry.payload.get("field") != "cause" or not value:
            continue
        said = next((p for p in public if p.published_at >= entry.at and value.lower() in p.text.lower()), None)
        causes.append(Cause(value, entry.at, said.published_at if said else None, said.id if said else None))
    return causes


def promises(entries: list[Entry], now: datetime) -> list[Promise]:
    """Each next-update time a published post named, from the audit events alone: kept when the next post came
    by then; broken when it came later, or none came and the time passed (or the cadence timer fired for it);
    open while it may still be kept. The one count of promises: the review, `crisisplan show`, the API and
    drill scores all read it."""
    published = [e for e in entries if e.kind == "post_published"]
    fired = [e.at for e in entries if e.kind == "timer_fired" and e.payload.get("timer") == PROMISE_TIMER]
    result = []
    for index, event in enumerate(published):
        due_raw = event.payload.get("next_update_at")
        if not due_raw:
            continue
        due = datetime.fromisoformat(due_raw)
        following = next((e.at for e in published[index + 1:]), None)
        if following is not None:
            outcome = "kept" if following <= due else "broken"
        else:
            outcome = "broken" if now > due or any(at > event.at for at in fired) else "open"
        result.append(Promise(event.payload.get("post_id", 0), event.payload.get("kind", ""), event.at, due,
                              outcome, following))
    return result


def _approvals(entries: list[Entry]) -> list[ApprovalWait]:
    """For each published post: from its last submission to the approval that let it out."""
    submitted: dict[int, datetime] = {}
    approved: dict[int, datetime] = {}
    waits = []
    for entry in entries:
        post_id = entry.payload.get("post_id")
        if entry.kind == "post_submitted":
            submitted[post_id] = entry.at
            approved.pop(post_id, None)
        elif entry.kind == "post_approved" and entry.payload.get("approved") and post_id in submitted:
            approved[post_id] = entry.at
        elif entry.kind in ("post_edited", "post_rejected"):
            approved.pop(post_id, None)
        elif entry.kind == "post_published" and post_id in approved:
            waits.append(ApprovalWait(post_id, entry.payload.get("kind", ""), submitted[post_id], approved[post_id]))
    return waits


def _deadlines(entries: list[Entry], runbook: Runbook, now: datetime) -> list[Deadline]:
    """Each deadline timer the runbook set (the next-update promise is counted as promises): met, missed, open."""
    labels = {t.name: t.label for t in runbook.timers if t.kind == "deadline"}
    pending: dict[str, datetime] = {}
    result = []
    for entry in entries:
        name = entry.payload.get("timer")
        if name not in labels:
            continue
        if entry.kind == "timer_set":
            pending[name] = datetime.fromisoformat(entry.payload["due_at"])
        elif entry.kind == "timer_cleared" and name in pending:
            due = pending.pop(name)
            result.append(Deadline(name, labels[name], due, "met" if entry.at <= due else "missed", entry.at))
        elif entry.kind == "timer_fired" and name in pending:
            result.append(Deadline(name, labels[name], pending.pop(name), "missed", entry.at))
    for name, due in pending.items():
        result.append(Deadline(name, labels[name], due, "missed" if now > due else "open", None))
    return sorted(result, key=lambda d: d.due_at)


def describe(entry: Entry, runbook: Runbook | None = None) -> str:
    """One line for a decision in the review's timeline, in the runbook's words (its labels, not its ids)."""
    p = entry.payload
    states = {s.name: s.label for s in runbook.states} if runbook else {}
    roles = {r.name: r.label for r in runbook.roles} if runbook else {}
    fields = {f.name: f.label for f in runbook.fields} if runbook else {}
    steps = {t.trigger: t.label for t in runbook.transitions} if runbook else {}
    if entry.kind == "declared":
        return f"declared on {runbook.title if runbook else p.get('runbook')} as {p.get('severity')}: {p.get('title')}"
    if entry.kind == "state_changed":
        return (f"{states.get(p.get('from'), p.get('from'))} → {states.get(p.get('to'), p.get('to'))} "
                f"({steps.get(p.get('trigger'), p.get('trigger'))})")
    if entry.kind == "field_set":
        return f"{fields.get(p.get('field'), p.get('field'))} recorded: {p.get('value')}"
    if entry.kind == "role_assigned":
        return f"{p.get('person')} is {roles.get(p.get('role'), p.get('role'))}"
    if entry.kind == "severity_changed":
        return f"severity {p.get('from')} → {p.get('to')}"
    if entry.kind == "post_published":
        return f"{str(p.get('kind', '')).replace('_', '-')} post #{p.get('post_id')} published"
    if entry.kind == "post_rejected":
        return f"{str(p.get('kind', '')).replace('_', '-')} post #{p.get('post_id')} sent back: {p.get('comment', '')}"
    if entry.kind == "escalated":
        to = roles.get(p.get("role"), p.get("role") or p.get("to"))
        return f"escalated to {to}: {p.get('message') or p.get('when', '')}"
    if entry.kind == "review_state_changed":
        return f"review {p.get('from')} → {p.get('to')}"
    if entry.kind in ("action_added", "action_changed"):
        return f"follow-up action #{p.get('id')} {p.get('title', '')} ({p.get('state', 'open')})".replace("  ", " ")
    return ", ".join(f"{k}={v}" for k, v in sorted(p.items()))
