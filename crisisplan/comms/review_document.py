"""The post-incident review as a document: Markdown, HTML and PDF from one list of sections.

Every figure comes from `comms/review.py` (the audit chain); the team's own sections are Markdown shown as
sanitised HTML. The PDF is made from the HTML by WeasyPrint, as the printable plan is.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

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

def N_(text: str) -> str:  # noqa: N802 - gettext's name for "mark for the catalogue, translate later"
    """The text as it is: marks a word the console's catalogue translates (pybabel extracts N_ and tr)."""
    return text


SUMMARY = N_("Summary and impact")
SAID = N_("What was said in public, against what was known")
TIMELINE = N_("Timeline of decisions")
ACTIONS = N_("Follow-up actions")
# every heading the document has, in order (the team's sections between the timeline and the actions)
HEADINGS = [SUMMARY, SAID, TIMELINE, *SECTIONS.values(), ACTIONS]
# the team's headings (comms/review.SECTIONS) and the outcomes and states a cell shows, for the catalogue
CATALOGUE = (N_("What went well"), N_("What did not go well"), N_("Why it happened"), N_("kept"), N_("broken"),
             N_("open"), N_("met"), N_("missed"), N_("done"), N_("dropped"), N_("draft"), N_("in review"),
             N_("final"))


class Translate(Protocol):
    """A text of the document in the reader's language, its %(name)s placeholders filled."""

    def __call__(self, text: str, **values: object) -> str:
        """The text translated, then filled."""
        ...


def english(text: str, **values: object) -> str:
    """The document's own words: the exports (Markdown, HTML, PDF, JSON) are written in English."""
    return text % values if values else text


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


def sections(review: Review, tr: Translate = english, locale: str = "en") -> list[tuple[str, list[Block]]]:
    """The review's sections, each a heading and its blocks; `tr` and `locale` give the console's reader their
    language (the exports keep the defaults: English)."""
    f, now = review.figures, review.now

    def at(moment: datetime | None) -> str:
        return format_moment(moment, locale, review.time_zone) if moment else "—"

    def said(text: str) -> str:  # an outcome or a state, in words when the catalogue has it
        return tr(text) if text in CATALOGUE else text

    resolved = at(f.resolved_at) if f.resolved_at else tr("not resolved yet")
    summary = [
        Block("p", tr("Incident #%(id)s “%(title)s” (%(runbook)s, %(severity)s), now %(state)s. Review: %(review)s.",
                      id=review.incident_id, title=review.title, runbook=review.runbook_title,
                      severity=review.severity, state=review.state_label.lower(),
                      review=said(review.review_state_label.lower()))
              if not review.is_drill else
              tr("Incident #%(id)s “%(title)s” (%(runbook)s, %(severity)s, a drill), now %(state)s. Review: "
                 "%(review)s.", id=review.incident_id, title=review.title, runbook=review.runbook_title,
                 severity=review.severity, state=review.state_label.lower(),
                 review=said(review.review_state_label.lower()))),
        Block("table", headers=("", ""), rows=(
            (tr("Declared"), at(f.declared_at)), (tr("Resolved"), resolved),
            (tr("Duration"), span(f.duration(now))),
            (tr("Components"), ", ".join(review.components) or tr("none named")),
            (tr("Complaints linked"), str(review.complaints)),
            (tr("Public posts"), str(f.public_posts)),
            *((name.replace("_", " ").capitalize(), value) for name, value in review.fields.items()))),
    ]
    first = (tr("First public word after %(time)s (%(moment)s).", time=span(f.time_to_first_public),
                moment=at(f.first_public_at)) if f.first_public_at else
             tr("First public word after %(time)s: nothing public was said.", time=span(f.time_to_first_public)))
    kept = (tr("%(kept)s kept, %(broken)s broken (%(rate)s%% kept).", kept=f.kept, broken=f.broken,
               rate=round(100 * f.promise_rate)) if f.promise_rate is not None else
            tr("%(kept)s kept, %(broken)s broken.", kept=f.kept, broken=f.broken))
    said_in_public = [
        Block("p", first + " " + tr("Somebody took the incident after %(time)s.", time=span(f.time_to_acknowledge))),
        Block("h3", tr("Causes: recorded and published")),
        *( [Block("table", headers=(tr("Cause"), tr("Recorded"), tr("Published"), tr("After")), rows=tuple(
            (c.value, at(c.recorded_at), at(c.published_at) if c.published_at else tr("never said in public"),
             span(c.delay)) for c in f.causes))] if f.causes else [Block("p", tr("No cause was recorded."))]),
        Block("h3", tr("Promises of the next update")),
        Block("p", kept),
        *( [Block("table", headers=(tr("Post"), tr("Made"), tr("Promised by"), tr("Next post"), tr("Outcome")),
                  rows=tuple((f"#{p.post_id} {p.kind}", at(p.made_at), at(p.due_at), at(p.next_post_at),
                              tr("%(outcome)s, %(time)s late", outcome=said(p.outcome), time=span(p.late_by))
                              if p.late_by else said(p.outcome)) for p in f.promises))]
           if f.promises else []),
        Block("h3", tr("Waiting for approval")),
        *( [Block("table", headers=(tr("Post"), tr("Submitted"), tr("Approved"), tr("Waited")), rows=tuple(
            (f"#{a.post_id} {a.kind}", at(a.submitted_at), at(a.approved_at), span(a.wait)) for a in f.approvals))]
           if f.approvals else [Block("p", tr("No post waited for an approval."))]),
        Block("h3", tr("Deadlines")),
        *( [Block("table", headers=(tr("Deadline"), tr("Due"), tr("Outcome"), tr("When")), rows=tuple(
            (d.label, at(d.due_at), said(d.outcome), at(d.settled_at)) for d in f.deadlines))]
           if f.deadlines else [Block("p", tr("No deadline was set."))]),
        Block("h3", tr("Tone warnings published over")),
        *( [Block("table", headers=(tr("Post"), tr("Rules")), rows=tuple(
            (f"#{post_id} {kind}", ", ".join(rules)) for post_id, kind, rules in f.tone))]
           if f.tone else [Block("p", tr("Every public post went out without a tone warning."))]),
    ]
    timeline = [Block("table", headers=(tr("When"), tr("Who"), tr("What")), rows=tuple(
        (at(d.at), d.actor, d.text) for d in f.decisions))]
    team = [(tr(label), [Block("md", review.sections[name])] if review.sections.get(name)
             else [Block("p", tr("Not written yet."))]) for name, label in SECTIONS.items()]
    actions = ([Block("table", headers=("#", tr("Action"), tr("Owner"), tr("Due"), tr("State")), rows=tuple(
        (str(a.id), a.title, a.owner, a.due_on.isoformat(),
         tr("%(state)s (overdue)", state=said(a.state)) if a.overdue(now.date()) else said(a.state))
        for a in review.actions))] if review.actions else [Block("p", tr("No follow-up action yet."))])
    return [(tr(SUMMARY), summary), (tr(SAID), said_in_public), (tr(TIMELINE), timeline), *team,
            (tr(ACTIONS), actions)]


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
