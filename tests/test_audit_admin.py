"""Admin actions (people, tokens, subscribers removed, component statuses set by hand, triage overrides) are in a
keyed chain of their own, and an edit there is caught like one in an incident's chain (issue 18, failure 7)."""

from __future__ import annotations

import json

from crisisplan.cli import main
from crisisplan.services.accounts import Accounts
from crisisplan.web.statusapi import _id
from tests.test_audit_tamper import Raw
from tests.web import form, login


def _actions(services) -> list[tuple[str, str, dict]]:
    return [(r.actor, r.action, json.loads(r.payload)) for r in reversed(services.admin_events())]


def test_every_admin_action_lands_in_the_admin_chain(app, client, services, runner) -> None:
    services.receive_complaint("social", "@eva", 40, "Your app lost my order again", actor="cm")
    complaint = services.signals()[0].id
    subscriber = services.subscribe("reader@example.com", [], "en")
    before = len(services.admin_events())  # the test users from the app fixture

    login(client, "ada")
    form(client, "/console/people", {"what": "user", "name": "nora", "role": "responder",
                                     "password": "a long password here"})
    form(client, "/console/people", {"what": "token", "name": "deploy-bot", "role": "communicator"})
    token_id = Accounts(services.db).tokens()[-1].id
    revoked = runner.invoke(main, ["token", "revoke", str(token_id), "--as", "ops"])
    assert revoked.exit_code == 0, revoked.output
    client.get("/logout")
    login(client, "carmen")
    form(client, "/console/subscribers", {"remove": str(subscriber.id)})
    form(client, f"/console/signals/{complaint}/override", {"legitimacy": "trolling"})
    _, token = Accounts(services.db, services.clock).add_token("status-bot", "communicator", "ada")
    page = client.get("/api/v2/summary.json").get_json()["page"]["id"]
    patched = client.patch(f"/v1/pages/{page}/components/{_id('component', 'checkout')}",
                           json={"component": {"status": "degraded_performance"}},
                           headers={"Authorization": f"OAuth {token}"})
    assert patched.status_code == 200, patched.get_json()

    actions = _actions(services)[before:]
    assert [(actor, action) for actor, action, _ in actions] == [
        ("ada", "user_added"), ("ada", "token_added"), ("ops", "token_revoked"),
        ("carmen", "subscriber_removed"), ("carmen", "triage_overridden"), ("ada", "token_added"),
        ("token:status-bot", "component_status_set")]
    assert actions[0][2]["name"] == "nora" and actions[0][2]["role"] == "responder"
    assert actions[2][2] == {"token": token_id, "name": "deploy-bot"}
    assert actions[3][2] == {"subscriber": subscriber.id}  # the id, never the address: the chain cannot forget
    assert actions[4][2] == {"signal": complaint, "legitimacy": "trolling"}
    assert actions[6][2] == {"component": "checkout", "status": "degraded_performance"}
    assert all("password" not in json.dumps(payload) for _, _, payload in actions)
    assert services.verify_audit()[2] == []
    shown = runner.invoke(main, ["audit", "log", "--json"])
    assert [e["action"] for e in json.loads(shown.output)][0] == "component_status_set"


def test_an_edited_or_deleted_admin_action_is_caught(runner, services) -> None:
    accounts = Accounts(services.db, services.clock)
    accounts.add_user("nora", "responder", "a long password here", actor="ada")
    accounts.add_user("ivan", "admin", "a long password here", actor="ada")
    raw = Raw(services.db)
    try:
        raw.execute("UPDATE admin_events SET actor = 'nora' WHERE seq = 2")
        raw.commit()
        result = runner.invoke(main, ["audit", "verify"])
        assert result.exit_code == 1
        assert "TAMPERED: admin chain, event #2: 'user_added'" in result.output and "edited" in result.output
        raw.execute("UPDATE admin_events SET actor = 'ada' WHERE seq = 2")
        raw.execute("DELETE FROM admin_events WHERE seq = 2")
        raw.commit()
        report = json.loads(runner.invoke(main, ["audit", "verify", "--json"]).output)
        assert report["findings"][0] == {"incident": "admin", "seq": 2, "message":
                                         "the chain should have 2 events but has 1: the newest were deleted"}
        # and the checkpoint written after the second action still names it
        assert report["findings"][1]["incident"] == "admin" and "saw 2" in report["findings"][1]["message"]
    finally:
        raw.close()


def test_admins_read_the_admin_chain_in_the_console(app, client, services) -> None:
    services.set_component_status("payments", "partial_outage", "carmen")
    login(client, "carmen")
    assert client.get("/console/audit").status_code == 403  # admins only
    client.get("/logout")
    login(client, "ada")
    page = client.get("/console/audit").get_data(as_text=True)
    assert "Admin chain intact" in page and "component_status_set" in page and "partial_outage" in page
    raw = Raw(services.db)
    try:
        raw.execute("UPDATE admin_events SET actor = 'ada' WHERE action = 'component_status_set'")
        raw.commit()
    finally:
        raw.close()
    page = client.get("/console/audit").get_data(as_text=True)
    assert "Admin chain broken" in page and "edited" in page


def test_admin_actions_at_once_make_one_unbroken_chain(services, runner) -> None:
    import threading

    before = len(services.admin_events(10_000))
    errors: list[BaseException] = []

    def act(who: int) -> None:
        try:
            for n in range(10):
                services.note_admin(f"admin{who}", "test_action", n=n)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=act, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = services.admin_events(10_000)
    assert len(events) == before + 80 and sorted(e.seq for e in events) == list(range(1, before + 81))
    report = json.loads(runner.invoke(main, ["audit", "verify", "--json"]).output)  # the chain and the checkpoints
    assert report["ok"] and report["checkpoint_problems"] == [] and report["admin_events"] == before + 80
