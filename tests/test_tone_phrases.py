"""The tone rules read the plan's phrases (templates/<locale>/tone.yaml) as lemmas: word order, inflection and
contractions do not defeat them, each file's own examples hold, and a broken file is reported with file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.tone import Context, check
from crisisplan.comms.tone_plan import plan_tone
from crisisplan.plan.load import check_plan, load_plan
from crisisplan.plan.tone_phrases import PHRASE_RULES

PLAN = load_plan(SHIPPED_PLAN)


def rules(text: str, locale: str = "en", kind: str = "update", **extra: object) -> set[str]:
    ctx = Context(locale=locale, kind=kind, **{**plan_tone(PLAN.settings), **extra})
    return {f.rule for f in check(text, ctx)}


# The texts of the issue that passed with no finding at all, and the rule each must now fire.
@pytest.mark.parametrize(("locale", "text", "rule"), [
    ("en", "You're completely wrong about this.", "contradiction"),
    ("en", "That's simply not true.", "contradiction"),
    ("en", "This is your own fault.", "blame"),
    ("en", "We won't refund you.", "bare_refusal"),
    ("en", "Sorry, that is impossible.", "bare_refusal"),
    ("en", "We do not offer that.", "bare_refusal"),
    ("en", "The problem is on your side.", "blame"),
    ("en", "Your complaint is noted.", "dismissive"),
    ("en", "As previously stated, the fee applies.", "dismissive"),
    ("en", "Per our policy, the order stands.", "dismissive"),
    ("en", "Mistakes were made.", "passive_evasion"),
    ("es", "No es nuestra culpa.", "blame"),
    ("es", "No es culpa nuestra.", "blame"),
    ("es", "La culpa no es nuestra.", "blame"),
    ("es", "El problema es suyo.", "blame"),
    ("es", "No fue nuestra culpa.", "blame"),
    ("es", "Se cometieron errores.", "passive_evasion"),
])
def test_the_paraphrases_of_the_issue_fire(locale: str, text: str, rule: str) -> None:
    assert rule in rules(text, locale)


def test_contractions_and_inflections_read_alike() -> None:
    for text in ("You are wrong.", "You're wrong.", "You were wrong.", "YOU ARE WRONG."):
        assert "contradiction" in rules(text), text
    assert "contradiction" not in rules("You were right to tell us.")


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("rule", PHRASE_RULES)
def test_each_rule_keeps_its_own_examples(rule: str, locale: str) -> None:
    """The examples the comms team wrote beside the phrases: `fires` are flagged, `quiet` are not."""
    phrases = PLAN.tone.locale(locale)[rule]
    kind = {"speculation": "cause", "thanks": "resolve"}.get(rule, "acknowledge")
    assert phrases.fires and phrases.quiet, (rule, locale)
    for text in phrases.fires:
        assert rule in rules(text, locale, kind), (rule, locale, text)
    for text in phrases.quiet:
        assert rule not in rules(text, locale, kind), (rule, locale, text)


def test_the_apology_comes_first_and_once() -> None:
    late = "Thank you for telling us about the failed payments this morning. We are sorry."
    assert "apology_first" in rules(late, kind="acknowledge")
    assert "apology_first" not in rules("**Payments**\n\nAlex, we are sorry. Thank you for telling us.",
                                        kind="holding_reply")
    assert "one_apology" in rules("We are sorry. We apologise for the trouble. Sorry again.")
    assert "one_apology" not in rules("**We are sorry: payments fail**\n\nWe are sorry for the trouble.")


def test_a_promise_with_a_time_is_no_vague_promise() -> None:
    assert "vague_promise" in rules("We will fix it soon.")
    assert "vague_promise" not in rules("We will fix it soon, by 18:00 CET at the latest.")


def test_an_order_number_is_personal_data_in_public_only() -> None:
    assert "personal_data" in rules("We refunded order #48213 this morning.")
    assert "personal_data" in rules("Tu pedido n.º 4821399 ya está en camino.", "es")
    assert "personal_data" not in rules("We refunded order #48213 this morning.", audience="private")
    assert "personal_data" not in rules("Details: https://status.example.com/incidents/48213")


def test_a_plan_adds_its_own_phrases(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    shutil.copytree(SHIPPED_PLAN / "templates", root / "templates")
    shutil.copytree(SHIPPED_PLAN / "runbooks", root / "runbooks")
    shutil.copy(SHIPPED_PLAN / "plan.yaml", root / "plan.yaml")
    tone = root / "templates" / "en" / "tone.yaml"
    tone.write_text(tone.read_text(encoding="utf-8").replace("    - calm down\n",
                                                             "    - calm down\n    - we stand by our decision\n"),
                    encoding="utf-8")
    plan = load_plan(root)
    text = "We stood by our decision."
    assert "dismissive" in {f.rule for f in check(text, Context(**plan_tone(plan.settings)))}
    assert "dismissive" not in rules(text)


@pytest.mark.parametrize(("bad", "line", "words"), [
    ("blame:\n  phrases:\n    - you are\n    - .. wrong\n", 4, "stands between two words"),
    ("blame:\n  phrase:\n    - your fault\n", 2, "unknown key 'blame.phrase'"),
    ("blam:\n  phrases: [your fault]\n", 1, "unknown rule 'blam'"),
    ("blame:\n  phrases: your fault\n", 2, "must be a list"),
    ("blame:\n  phrases:\n    - no + .. culpa\n", 3, "single words"),
    ("blame:\n  fires: [x]\n", 1, "has no phrases"),
])
def test_a_broken_tone_file_is_reported_with_its_line(tmp_path: Path, bad: str, line: int, words: str) -> None:
    root = tmp_path / "plan"
    shutil.copytree(SHIPPED_PLAN / "templates", root / "templates")
    shutil.copytree(SHIPPED_PLAN / "runbooks", root / "runbooks")
    shutil.copy(SHIPPED_PLAN / "plan.yaml", root / "plan.yaml")
    (root / "templates" / "en" / "tone.yaml").write_text(bad, encoding="utf-8")
    _, problems = check_plan(root)
    found = [p for p in problems if p.file.endswith("en/tone.yaml") and words in p.message]
    assert found, [str(p) for p in problems]
    assert found[0].line == line and found[0].severity == "error"


def test_a_plan_without_tone_files_keeps_the_shipped_phrases(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    shutil.copytree(SHIPPED_PLAN / "templates", root / "templates")
    shutil.copytree(SHIPPED_PLAN / "runbooks", root / "runbooks")
    shutil.copy(SHIPPED_PLAN / "plan.yaml", root / "plan.yaml")
    (root / "templates" / "es" / "tone.yaml").unlink()
    plan, problems = check_plan(root)
    assert plan is not None
    assert [p.severity for p in problems if p.file.endswith("es/tone.yaml")] == ["warning"]
    assert "blame" in {f.rule for f in check("La culpa no es nuestra.",
                                             Context(locale="es", **plan_tone(plan.settings)))}


def test_the_plan_sets_readability_targets_per_channel(tmp_path: Path) -> None:
    from crisisplan.comms.channels import CHANNELS
    from crisisplan.plan.tone_phrases import READABILITY_CHANNELS

    assert set(READABILITY_CHANNELS) == set(CHANNELS)
    text = ("We moved the payment service to a new data centre this morning, and some card payments failed while "
            "the last of the traffic was switched over. Next update by 10:30.")
    strict = Context(readability=(("status_page", 90.0),))
    assert "readability" in {f.rule for f in check(text, strict)}
    assert "readability" not in {f.rule for f in check(text, Context(readability=(("status_page", 20.0),)))}
    root = tmp_path / "plan"
    shutil.copytree(SHIPPED_PLAN / "templates", root / "templates")
    shutil.copytree(SHIPPED_PLAN / "runbooks", root / "runbooks")
    plan_yaml = (SHIPPED_PLAN / "plan.yaml").read_text(encoding="utf-8")
    assert "\ntone:\n" in plan_yaml
    (root / "plan.yaml").write_text(plan_yaml.replace("\ntone:\n", "\ntone:\n  readability: {status_page: 90, "
                                                                    "smoke_signal: 50}\n"), encoding="utf-8")
    plan, problems = check_plan(root)
    bad = [p for p in problems if "readability" in p.message]
    assert [p.message for p in bad] == ["tone.readability.smoke_signal: unknown channel 'smoke_signal'"]
    assert bad[0].file.endswith("plan.yaml") and bad[0].line > 1
    assert plan is not None and dict(plan_tone(plan.settings)["readability"]) == {"status_page": 90.0,
                                                                                 "smoke_signal": 50.0}


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_shipped_holding_reply_apologises_first(locale: str) -> None:
    from crisisplan.comms.lemmas import tokenise
    from crisisplan.comms.phrases import matches
    from crisisplan.comms.samples import render_samples

    replies = [text for runbook, loc, kind, variant, text in render_samples(PLAN)
               if loc == locale and kind == "holding_reply" and not variant]
    assert replies
    for text in replies:
        _, sentences = tokenise(text, locale)
        first = sentences[0]
        assert [m for m in matches(PLAN.tone, locale, "apology", text) if first.start <= m[0] < first.end], text
        assert "apology_first" not in rules(text, locale, "holding_reply")


def test_a_served_console_loads_the_checks_at_start(services, monkeypatch: pytest.MonkeyPatch) -> None:
    """`crisisplan serve` sets CRISISPLAN_TONE_WARM_UP: each worker loads the dictionaries and lingua's models in
    the background at start, so the first live tone check in the editor does not wait seconds for them."""
    import threading

    from crisisplan.comms import language, lemmas, spelling
    from crisisplan.web import create_app

    for cached in (spelling._checker, language._detector, lemmas.lemma):
        cached.cache_clear()
    monkeypatch.setenv("CRISISPLAN_TONE_WARM_UP", "1")
    create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True})
    for thread in threading.enumerate():  # with the dictionaries in memory already it may have finished
        if thread.name == "tone-warm-up":
            thread.join(timeout=120)
    assert spelling._checker.cache_info().currsize >= 1
    assert language._detector.cache_info().currsize == 1  # the plan's languages, en and es
    assert lemmas.lemma.cache_info().currsize > 0


def test_the_console_live_check_uses_the_plans_phrases_and_languages(client) -> None:
    from tests.web import csrf, login

    login(client, "carmen")
    token = csrf(client, "/console/")

    def lint(text: str, locale: str) -> set[str]:
        response = client.post("/console/lint", json={"text": text, "locale": locale, "channel": "status_page",
                                                      "kind": "update"}, headers={"X-CSRFToken": token})
        assert response.status_code == 200
        return {f["rule"] for f in response.get_json()["findings"]}

    assert "blame" in lint("La culpa no es nuestra, sino del transportista.", "es")
    assert "wrong_language" in lint("Lo sentimos, el pago con tarjeta falla para algunos clientes ahora mismo.", "en")
    assert "spelling" in lint("We are workng on the payment servise right now.", "en")
