"""The shipped templates: each renders for every runbook and locale, and reads well on every channel."""

from __future__ import annotations

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.channels import CHANNELS, render
from crisisplan.comms.render import TemplateError
from crisisplan.comms.samples import render_samples, template_problems
from crisisplan.comms.tone import Context, check
from crisisplan.plan.load import load_plan

PLAN = load_plan(SHIPPED_PLAN)
SAMPLES = list(render_samples(PLAN))
# Long posts do not fit a 280-character social post yet: short forms per kind are still to come.
CHANNELS_THAT_FIT = [c for c in CHANNELS if c != "social_short"]


def test_every_template_renders() -> None:
    assert template_problems(PLAN) == []
    assert len(SAMPLES) == 38  # 3 runbooks × 2 locales × the kinds each drafts, plus hand-written replies
    assert not [s for s in SAMPLES if isinstance(s[3], TemplateError)]


@pytest.mark.parametrize(("runbook", "locale", "kind", "text"), SAMPLES,
                         ids=[f"{r.id}-{loc}-{k}" for r, loc, k, _ in SAMPLES])
def test_shipped_words_pass_every_tone_rule(runbook, locale: str, kind: str, text: str) -> None:
    for channel in CHANNELS_THAT_FIT:
        findings = check(text, Context(locale=locale, kind=kind, channel=channel,
                                       jargon=tuple(PLAN.settings.tone.jargon), block=tuple(PLAN.settings.tone.block)))
        assert findings == [], (channel, [(f.rule, text[f.start:f.end]) for f in findings])
        assert not render(text, channel).over_limit
    assert "\n\n" in text or kind in {"holding_reply", "private_channel_invite", "escalation_notice",
                                      "refusal_with_alternative"}
