"""Every post has an audience, as a user sees it: one person's complaint (a handle, an e-mail address and a phone
number in its text) goes through triage, declaration, private replies and a public resolution, and neither the
person nor the internal title reaches any public URL, the static export, or a subscriber's mailbox; the private
replies reach the complainant's own mailbox (real SMTP)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from crisisplan.cli import main
from crisisplan.comms import approval
from crisisplan.comms.render import format_moment
from tests.test_email import confirmed, deliver, link, subscribe
from tests.test_outbox import hooked, receiver  # noqa: F401,F811 - the fixtures: a plan with webhooks, an HTTP receiver
from tests.walk import publish_reviewed, satisfy, take
from tests.web import login

HANDLE, ADDRESS, PHONE = "@maria", "maria.lopez@example.net", "+34 612 345 678"
TEXT = (f"Soy {HANDLE} en redes. Me habéis cobrado dos veces el pedido y nadie me responde. Escribidme a {ADDRESS} "
        f"o llamad al {PHONE}.")
TZ = "Europe/Madrid"


def leaks(text: str) -> list[str]:
    """What of the person (or the incident's internal title) a public text gives away."""
    found = [s for s in (HANDLE, ADDRESS, "maria.lopez", "Complaint on", "52,000 followers") if s in text]
    digits = re.sub(r"\D", "", text)
    return found + (["the phone number"] if "612345678" in digits else [])


def public_urls(incident_id: int, post_ids: list[int]) -> list[str]:
    urls = ["/", "/?lang=es", f"/incidents/{incident_id}", f"/incidents/{incident_id}?lang=es", "/feed.atom",
            f"/incidents/{incident_id}/feed.atom", "/cap.xml", "/api/v2/summary.json", "/api/v2/status.json",
            "/api/v2/components.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json",
            "/api/v2/scheduled-maintenances.json"]
    return urls + [f"/cap/{post_id}.xml" for post_id in post_ids]


def test_a_complaint_stays_private_from_triage_to_resolution(client, services, smtp, runner, tmp_path: Path) -> None:
    confirmed(client, services, smtp, "everything@example.org")
    confirmed(client, services, smtp, "website@example.org", ["website"])
    subscribe(client, services, "lector@example.org", lang="es")
    client.post(link(smtp.mailbox.to("lector@example.org")[-1], "confirm"))
    told = {a: len(smtp.mailbox.to(a)) for a in ("everything@example.org", "website@example.org",
                                                 "lector@example.org")}
    start = services.clock.now()

    # triage: 52,000 followers declares on the complaints runbook; the title names the person, for responders
    row, _ = services.receive_complaint("email", ADDRESS, 52_000, TEXT)
    assert row.action == "declared" and row.data["triage"]["locale"] == "es"
    incident_id = row.incident_id
    view = services.get(incident_id)
    assert view.runbook_id == "complaints" and ADDRESS in view.title

    # the holding reply is private: it goes to the person's own address, nowhere public
    [holding] = [p for p in services.posts(incident_id) if p.kind == "holding_reply"]
    publish_reviewed(services, holding.id, "carmen")
    assert services.public_incidents() == []  # told nobody in public, so not on the page nor in the banner
    deliver(services)
    [reply] = smtp.mailbox.to(ADDRESS)
    body = reply.get_body(("plain",)).get_content()
    assert "sentimos" in body.lower() and reply["Subject"].strip().startswith("Re: Soy @maria")
    # high severity went up the matrix (duty manager within 15 minutes): the triage reply and the post name that time
    assert row.data["answer_by"] == (start + timedelta(minutes=15)).isoformat()
    by = format_moment(start + timedelta(minutes=15), "es", TZ, start)
    assert by in body and by in row.data["reply"]

    # judged legitimate: the invitation to a private channel is private too
    satisfy(services, incident_id, "judge_legitimate", "carmen")
    take(services, incident_id, "judge_legitimate", "carmen")
    [invite] = [p for p in services.posts(incident_id) if p.kind == "private_channel_invite"]
    publish_reviewed(services, invite.id, "carmen")
    deliver(services)
    assert len(smtp.mailbox.to(ADDRESS)) == 2 and services.public_incidents() == []

    # a public text that names her is refused by the personal_data rule
    named = services.draft_post(incident_id, "update", "carmen",
                                text=f"**Update**\n\nSorry, {HANDLE}: thank you. Next update by 23:30. "
                                     "Help: https://help.example.com")
    services.edit_post(named.id, f"**Actualización**\n\nLo sentimos, {HANDLE}: gracias. Próxima actualización "
                                 "antes de las 23:30. Ayuda: https://help.example.com", "carmen", locale="es")
    if "en" in (getattr(services.post(named.id), "stale_locales", None) or []):
        services.confirm_locale(named.id, "en", "carmen")  # both languages say the same
    services.submit_post(named.id, "carmen")
    services.approve_post(named.id, "lena")
    with pytest.raises(approval.ReviewError, match=r"personal_data\] @maria"):
        services.publish_post(named.id, "carmen")

    # resolved in public: the outcome, in the post's own words, naming nobody
    services.set_fields(incident_id, {"outcome": "We refunded the double charge and fixed the payment form."},
                        "carmen")
    if hasattr(services, "translate"):  # every language whole: the public words in Spanish too
        services.translate(incident_id, "es", {"outcome": "Devolvimos el cargo doble y arreglamos el formulario."},
                           "carmen")
    take(services, incident_id, "resolve", "carmen")
    deliver(services)
    [public] = services.public_incidents()
    assert public.id == incident_id and public.status == "resolved"
    assert public.title.startswith("Resolved: ") and not leaks(public.title)
    assert [u.kind for u in public.updates] == ["resolve"]

    post_ids = [p.id for p in services.posts(incident_id)]
    seen = ""
    for url in public_urls(incident_id, post_ids):
        page = client.get(url)
        assert page.status_code in (200, 404), url
        text = page.get_data(as_text=True)
        assert leaks(text) == [], (url, leaks(text))
        seen += text
    assert "Resolved: " in seen and "refunded the double charge" in seen  # the outcome is public, the person not

    out = tmp_path / "site"
    exported = runner.invoke(main, ["export-site", str(out), "--json"])
    assert exported.exit_code == 0, exported.output
    files = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".atom", ".xml", ".json")]
    assert any(f"incidents/{incident_id}" in str(p) for p in files)
    for path in files:
        assert leaks(path.read_text(encoding="utf-8")) == [], path

    for address, before in told.items():
        messages = smtp.mailbox.to(address)[before:]
        # the resolution at most (the one subscribed to all gets it), nothing of the private replies
        assert len(messages) == (len(messages) if address.startswith("website") else 1) <= 1, address
        for message in messages:
            whole = message["Subject"] + "".join(part.get_content() for part in message.walk()
                                                 if part.get_content_maintype() == "text")
            assert leaks(whole) == [], (address, leaks(whole))
    assert len(smtp.mailbox.to(ADDRESS)) == 2  # the public resolution goes to subscribers, not to her
    assert smtp.mailbox.to("lector@example.org")[-1]["Subject"].strip().startswith("Resuelto: ")  # in Spanish


def test_a_reply_with_no_address_is_copied_by_hand_in_the_console(client, services, runner) -> None:
    row, _ = services.receive_complaint("social", HANDLE, 52_000, TEXT)
    [holding] = [p for p in services.posts(row.incident_id) if p.kind == "holding_reply"]
    login(client, "carmen")
    incident_page = client.get(f"/console/incidents/{row.incident_id}").get_data(as_text=True)
    assert "Internal: this incident" in incident_page and "holding reply</a> <small>(private)</small>" in incident_page
    page = client.get(f"/console/posts/{holding.id}").get_data(as_text=True)
    assert "copy and send by hand" in page and 'data-copy-target="private-text"' in page
    assert 'id="private-text"' in page and "sentimos" in page.lower()  # the text is there without JavaScript
    assert "Not on any public channel: a private post" in page and "Status page: fits" not in page
    publish_reviewed(services, holding.id, "carmen")
    assert services.public_incidents() == []
    assert client.get("/api/v2/summary.json").get_json()["incidents"] == []
    assert client.get("/api/v2/status.json").get_json()["status"]["indicator"] == "none"  # the banner: all good
    [event] = [json.loads(e.payload) for e in services.timeline(row.incident_id) if e.kind == "post_published"]
    assert event["kind"] == "holding_reply" and event["channels"] == []  # the record: on no public channel
    shown = runner.invoke(main, ["post", "show", str(holding.id)])
    assert shown.exit_code == 0 and "copy the text and send it by hand" in shown.output
    assert "sent to" not in shown.output
    home = client.get("/").get_data(as_text=True)
    assert leaks(home) == [] and "sentimos" not in home.lower()


def test_the_personal_data_rule_blocks_a_handle_an_address_and_a_phone_in_public_only(services) -> None:
    from crisisplan.comms.tone import Context, check

    text = (f"Sorry and thank you, {HANDLE}. Write to {ADDRESS} or {PHONE}. Next update by 10:30. "
            "Help: support@example.com, +34 900 000 000, https://status.example.com/incidents/123456789")
    found = [text[f.start:f.end] for f in check(text, Context(own_contacts=("support@example.com",
                                                                              "+34 900 000 000")))
             if f.rule == "personal_data" and f.severity == "block"]
    assert found == [HANDLE, ADDRESS, PHONE]  # our own contacts, a time and a link are not personal data
    assert [f for f in check(text, Context(audience="private")) if f.rule == "personal_data"] == []
    assert "personal_data" in services.plan.settings.tone.block
    assert "personal_data" in services.plan.runbook("security").tone.block


def test_the_customer_gets_one_time_and_missing_it_is_counted(client, services) -> None:
    start = services.clock.now()
    # escalated by the matrix (legal words): the matrix's hour, in the triage reply and in the drafted reply
    legal, _ = services.receive_complaint("email", "@pablo", 200, "Hablaré con mi abogado si no me devolvéis el "
                                          "dinero del pedido 7781234")
    answer_by = start + timedelta(hours=1)
    assert legal.data["answer_by"] == answer_by.isoformat()
    [holding] = [p for p in services.posts(legal.incident_id) if p.kind == "holding_reply"]
    assert holding.next_update_at == answer_by and holding.promise_fixed
    said = format_moment(answer_by, "es", TZ, start)
    assert said in legal.data["reply"] and said in holding.bodies["es"]
    assert services.get(legal.incident_id).fields["answer_by"] == answer_by.isoformat()

    # not escalated: the channel's first-answer time (social: 1 hour), published, then missed
    row, _ = services.receive_complaint("social", HANDLE, 52_000, "My card was charged twice for order 5521")
    by = start + timedelta(hours=1)
    [reply] = [p for p in services.posts(row.incident_id) if p.kind == "holding_reply"]
    services.clock.advance(timedelta(minutes=20))
    publish_reviewed(services, reply.id, "carmen")
    published = services.post(reply.id)
    assert published.next_update_at == by  # publishing twenty minutes later did not move the customer's time
    view = services.get(row.incident_id)
    assert any(d.due_at == by for d in view.deadlines) and view.promise == "on_track"
    services.clock.advance(timedelta(minutes=41))
    services.tick()
    assert services.get(row.incident_id).promise == "broken"
    assert services.promises(row.incident_id)["broken"] == 1
    # the Signals page says it beside the complaint
    login(client, "carmen")
    page = client.get("/console/signals").get_data(as_text=True)
    assert "Customer told: answer by" in page and "— missed" in page
    assert services.customer_times([services.signals()[0]])[row.id]["state"] == "missed"


def test_webhooks_hear_only_the_public_post_under_its_public_title(hooked, receiver, clock) -> None:  # noqa: F811
    from crisisplan.publish import outbox

    services = hooked
    row, _ = services.receive_complaint("social", HANDLE, 52_000, TEXT)
    [holding] = [p for p in services.posts(row.incident_id) if p.kind == "holding_reply"]
    publish_reviewed(services, holding.id, "carmen")
    outbox.deliver_due(services.db, services.plan.settings, clock.now())
    published = [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/ops"]
    assert [p for p in published if p.get("event") == "post.published"] == []
    assert [r for r in receiver.requests if r["path"] == "/chat"] == []  # the Slack-style hook: nothing

    satisfy(services, row.incident_id, "judge_legitimate", "carmen")
    take(services, row.incident_id, "judge_legitimate", "carmen")
    services.set_fields(row.incident_id, {"outcome": "We refunded the double charge."}, "carmen")
    if hasattr(services, "translate"):
        services.translate(row.incident_id, "es", {"outcome": "Devolvimos el cargo doble."}, "carmen")
    take(services, row.incident_id, "resolve", "carmen")
    outbox.deliver_due(services.db, services.plan.settings, clock.now())
    events = [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/ops"]
    [resolved] = [e for e in events if e.get("event") == "post.published"]
    assert resolved["post"]["kind"] == "resolve" and resolved["incident"]["title"].startswith("Resolved: ")
    assert leaks(json.dumps(resolved, ensure_ascii=False)) == []
    [chat] = [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/chat"]
    assert leaks(chat["text"]) == []


def test_validate_names_an_unknown_kind_or_audience_at_its_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tests.test_replies import copy_plan

    plan = copy_plan(tmp_path / "plan")
    runbook = plan / "runbooks" / "complaints.yaml"
    text = runbook.read_text(encoding="utf-8")
    runbook.write_text(text.replace("  holding_reply: private\n", "  holdng_reply: private\n"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--plan", str(plan)])
    line = next(i for i, row in enumerate(runbook.read_text(encoding="utf-8").splitlines(), 1) if "holdng_reply" in row)
    assert result.exit_code == 1 and f"complaints.yaml:{line}:" in result.output
    assert "audiences: 'holdng_reply' is not a post kind" in result.output and "holding_reply" in result.output
    runbook.write_text(text.replace("  holding_reply: private\n", "  holding_reply: secret\n"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--plan", str(plan)])
    assert result.exit_code == 1 and "complaints.yaml" in result.output and "'public', 'private' or 'internal'" \
        in result.output


def test_the_person_behind_a_complaint_is_never_named_in_public_even_without_a_handle(services) -> None:
    row, _ = services.receive_complaint("phone", "María López", 52_000, "Me habéis cobrado dos veces el pedido 5521")
    assert services.get(row.incident_id).fields["complainant"] == "María López"  # private: responders only
    post = services.draft_post(row.incident_id, "update", "carmen",
                               text="**Update**\n\nSorry, and thank you to María López for telling us. Next update "
                                    "by 23:30. Help: https://help.example.com")
    findings = services.post_findings(post, services.incident(row.incident_id))["en"]
    text = post.bodies["en"]
    assert [(f.severity, text[f.start:f.end]) for f in findings if f.rule == "personal_data"] == [
        ("block", "María López")]
    [holding] = [p for p in services.posts(row.incident_id) if p.kind == "holding_reply"]
    assert all(f.rule != "personal_data" for fs in services.post_findings(
        holding, services.incident(row.incident_id)).values() for f in fs)  # her own reply may greet her
