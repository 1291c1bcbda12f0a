"""Words benchmark: render + tone-check time per post, for every channel.

    .venv/bin/python benchmarks/words.py [--rounds 200]

For each channel: render the shipped templates with sample data (Jinja2, sandboxed),
turn the Markdown into the channel's form and run every tone rule.
Target (issue "The words"): p99 under 5 ms per post and channel.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.channels import CHANNELS, render
from crisisplan.comms.context import template_context
from crisisplan.comms.delivery import SHORT_CHANNELS
from crisisplan.comms.render import Renderer
from crisisplan.comms.samples import kinds_to_render, sample_incident
from crisisplan.comms.tone import Context, check
from crisisplan.plan.load import load_plan


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
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
                jobs.append((long_form, short_form, context, locale, kind))
    times: dict[str, list[float]] = {c: [] for c in CHANNELS}
    for _ in range(args.rounds):
        for long_form, short_form, context, locale, kind in jobs:
            for channel in CHANNELS:
                start = time.perf_counter()
                text = renderer.render(short_form if channel in SHORT_CHANNELS else long_form, context)
                rendering = render(text, channel)
                check(text, Context(locale=locale, kind=kind, channel=channel, jargon=tuple(plan.settings.tone.jargon)),
                      rendering)
                times[channel].append((time.perf_counter() - start) * 1000)
    print(f"crisisplan words benchmark: {len(jobs)} posts (runbook × locale × kind) × {args.rounds} rounds a channel")
    print(f"{'channel':<14}{'p50':>10}{'p99':>10}{'max':>10}   target p99 < 5 ms")
    for channel, samples in times.items():
        print(f"{channel:<14}{statistics.median(samples):>8.3f}ms{percentile(samples, 99):>8.3f}ms"
              f"{max(samples):>8.3f}ms")


if __name__ == "__main__":
    main()
