"""The post-incident review as a document: Markdown, HTML and PDF from one list of sections.

Every figure comes from `comms/review.py` (the audit chain); the team's own sections are Markdown shown as
sanitised HTML. The PDF is made from the HTML by WeasyPrint, as the printable plan is.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

from crisisplan.comms.markdown import to_html
from crisisplan.comms.render import format_moment
from crisisplan.comms.review import SECTIONS, Review
from crisisplan.duration import format_duration

CSS = """
@page { size: A4; margin: 18mm 16mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.4; color: #111; max-width: 60em;
       margin: auto; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 2px solid #333; margin-top: 1.6em; }
h3 { font-size: 11pt; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { border: 1px solid #999; padding: .25em .4em; text-align: left; vertical-align: top; }
th { background: #eee; }
"""

SUMMARY = "Summary and impact"
SAID = "What was said in public, against what was known"
TIMELINE = "Timeline of decisions"
ACTIONS = "Follow-up actions"
# every heading the document has, in order (the team's sections between the timeline and the actions)
HEADINGS = [SUMMARY, SAID, TIMELINE, *SECTIONS.values(), ACTIONS]


@dataclass(frozen=True)
class Block:
    """A paragraph, a table, a sub-heading or the team's Markdown."""

    kind: str  # p | table | h3 | md
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def span(delta: timedelta | None) -> str:
    """A duration as the review prints it (`20m`, `1h5m`), or a dash."""
    if delta is None:
        return "—"
    return format_duration(delta) if delta > timedelta(0) else "0m"


def sections(review: Review) -> list[tuple[str, list[Block]]]:
    """The review's sections, each a heading and its blocks."""
    f, now = review.figures, review.now

    def at(moment: datetime | None) -> str:
        return format_moment(moment, "en", review.time_zone) if moment else "—"

    resolved = at(f.resolved_at) if f.resolved_at else "not resolved yet"
    summary = [
        Block("p", f"Incident #{review.incident_id} “{review.title}” ({review.runbook_title}, {review.severity}"
                   f"{', a drill' if review.is_drill else ''}), now {review.state_label.lower()}. "
                   f"Review: {review.review_state_label.lower()}."),
        Block("table", headers=("", ""), rows=(
            ("Declared", at(f.declared_at)), ("Resolved", resolved),
            ("Duration", span(f.duration(now))),
            ("Components", ", ".join(review.components) or "none named"),
            ("Complaints linked", str(review.complaints)),
            ("Public posts", str(f.public_posts)),
            *((name.replace("_", " ").capitalize(), value) for name, value in review.fields.items()))),
    ]
    said = [
        Block("p", f"First public word after {span(f.time_to_first_public)}"
                   + (f" ({at(f.first_public_at)})." if f.first_public_at else ": nothing public was said.")
                   + f" Somebody took the incident after {span(f.time_to_acknowledge)}."),
        Block("h3", "Causes: recorded and published"),
        *( [Block("table", headers=("Cause", "Recorded", "Published", "After"), rows=tuple(
            (c.value, at(c.recorded_at), at(c.published_at) if c.published_at else "never said in public",
             span(c.delay)) for c in f.causes))] if f.causes else [Block("p", "No cause was recorded.")]),
        Block("h3", "Promises of the next update"),
        Block("p", f"{f.kept} kept, {f.broken} broken"
                   + (f" ({round(100 * f.promise_rate)}% kept)." if f.promise_rate is not None else ".")),
        *( [Block("table", headers=("Post", "Made", "Promised by", "Next post", "Outcome"), rows=tuple(
            (f"#{p.post_id} {p.kind}", at(p.made_at), at(p.due_at), at(p.next_post_at),
             p.outcome + (f", {span(p.late_by)} late" if p.late_by else "")) for p in f.promises))]
           if f.promises else []),
        Block("h3", "Waiting for approval"),
        *( [Block("table", headers=("Post", "Submitted", "Approved", "Waited"), rows=tuple(
            (f"#{a.post_id} {a.kind}", at(a.submitted_at), at(a.approved_at), span(a.wait)) for a in f.approvals))]
           if f.approvals else [Block("p", "No post waited for an approval.")]),
        Block("h3", "Deadlines"),
        *( [Block("table", headers=("Deadline", "Due", "Outcome", "When"), rows=tuple(
            (d.label, at(d.due_at), d.outcome, at(d.settled_at)) for d in f.deadlines))]
           if f.deadlines else [Block("p", "No deadline was set.")]),
        Block("h3", "Tone warnings published over"),
        *( [Block("table", headers=("Post", "Rules"), rows=tuple(
            (f"#{post_id} {kind}", ", ".join(rules)) for post_id, kind, rules in f.tone))]
           if f.tone else [Block("p", "Every public post went out without a tone warning.")]),
    ]
    timeline = [Block("table", headers=("When", "Who", "What"), rows=tuple(
        (at(d.at), d.actor, d.text) for d in f.decisions))]
    team = [(label, [Block("md", review.sections[name])] if review.sections.get(name)
             else [Block("p", "Not written yet.")]) for name, label in SECTIONS.items()]
    actions = ([Block("table", headers=("#", "Action", "Owner", "Due", "State"), rows=tuple(
        (str(a.id), a.title, a.owner, a.due_on.isoformat(), a.state + (" (overdue)" if a.overdue(now.date()) else ""))
        for a in review.actions))] if review.actions else [Block("p", "No follow-up action yet.")])
    return [(SUMMARY, summary), (SAID, said), (TIMELINE, timeline), *team, (ACTIONS, actions)]


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ") or "—"


def to_markdown(review: Review) -> str:
    """The review as Markdown."""
    out = [f"# Post-incident review: #{review.incident_id} {review.title}\n"]
    for heading, blocks in sections(review):
        out.append(f"## {heading}\n")
        for block in blocks:
            if block.kind == "table":
                out.append("| " + " | ".join(block.headers) + " |\n|" + "---|" * len(block.headers) + "\n"
                           + "".join("| " + " | ".join(_cell(c) for c in row) + " |\n" for row in block.rows))
            elif block.kind == "h3":
                out.append(f"### {block.text}\n")
            else:
                out.append(block.text + "\n")
    return "\n".join(out)


def to_html_page(review: Review) -> str:
    """The review as one HTML page with print styles: every text escaped, the team's Markdown sanitised."""
    esc = html.escape
    body = [f"<h1>Post-incident review: #{review.incident_id} {esc(review.title)}</h1>"]
    for heading, blocks in sections(review):
        body.append(f"<h2>{esc(heading)}</h2>")
        for block in blocks:
            if block.kind == "table":
                head = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in block.headers)
                rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows)
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif block.kind == "h3":
                body.append(f"<h3>{esc(block.text)}</h3>")
            elif block.kind == "md":
                body.append(to_html(block.text))
            else:
                body.append(f"<p>{esc(block.text)}</p>")
    title = esc(f"Post-incident review #{review.incident_id}")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>")


def to_pdf(review: Review) -> bytes:
    """The review as PDF (WeasyPrint over the HTML page, offline)."""
    from weasyprint import HTML

    return HTML(string=to_html_page(review)).write_pdf()


def _seconds(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def as_dict(review: Review) -> dict[str, object]:
    """The review as plain data for scripts: durations in seconds, times in ISO 8601 (UTC)."""
    f = review.figures
    return {
        "incident": {"id": review.incident_id, "title": review.title, "runbook": review.runbook_id,
                     "severity": review.severity, "state": review.state_label, "drill": review.is_drill,
                     "components": review.components, "complaints": review.complaints,
                     "declared_at": _iso(f.declared_at), "resolved_at": _iso(f.resolved_at),
                     "duration_s": _seconds(f.duration(review.now))},
        "review": {"state": review.review_state, "sections": review.sections, "updated_by": review.updated_by,
                   "updated_at": _iso(review.updated_at)},
        "time_to_acknowledge_s": _seconds(f.time_to_acknowledge),
        "time_to_first_public_s": _seconds(f.time_to_first_public),
        "public_posts": f.public_posts,
        "causes": [{"value": c.value, "recorded_at": _iso(c.recorded_at), "published_at": _iso(c.published_at),
                    "post_id": c.post_id, "delay_s": _seconds(c.delay)} for c in f.causes],
        "promises": {"kept": f.kept, "broken": f.broken, "items": [
            {"post_id": p.post_id, "kind": p.kind, "made_at": _iso(p.made_at), "due_at": _iso(p.due_at),
             "next_post_at": _iso(p.next_post_at), "outcome": p.outcome, "late_by_s": _seconds(p.late_by)}
            for p in f.promises]},
        "approvals": [{"post_id": a.post_id, "kind": a.kind, "submitted_at": _iso(a.submitted_at),
                       "approved_at": _iso(a.approved_at), "wait_s": _seconds(a.wait)} for a in f.approvals],
        "deadlines": [{"timer": d.timer, "label": d.label, "due_at": _iso(d.due_at), "outcome": d.outcome,
                       "settled_at": _iso(d.settled_at)} for d in f.deadlines],
        "tone_overridden": [{"post_id": post_id, "kind": kind, "rules": list(rules)}
                            for post_id, kind, rules in f.tone],
        "decisions": [{"at": _iso(d.at), "actor": d.actor, "kind": d.kind, "text": d.text} for d in f.decisions],
        "actions": [{"id": a.id, "title": a.title, "owner": a.owner, "due_on": a.due_on.isoformat(),
                     "state": a.state} for a in review.actions],
    }
