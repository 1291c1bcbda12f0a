"""Words benchmark: render + tone-check time per post, for every channel.

    .venv/bin/python benchmarks/words.py [--rounds 200]

For each channel: render the shipped templates with sample data (Jinja2, sandboxed),
turn the Markdown into the channel's form (and into sanitised HTML for the status page and
e-mail) and run every tone rule; warm (the same texts again) and cold (a new text each time).
Target (issue "The words"): p99 under 5 ms per post and channel.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.channels import CHANNELS, render
from crisisplan.comms.context import template_context
from crisisplan.comms.delivery import PRIMARY, SHORT_CHANNELS
from crisisplan.comms.markdown import to_html
from crisisplan.comms.render import Renderer
from crisisplan.comms.samples import kinds_to_render, sample_incident
from crisisplan.comms.tone import Context, check
from crisisplan.plan.load import load_plan


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    plan = load_plan(SHIPPED_PLAN)
    renderer = Renderer(plan.root / "templates")
    jobs = []
    for runbook in plan.runbooks.values():
        incident = sample_incident(runbook, plan)
        for locale in plan.settings.locales:
            for kind in sorted(kinds_to_render(plan, runbook)):
                context = template_context(plan.settings, runbook, incident, locale=locale,
                                           now=incident.declared_at,
                                           next_update_at=incident.declared_at + timedelta(minutes=30), person="Alex")
                long_form = plan.template_path(locale, runbook.id, kind)
                short_form = plan.template_path(locale, runbook.id, kind, "short") or long_form
                if long_form is not None:  # a kind this language has no template for is drafted by hand
                    jobs.append((long_form, short_form, context, locale, kind))
    html_channels = {PRIMARY, "email"}  # the channels that show the post as HTML: Markdown -> sanitised HTML too
    times: dict[tuple[str, str], list[float]] = {}
    for mode in ("warm", "cold"):
        for n in range(args.rounds + (1 if mode == "warm" else 0)):
            for j, (long_form, short_form, context, locale, kind) in enumerate(jobs):
                for channel in CHANNELS:
                    start = time.perf_counter()
                    text = renderer.render(short_form if channel in SHORT_CHANNELS else long_form, context)
                    if mode == "cold":  # a text never seen before: every cache keyed by the text misses
                        text += f"\n\nReference {n}-{j}-{channel}."
                    rendering = render(text, channel)
                    if channel in html_channels:
                        to_html(text)
                    check(text, Context(locale=locale, kind=kind, channel=channel,
                                        jargon=tuple(plan.settings.tone.jargon)), rendering)
                    if mode == "cold" or n > 0:  # warm: the first round only fills the caches
                        times.setdefault((mode, channel), []).append((time.perf_counter() - start) * 1000)
    print(f"crisisplan words benchmark: {len(jobs)} posts (runbook × locale × kind) × {args.rounds} rounds a channel; "
          "each sample = render the template (Jinja2, sandboxed) + the channel's form + Markdown -> HTML "
          f"({', '.join(sorted(html_channels))}) + every tone rule; warm = the same texts again (caches hit), "
          "cold = a new text every time (a reference number appended: caches keyed by the text miss); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'channel':<14}{'mode':<6}{'p50':>10}{'p99':>10}{'max':>10}   target p99 < 5 ms")
    for (mode, channel), samples in sorted(times.items(), key=lambda item: (item[0][1], item[0][0])):
        print(f"{channel:<14}{mode:<6}{statistics.median(samples):>8.3f}ms{percentile(samples, 99):>8.3f}ms"
              f"{max(samples):>8.3f}ms")
    worst = max(percentile(samples, 99) for (mode, _), samples in times.items() if mode == "cold")
    print(f"target p99 < 5 ms, cold: {'met' if worst < 5 else 'MISSED'} (worst channel {worst:.2f} ms)")

if __name__ == "__main__":
    main()
