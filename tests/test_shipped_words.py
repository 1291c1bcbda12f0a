"""The shipped templates: each renders for every runbook and locale, and reads well on every channel."""

from __future__ import annotations

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.channels import CHANNELS, render
from crisisplan.comms.delivery import SHORT_CHANNELS, text_for
from crisisplan.comms.render import TemplateError
from crisisplan.comms.samples import render_samples, template_problems
from crisisplan.comms.tone import Context, check
from crisisplan.plan.load import load_plan

PLAN = load_plan(SHIPPED_PLAN)
SAMPLES = list(render_samples(PLAN))
# (runbook id, locale, kind) -> {variant: text}: a post and, where the plan has one, its short form
POSTS: dict[tuple[str, str, str], dict[str, str]] = {}
for _runbook, _locale, _kind, _variant, _text in SAMPLES:
    POSTS.setdefault((_runbook.id, _locale, _kind), {})[_variant] = _text


def test_every_template_renders() -> None:
    assert template_problems(PLAN) == []
    assert len(POSTS) == 60  # 4 runbooks × 2 locales × the kinds each drafts (and the postmortem), plus replies
    assert not [s for s in SAMPLES if isinstance(s[4], TemplateError)]
    # every kind a runbook drafts has a short form, in both locales; replies short enough need none
    drafted = {k for (_, _, k), texts in POSTS.items() if k not in {"holding_reply", "escalation_notice"}}
    assert {k for (_, _, k), texts in POSTS.items() if "short" in texts} == drafted


@pytest.mark.parametrize(("runbook", "locale", "kind"), list(POSTS),
                         ids=[f"{r}-{loc}-{k}" for r, loc, k in POSTS])
def test_shipped_words_pass_every_tone_rule_on_every_channel(runbook, locale: str, kind: str) -> None:
    texts = POSTS[(runbook, locale, kind)]
    for channel in CHANNELS:
        text = text_for({locale: texts[""]}, {locale: texts.get("short", "")}, locale, channel)
        assert text == texts["short" if channel in SHORT_CHANNELS and "short" in texts else ""]
        org = PLAN.settings.organisation  # as publishing checks it: who reads it, and our own contacts
        findings = check(text, Context(locale=locale, kind=kind, channel=channel,
                                       jargon=tuple(PLAN.settings.tone.jargon), block=tuple(PLAN.settings.tone.block),
                                       audience=PLAN.runbook(runbook).audience(kind),
                                       own_contacts=(org.support_email, org.phone)))
        assert findings == [], (channel, [(f.rule, text[f.start:f.end]) for f in findings])
        assert not render(text, channel).over_limit, render(text, channel).summary()
    assert "\n\n" in texts[""] or kind in {"holding_reply", "private_channel_invite", "escalation_notice",
                                           "refusal_with_alternative", "fix_check"}


def test_short_forms_leave_room_for_a_long_title() -> None:
    """An 80-character title still fits a short social post in every shipped short form."""
    for (_runbook, locale, kind), texts in POSTS.items():
        text = texts.get("short", texts[""])
        title = "Checkout fails for some customers"
        if title not in text:
            continue  # replies to a person name no title
        room = CHANNELS["social_short"].limit - render(text, "social_short").length
        assert room >= 80 - len(title), (kind, locale, room)
