"""Tone benchmark: per-rule precision and recall on the labelled corpus, and the cost of checking one text.

    .venv/bin/python benchmarks/tone.py [--rounds 20] [--locale en --locale es]

Quality: every text of tests/data/tone/<locale>.tsv is checked as a published post of its kind on the status
page, with the shipped plan's settings; a rule's precision is the share of the texts it flags that carry its
label, its recall the share of the labelled texts it flags.

Cost, per text (all rules, status-page channel): cold = a text never checked before in this process (each round
checks every corpus text with a new number appended, so no cache holds it; the word-level caches are warm, as in
a server that has run for a while); warm = the same texts again (the console's live check while nothing
changed). Wall-clock p50, p99 and max, and the p99 of the process's CPU time (on a shared machine the wall
clock also counts the time other processes held the cores: the load average is printed beside). The first
round of the run (loading dictionaries, lingua's models) is timed apart as `first load`.
Target (issue "The words, deeper"): cold p99 under 5 ms a text.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.tone_corpus import LABELLED, context, evaluate, load  # noqa: E402


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _fmt(value: float | None) -> str:
    return "   —" if value is None else f"{value:4.2f}"


def quality(locale: str) -> None:
    scores, wrong = evaluate(locale)
    rows = load(locale)
    print(f"\n{locale}: {len(rows)} texts ({sum(1 for r in rows if not r.rules)} labelled none)")
    print(f"{'rule':<17}{'texts':>6}{'flagged':>8}{'precision':>10}{'recall':>8}")
    for rule in LABELLED:
        s = scores[rule]
        print(f"{rule:<17}{s.tp + s.fn:>6}{s.tp + s.fp:>8}{_fmt(s.precision):>10}{_fmt(s.recall):>8}")
    print(f"texts where the checker and the label disagree: {len(wrong)}")


def cost(locale: str, rounds: int) -> None:
    from crisisplan.comms.tone import check

    rows = load(locale)
    jobs = [(row.text, context(locale, row.kind)) for row in rows]
    start = time.perf_counter()
    for text, ctx in jobs:
        check(text + " 0", ctx)
    first = (time.perf_counter() - start) * 1000
    times: dict[str, tuple[list[float], list[float]]] = {"cold": ([], []), "warm": ([], [])}

    def timed(kind: str, text: str, ctx: object) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        check(text, ctx)
        times[kind][0].append((time.perf_counter() - wall) * 1000)
        times[kind][1].append((time.process_time() - cpu) * 1000)

    for n in range(1, rounds + 1):
        for text, ctx in jobs:
            timed("cold", f"{text} {n}", ctx)
        for text, ctx in jobs:
            timed("warm", text + " 0", ctx)
    for kind, (wall, cpu) in times.items():
        print(f"{locale:<7}{kind:<6}{statistics.median(wall):>8.3f}ms{percentile(wall, 99):>8.3f}ms"
              f"{max(wall):>9.3f}ms{percentile(cpu, 99):>10.3f}ms{len(wall):>8}")
    print(f"{locale:<7}first load (the whole corpus once, dictionaries and models loaded): {first:.0f} ms")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--locale", action="append", choices=["en", "es"])
    args = parser.parse_args()
    locales = args.locale or ["en", "es"]
    libraries = ", ".join(f"{n} {_version(n)}" for n in ("simplemma", "pyspellchecker", "textstat",
                                                          "lingua-language-detector"))
    print(f"crisisplan tone benchmark — Python {platform.python_version()}, {platform.machine()}, "
          f"{libraries}; channel status_page, the shipped plan's settings, {args.rounds} rounds")
    print(f"\ncost per text{'':<4}{'p50':>8}{'p99':>10}{'max':>11}{'cpu p99':>12}{'texts':>8}   target cold p99 < 5 ms"
          f"   (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for locale in locales:
        cost(locale, args.rounds)
    for locale in locales:
        quality(locale)


if __name__ == "__main__":
    main()
