"""Checks of the runbook's public steps: a step that claims a public act is taken by publishing a post.

`crisisplan validate` reports them with file:line, beside the other runbook checks.
"""

from __future__ import annotations

import re

from crisisplan.errors import Problem, did_you_mean
from crisisplan.plan.schema import Runbook
from crisisplan.plan.source import Located

# words in a step's trigger or label that say something was told to the public
_PUBLIC_ACT = re.compile(r"\b(acknowledg\w*|announc\w*|disclos\w*|public\w*|told|tell)\b", re.I)


def step_problems(rb: Runbook, src: Located, kinds: set[str]) -> list[Problem]:
    """The public steps' problems: a post kind no template writes, a step that guards on its own post,
    a step whose words claim a public act but that no post takes (a warning), an approval role for a kind
    nothing drafts (a warning)."""
    found: list[Problem] = []
    for i, tr in enumerate(rb.transitions):
        base = ("transitions", i)
        if tr.post and tr.post not in kinds:
            found.append(src.problem(base + ("post",), f"step '{tr.trigger}' is taken by a '{tr.post}' post, "
                                     "but no template writes one", did_you_mean(tr.post, kinds)))
        for j, guard in enumerate(tr.guards):
            if tr.post and guard.published == tr.post:
                found.append(src.problem(base + ("guards", j), f"step '{tr.trigger}' waits for its own "
                                         f"'{tr.post}' post; publishing it takes the step, so drop this guard"))
        if not tr.post and _PUBLIC_ACT.search(f"{tr.trigger} {tr.label}"):
            problem = src.problem(base + ("trigger",), f"step '{tr.trigger}' ({tr.label or 'no label'}) claims a "
                                  "public act, but no post takes it: the record could say it happened while "
                                  "nothing was said", "add `post: KIND` so publishing that post takes the step")
            found.append(Problem(problem.file, problem.line, problem.column, problem.message, problem.hint,
                                 "warning"))
    drafted = {t.post for t in rb.transitions if t.post} | {s.draft for s in rb.states if s.draft} \
        | {t.action.draft for t in rb.timers if t.action.draft}
    for kind in rb.approval_roles:
        if kind not in drafted and kind not in kinds:
            problem = src.problem(("approval_roles", kind), f"approval_roles names '{kind}', a post kind this "
                                  "runbook never drafts", did_you_mean(kind, drafted))
            found.append(Problem(problem.file, problem.line, problem.column, problem.message, problem.hint,
                                 "warning"))
    return found
