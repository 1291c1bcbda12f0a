"""Managing people (issue 18, accounts): disable, enable, remove, role and password, from the CLI and the
console's People page; sessions that end on logout and on every change; ids never reused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from crisisplan.cli import main
from tests.conftest import PASSWORD
from tests.web import csrf, form, login


def cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    """A second browser that holds a copy of somebody's session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client) -> None:
    login(client, "ada")
    copy = with_cookie(app, cookie(client))
    assert copy.get("/console/people").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/console/")})
    assert copy.get("/console/people").status_code == 302


@pytest.mark.parametrize("change", [["disable", "carmen", "--yes"], ["role", "carmen", "viewer"],
                                    ["passwd", "carmen", "--password", "another long password"],
                                    ["remove", "carmen", "--yes"]])
def test_each_change_to_a_person_ends_their_sessions(app, client, runner, change) -> None:
    login(client, "carmen")
    assert client.get("/console/delivery").status_code == 200  # a communicator's page
    result = runner.invoke(main, ["user", *change, "--as", "ada"])
    assert result.exit_code == 0, result.output
    assert client.get("/console/delivery").status_code == 302


def test_a_removed_persons_cookie_never_logs_in_as_the_next_new_person(app, client, services, db) -> None:
    """Operators used to delete rows by hand; SQLite then gave the next person the same id."""
    from crisisplan.services.accounts import Accounts

    accounts = Accounts(services.db, services.clock)
    old, _ = accounts.add_user("temp", "viewer", PASSWORD)
    login(client, "temp")
    saved = cookie(client)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM users WHERE name = 'temp'"))
    new, _ = accounts.add_user("boss", "admin", PASSWORD)
    assert new.id != old.id
    assert with_cookie(app, saved).get("/console/people").status_code == 302
    # the same through `user remove`
    third, _ = accounts.add_user("temp2", "viewer", PASSWORD)
    login(client, "temp2")
    saved = cookie(client)
    accounts.remove_user("temp2", "ada")
    fourth, _ = accounts.add_user("boss2", "admin", PASSWORD)
    assert fourth.id > third.id > new.id
    assert with_cookie(app, saved).get("/console/people").status_code == 302


def test_user_commands_from_the_cli(runner) -> None:
    def run(*args: str):
        result = runner.invoke(main, ["user", *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("add", "ada", "--role", "admin", "--password", PASSWORD)
    run("add", "rudi", "--role", "responder", "--password", PASSWORD)
    assert "user rudi disabled" in run("disable", "rudi", "--yes", "--as", "ada")
    listed = {u["name"]: u for u in json.loads(run("list", "--json"))}
    assert listed["rudi"]["active"] is False
    assert "user rudi enabled" in run("enable", "rudi", "--as", "ada")
    assert "user rudi now approver" in run("role", "rudi", "approver", "--as", "ada")
    shown = run("passwd", "rudi", "--as", "ada")
    assert "password of rudi changed" in shown and "password: " in shown
    assert "user rudi removed" in run("remove", "rudi", "--yes", "--as", "ada")
    assert [u["name"] for u in json.loads(run("list", "--json"))] == ["ada"]
    # each change is an admin action in the admin chain, by whoever --as names, never with the password
    log = json.loads(runner.invoke(main, ["audit", "log", "--json"]).output)
    assert [(e["actor"], e["action"]) for e in log[:5]] == [
        ("ada", "user_removed"), ("ada", "user_password_changed"), ("ada", "user_role_changed"),
        ("ada", "user_enabled"), ("ada", "user_disabled")]
    assert json.loads(log[2]["payload"])["role"] == "approver"
    assert not any(PASSWORD in e["payload"] or "password:" in e["payload"] for e in log)
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


def test_cli_asks_before_disabling_or_removing(runner) -> None:
    runner.invoke(main, ["user", "add", "rudi", "--role", "responder", "--password", PASSWORD])
    kept = runner.invoke(main, ["user", "remove", "rudi"], input="n\n")
    assert kept.exit_code == 1 and "Remove rudi for good?" in kept.output
    assert "rudi" in runner.invoke(main, ["user", "list"]).output


@pytest.mark.parametrize(("args", "message"), [
    (["role", "ada", "viewer"], "ada is the last active admin; cannot demote them"),
    (["disable", "ada", "--yes"], "ada is the last active admin; cannot disable them"),
    (["remove", "ada", "--yes"], "ada is the last active admin; cannot remove them"),
    (["role", "rudi", "boss"], "unknown role 'boss'"),
    (["disable", "rudy", "--yes"], "no user named 'rudy'; did you mean 'rudi'?"),
    (["passwd", "rudi", "--password", "short"], "a password needs at least 10 characters"),
])
def test_refused_changes_say_why_and_change_nothing(runner, args, message) -> None:
    runner.invoke(main, ["user", "add", "ada", "--role", "admin", "--password", PASSWORD])
    runner.invoke(main, ["user", "add", "rudi", "--role", "responder", "--password", PASSWORD])
    result = runner.invoke(main, ["user", *args, "--as", "ada"])
    assert result.exit_code != 0 and message in result.output, result.output
    log = json.loads(runner.invoke(main, ["audit", "log", "--json"]).output)
    assert {e["action"] for e in log} == {"user_added"}  # a refused change is not on record either
    listed = {u["name"]: (u["role"], u["active"]) for u in
              json.loads(runner.invoke(main, ["user", "list", "--json"]).output)}
    assert listed == {"ada": ("admin", True), "rudi": ("responder", True)}


def test_the_people_page_asks_then_changes(app, client, services) -> None:
    login(client, "ada")
    asked = form(client, "/console/people/change", {"change": "disable", "name": "rudi"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Disable rudi: they cannot log in" in page and 'value="yes"' in page
    assert login(app.test_client(), "rudi").status_code == 302  # nothing changed yet
    done = form(client, "/console/people/change", {"change": "disable", "name": "rudi", "confirm": "yes"},
                follow=True)
    assert "rudi is disabled." in done.get_data(as_text=True)
    assert login(app.test_client(), "rudi").status_code == 401
    form(client, "/console/people/change", {"change": "enable", "name": "rudi", "confirm": "yes"})
    form(client, "/console/people/change", {"change": "role", "name": "rudi", "role": "approver", "confirm": "yes"})
    page = client.get("/console/people").get_data(as_text=True)
    assert "<td>rudi</td><td>approver</td>" in page
    shown = form(client, "/console/people/change", {"change": "passwd", "name": "rudi", "confirm": "yes"})
    secret = shown.get_data(as_text=True).split("Password for rudi: <code>")[1].split("</code>")[0]
    assert login(app.test_client(), "rudi", secret).status_code == 302
    form(client, "/console/people/change", {"change": "remove", "name": "rudi", "confirm": "yes"})
    assert "<td>rudi</td>" not in client.get("/console/people").get_data(as_text=True)
    done = [(e.actor, e.action) for e in reversed(services.admin_events()) if e.action != "user_added"]
    assert done == [("ada", "user_disabled"), ("ada", "user_enabled"), ("ada", "user_role_changed"),
                    ("ada", "user_password_changed"), ("ada", "user_removed")]


def test_the_people_page_refuses_a_change_without_its_csrf_token_or_below_admin(app, client) -> None:
    login(client, "ada")
    forged = client.post("/console/people/change", data={"change": "remove", "name": "rudi", "confirm": "yes"})
    assert forged.status_code == 400
    login(client, "lena")
    assert form(client, "/console/people/change", {"change": "remove", "name": "rudi", "confirm": "yes"}
                ).status_code == 403
    assert login(app.test_client(), "rudi").status_code == 302


def test_the_people_page_says_why_a_change_is_refused(client) -> None:
    login(client, "ada")
    done = form(client, "/console/people/change", {"change": "remove", "name": "ada", "confirm": "yes"},
                follow=True)
    assert "ada is the last active admin" in done.get_data(as_text=True)
