"""Score a drill against the plan: each check passes, fails, or passes in part, and says why in one line."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from crisisplan.comms import approval
from crisisplan.comms.delivery import PRIMARY
from crisisplan.comms.tone import Finding, check
from crisisplan.drills.record import DrillPost, DrillRecord
from crisisplan.duration import format_duration
from crisisplan.engine.timers import timer_duration


@dataclass(frozen=True)
class Check:
    name: str
    value: float  # 0 (failed) .. 1 (passed)
    line: str  # what happened, in one line, from the figures

    @property
    def passed(self) -> bool:
        return self.value >= 1


@dataclass
class Scorecard:
    score: int
    checks: list[Check]
    errors: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "checks": [asdict(c) for c in self.checks], "errors": self.errors}

    @property
    def missed(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]


def _span(delta: timedelta) -> str:
    return format_duration(delta) if delta > timedelta(0) else "0m"


def score(run: DrillRecord) -> Scorecard:
    """The scorecard of one drill, from its record alone."""
    incident, runbook = run.incident, run.runbook
    severity = runbook.severity(run.scenario.severity)
    events, posts = run.events, run.posts
    checks: list[Check] = []

    # 1. the first public word (the post the acknowledge-by timer waits for), against its deadline
    ack_timer = next((t for t in runbook.timers if t.name == "acknowledge_by" and t.until_published), None)
    if ack_timer is not None:
        kind = ack_timer.until_published
        deadline = timer_duration(ack_timer, runbook, severity.name)
        acks = [p.published_at for p in posts if p.kind == kind]
        if acks:
            took = min(acks) - run.started_at
            checks.append(Check("acknowledge", 1.0 if took <= deadline else 0.0,
                                f"first public word ({kind}) after {_span(took)} (deadline {_span(deadline)})"))
        else:
            checks.append(Check("acknowledge", 0.0, f"no public {kind} at all (deadline {_span(deadline)})"))

    # 2. promises of the next update
    promises = run.promises
    total = promises["kept"] + promises["broken"]
    if total:
        checks.append(Check("promises", promises["kept"] / total,
                            f"{promises['kept']} of {total} next-update promises kept"))

    # 3. cadence: the longest silence while the incident was open to the public
    times = sorted(p.published_at for p in posts)
    resolved = next((at for at, kind, _, p in events if kind == "state_changed"
                     and _public(runbook, p["to"]) == "resolved"), run.ended_at)
    if times:
        gaps = [b - a for a, b in zip(times, times[1:], strict=False) if a < resolved]
        if resolved > times[-1]:
            gaps.append(resolved - times[-1])
        longest = max(gaps, default=timedelta(0))
        allowed = severity.update_every
        checks.append(Check("cadence", 1.0 if longest <= allowed else max(0.0, allowed / longest),
                            f"longest public silence {_span(longest)} (cadence {_span(allowed)})"))

    # 4. tone of what went out, posts made around the review included
    external = [(at, actor, p["text"]) for at, kind, actor, p in events if kind == "external_post"]
    findings = [(p.kind, f.rule, f.severity) for p in posts
                for found in _post_findings(run, p).values() for f in found]
    findings += [("outside the review", f.rule, f.severity) for _, _, text in external
                 for f in _external_findings(run, text)]
    checks.append(Check("tone", 1.0 if not findings else max(0.0, 1 - len(findings) / (2 * max(1, len(posts)))),
                        f"{len(findings)} tone finding(s) in {len(posts)} published post(s)"
                        + (": " + ", ".join(sorted({f"{r} ({k})" for k, r, _ in findings})) if findings else "")))

    # 5. the approval rule: every post reviewed as the severity asks, nothing posted around the review
    unreviewed = [p for p in posts if not approval.approved_after(severity.approval, p.author, p.approvals)]
    line = f"all {len(posts)} post(s) went through the {severity.approval}-approval review"
    if external or unreviewed:
        who = ", ".join(sorted({actor for _, actor, _ in external}))
        line = (f"{len(external)} post(s) went out around the review" + (f" (by {who})" if who else "")
                + (f"; {len(unreviewed)} without the approvals needed" if unreviewed else ""))
    checks.append(Check("approval", 0.0 if external or unreviewed else 1.0, line))

    # 6. checklists of the states the incident passed through
    visited = {runbook.initial} | {p["to"] for _, kind, _, p in events if kind == "state_changed"}
    items = {s.name: len(s.checklist) for s in runbook.states if s.name in visited and s.checklist}
    if items:
        done = sum(min(n, len(incident.checklist.get(state, []))) for state, n in items.items())
        want = sum(items.values())
        checks.append(Check("checklists", done / want, f"{done} of {want} checklist item(s) done"))

    # 7. escalations: each one means a deadline slipped far enough to call someone in
    escalations = [p for _, kind, _, p in events if kind == "escalated"]
    checks.append(Check("escalations", 1.0 if not escalations else 0.0,
                        "no escalation needed" if not escalations else
                        f"{len(escalations)} escalation(s): " + ", ".join(sorted({e['timer'] for e in escalations}))))

    # 8. the responses each inject asked for
    for at, inject in run.injects:
        for expect in inject.expect:
            checks.append(_expectation(run, at, inject.kind, expect))

    if run.errors:
        checks.append(Check("script", 0.0, f"{len(run.errors)} scripted action(s) refused: {run.errors[0]}"))
    value = round(100 * sum(c.value for c in checks) / len(checks)) if checks else 0
    return Scorecard(value, checks, list(run.errors))


def _public(runbook: Any, state: str) -> str | None:
    return next((s.public_status for s in runbook.states if s.name == state), None)


def _expectation(run: DrillRecord, at: datetime, kind: str, expect: Any) -> Check:
    events, posts = run.events, run.posts
    until = at + expect.within
    name = f"inject {kind} +{_span(at - run.started_at)}"
    if expect.trigger:
        when = next((t for t, k, _, p in events if k == "state_changed" and p["trigger"] == expect.trigger
                     and t >= at), None)
        ok = when is not None and when <= until
        said = f"'{expect.trigger}' " + (f"after {_span(when - at)}" if when else "never")
        return Check(name, 1.0 if ok else 0.0, f"{said} (wanted within {_span(expect.within)})")
    if expect.post:
        when = min((p.published_at for p in posts if p.kind == expect.post and p.published_at >= at), default=None)
        ok = when is not None and when <= until
        said = f"a '{expect.post}' post " + (f"after {_span(when - at)}" if when else "never went out")
        return Check(name, 1.0 if ok else 0.0, f"{said} (wanted within {_span(expect.within)})")
    fired = [p.kind for p in posts if at <= p.published_at <= until
             for found in _post_findings(run, p).values()
             for f in found if f.rule == expect.quiet]
    fired += ["a post outside the review" for t, k, _, p in events if k == "external_post" and at <= t <= until
              and any(f.rule == expect.quiet for f in _external_findings(run, p["text"]))]
    return Check(name, 0.0 if fired else 1.0,
                 f"rule '{expect.quiet}' " + (f"fired in {', '.join(fired)}" if fired else "stayed quiet"))


def _post_findings(run: DrillRecord, post: DrillPost) -> dict[str, list[Finding]]:
    """Tone findings of the post's text, per locale, on the status page."""
    return {locale: check(text, run.tone_context(locale, post.kind, PRIMARY)) for locale, text in post.bodies.items()}


def _external_findings(run: DrillRecord, text: str) -> list[Finding]:
    # what was said wrongly, not what a quick post left out: the "must contain" rules stay out
    missing = {"apology", "thanks", "next_update", "directive"}
    return [f for f in check(text, run.tone_context(None, None, "social_short")) if f.rule not in missing]
