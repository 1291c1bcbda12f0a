"""The whole plan as one document to print or keep offline: `crisisplan plan render --format html|md|pdf OUT`.

One Markdown text is the source of all three: Markdown as it is (diagrams as SVG files beside it), HTML
with the diagrams inline and print styles, and PDF made from that HTML by WeasyPrint (pure Python over
Pango, which works offline and needs no browser).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import markdown

from crisisplan.duration import format_duration
from crisisplan.plan.languages import public_hours
from crisisplan.plan.load import Plan

CSS = """
@page { size: A4; margin: 18mm 16mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.4; color: #111; max-width: 60em;
       margin: auto; }
h1 { font-size: 20pt; } h2 { font-size: 15pt; border-bottom: 2px solid #333; margin-top: 2em; }
h2.runbook { page-break-before: always; } h3 { font-size: 12pt; margin-top: 1.4em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: .25em .4em; text-align: left; vertical-align: top; }
th { background: #eee; } pre { white-space: pre-wrap; background: #f5f5f5; padding: .5em; font-size: 8.5pt;
       page-break-inside: avoid; border-left: 3px solid #999; }
figure.diagram svg { max-width: 100%; height: auto; max-height: 230mm; }
"""


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ") if value not in (None, "") else "—"


def _table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def source(plan: Plan, diagram_ref: dict[str, str]) -> str:
    """The plan as Markdown; `diagram_ref` maps a runbook id to what stands where its diagram goes."""
    s = plan.settings
    org = s.organisation
    out = [f"# {org.name}: crisis communication plan\n",
           f"Printed {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from `{plan.root}`. Keep a copy where you can read "
           f"it when our own systems are down.\n",
           "## Who we are and where people get help\n",
           _table(["", ""], [["Help", org.help_url], ["Status page", org.status_url], ["E-mail", org.support_email],
                             ["Phone", org.phone], ["Phone hours", public_hours(s)],
                             ["Time zone", org.time_zone], ["Languages", ", ".join(s.locales)]])]
    if s.support:
        out += ["## Channels: hours and first answer\n",
                _table(["Channel", "Hours", "Time zone", "First answer within"],
                       [[_every(c.label, c.labels), c.hours, c.time_zone or org.time_zone, format_duration(c.response)]
                        for c in s.support])]
    roles = {r.name: r for rb in plan.runbooks.values() for r in rb.roles}
    out += ["## People and roles\n",
            _table(["Role", "What it does", "People"],
                   [[r.label, r.description, ", ".join(p.label for p in s.people if r.name in p.roles)]
                    for r in sorted(roles.values(), key=lambda r: r.label)])]
    if s.people:
        out += ["### Contacts\n", _table(["Name", "Roles", "E-mail", "Phone"],
                                          [[p.label, ", ".join(roles[r].label if r in roles else r for r in p.roles),
                                            p.email, p.phone] for p in s.people])]
    if s.escalation:
        out += ["## Escalation matrix\n",
                _table(["When", "Who takes over", "Within", "Tell the customer", "Notes"],
                       [[e.when, roles[e.to].label if e.to in roles else e.to, format_duration(e.within),
                         "yes" if e.tell_customer else "no", e.note] for e in s.escalation])]
    if s.components:
        out += ["## Components on the status page\n",
                _table(["Component", "Group", "Description"],
                       [[_every(c.label, c.labels), _every(c.group, c.group_labels), c.description]
                        for c in s.components])]
    for rb in plan.runbooks.values():
        out += [f"## Runbook: {rb.title}\n", f"`{rb.id}`, version {rb.version}. {rb.description}\n"]
        if rb.incident_audience != "public" or rb.audiences:
            internal = ("The incident itself (its title, fields and people) is internal: the public sees only its "
                        "public posts. " if rb.incident_audience != "public" else "")
            out.append(internal + "Who reads each post: " + ", ".join(
                f"{kind} — {who}" for kind, who in sorted(rb.audiences.items())) + "; every other post is public.\n")
        out += ["### Deadlines by severity\n",
                _table(["Severity", "Impact", "Acknowledge within", "Update every", "Approval", "Page"],
                       [[f"{v.label} ({v.name})", v.impact, format_duration(v.acknowledge_within),
                         format_duration(v.update_every), v.approval, ", ".join(v.page)] for v in rb.severities]),
                "### Diagram\n", diagram_ref[rb.id] + "\n",
                "### States and checklists\n"]
        for state in rb.states:
            status = f" — public status: {state.public_status}" if state.public_status else ""
            drafts = f"; drafts the '{state.draft}' post" if state.draft else ""
            out.append(f"**{state.label}** (`{state.name}`){status}{drafts}{' — final' if state.final else ''}\n")
            out += [f"- [ ] {item}" for item in state.checklist]
            out.append("")
        out += ["### Triggers\n",
                _table(["Trigger", "From", "To", "Only when"],
                       [[f"{t.label or t.trigger} (`{t.trigger}`)", ", ".join(t.sources), t.dest,
                         "; ".join(g.describe() for g in t.guards)] for t in rb.transitions]),
                "### Timers\n",
                _table(["Timer", "Kind", "After", "While in", "Does"],
                       [[t.label, t.kind, t.after, ", ".join(t.states),
                         ", ".join(f"{k} {v}" for k, v in t.action.model_dump(exclude_none=True).items())]
                        for t in rb.timers]),
                "### Roles and fields\n",
                _table(["Role", "What it does"], [[r.label, r.description] for r in rb.roles]),
                _table(["Field", "Meaning", "Public"], [[f.label, f.description, "yes" if f.public else "no"]
                                                       for f in rb.fields])]
    out.append("## Templates\n")
    for locale in s.locales:
        out.append(f"### Templates in '{locale}'\n")
        for (loc, runbook, name), path in sorted(plan.templates.items()):
            if loc != locale:
                continue
            where = f"{runbook}/" if runbook else ""
            out += [f"#### {where}{name}\n", "```jinja", path.read_text(encoding="utf-8").rstrip(), "```\n"]
    return "\n".join(out)


def write(plan: Plan, fmt: str, out: Path) -> list[Path]:
    """Write the document; returns the files written (Markdown brings its diagrams as SVG files)."""
    from crisisplan.plan.diagram import runbook_svg

    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        files = [out]
        refs = {}
        for rb_id, rb in plan.runbooks.items():
            svg = out.with_name(f"{out.stem}-{rb_id}.svg")
            svg.write_bytes(runbook_svg(rb))
            files.append(svg)
            refs[rb_id] = f"![{rb.title}: states and triggers]({svg.name})"
        out.write_text(source(plan, refs), encoding="utf-8")
        return files
    marks = {rb_id: f"DIAGRAM-{rb_id}" for rb_id in plan.runbooks}
    body = markdown.markdown(source(plan, marks), extensions=["tables", "fenced_code", "sane_lists"])
    for rb_id, rb in plan.runbooks.items():
        svg = runbook_svg(rb).decode()
        svg = svg[svg.index("<svg"):]  # inline: no XML declaration or doctype in the middle of HTML
        body = body.replace(f"<p>{marks[rb_id]}</p>", f'<figure class="diagram">{svg}</figure>')
    body = body.replace("<h2>Runbook:", '<h2 class="runbook">Runbook:')
    title = html.escape(f"{plan.settings.organisation.name}: crisis communication plan")
    page = (f'<!doctype html><html lang="{plan.settings.default_locale}"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>{CSS}</style></head><body>{body}</body></html>")
    if fmt == "html":
        out.write_text(page, encoding="utf-8")
        return [out]
    from weasyprint import HTML

    HTML(string=page, base_url=str(plan.root)).write_pdf(out)
    return [out]


def _every(default: str, labels: dict[str, str]) -> str:
    """A name in each language the plan gives it: `Checkout / Pago del pedido`."""
    return " / ".join(dict.fromkeys([default, *labels.values()]))
