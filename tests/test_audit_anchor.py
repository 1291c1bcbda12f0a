"""The strong attacker of issue 18, failure 7: database access, recomputes every hash.

Without the key, a rewrite does not verify; with the key (or by deleting a whole
incident, or restoring an older copy of the database), the signed checkpoints
kept outside the database still contradict it. The attacker's hashes are
computed here from the scheme the README documents, not with crisisplan's code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import stat
from datetime import UTC, datetime

import pytest

from crisisplan.cli import main
from tests.test_audit_tamper import Raw
from tests.walk import take


def _at(value) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC).isoformat(timespec="microseconds")


def _entry_bytes(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rewrite(raw: Raw, incident: int, edit: tuple[str, str], key_id: str, key: bytes | None) -> None:
    """Edit a payload, then recompute every hash of the chain and its head, as the attacker would:
    plain SHA-256 (the scheme before keys) when `key` is None, else HMAC-SHA256 under `key`."""
    rows = raw.execute("SELECT id, seq, at, actor, kind, payload FROM audit_events WHERE incident_id = ? "
                       "ORDER BY seq", (incident,)).fetchall()
    previous = "0" * 64
    for row_id, seq, at, actor, kind, payload in rows:
        payload = payload.replace(*edit)
        entry = {"incident": incident, "seq": seq, "at": _at(at), "actor": actor, "kind": kind,
                 "payload": json.loads(payload), "prev": previous}
        if key is None:
            digest = hashlib.sha256(_entry_bytes(entry)).hexdigest()
        else:
            digest = hmac.new(key, _entry_bytes({**entry, "key": key_id}), hashlib.sha256).hexdigest()
        raw.execute("UPDATE audit_events SET payload = ?, prev_hash = ?, hash = ?, key_id = ? WHERE id = ?",
                    (payload, previous, digest, key_id, row_id))
        previous = digest
    raw.execute("UPDATE incidents SET chain_head = ? WHERE id = ?", (previous, incident))
    raw.commit()


@pytest.fixture
def scene(services, tmp_path):
    view = services.declare("outage", "sev1", "Checkout fails", "ana", components=["checkout"])
    take(services, view.id, "acknowledge", "bob")
    take(services, view.id, "identify_cause", "bob", {"cause": "Expired certificate"})
    other = services.declare("complaints", "high", "Angry thread", "cm")
    services.set_component_status("mobile_app", "degraded_performance", "ada")
    # the copy a regulator or a second server keeps: the database's administrators cannot write it
    copy = tmp_path / "kept-elsewhere.jsonl"
    shutil.copy(tmp_path / "audit-checkpoints.jsonl", copy)
    raw = Raw(services.db)
    yield view.id, other.id, raw, copy
    raw.close()


def verify(runner, *args: str) -> tuple[int, dict]:
    result = runner.invoke(main, ["audit", "verify", "--json", *args])
    return result.exit_code, json.loads(result.output)


def test_the_keys_and_checkpoints_live_outside_the_database(scene, tmp_path, runner) -> None:
    for name in ("audit-keys.json", "audit-signing.pem"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
    lines = (tmp_path / "audit-checkpoints.jsonl").read_text().splitlines()
    assert len(lines) >= 5  # one a change: declare, two steps (each a publication), declare, a status by hand
    # chain names, lengths, hashes and signatures only; base64 signatures may spell "bob" by chance, so
    # the words are looked for in everything but them
    for line in lines:
        record = json.loads(line)
        assert set(record) == {"at", "chains", "n", "prev", "sig", "signer"}
        assert all(re.fullmatch(r"incident:\d+|admin|components|signals", name) for name in record["chains"])
        readable = json.dumps({key: value for key, value in record.items() if key not in ("sig", "signer")})
        for private in ("Checkout fails", "Expired certificate", "Angry thread", "ana", "bob", "mobile_app"):
            assert private not in readable
    code, report = verify(runner, "--checkpoints", str(scene[3]))
    assert code == 0 and report["ok"] and report["checkpoint_lines"] == len(lines) and report["unanchored"] == 0


def test_a_rewrite_in_plain_sha256_does_not_verify(scene, runner) -> None:
    incident, _, raw, _ = scene
    rewrite(raw, incident, ("Expired certificate", "Customer error"), "", None)
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["incident"] == incident and report["findings"][0]["seq"] == 1
    assert "not keyed" in report["findings"][0]["message"]


def test_a_rewrite_with_a_guessed_key_does_not_verify(scene, runner) -> None:
    incident, _, raw, _ = scene
    rewrite(raw, incident, ("Expired certificate", "Customer error"), "k1", b"\0" * 32)
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["seq"] == 1 and "edited" in report["findings"][0]["message"]


def test_a_rewrite_with_the_stolen_key_is_caught_by_the_checkpoints(scene, runner, tmp_path) -> None:
    incident, _, raw, copy = scene
    keys = json.loads((tmp_path / "audit-keys.json").read_text())
    rewrite(raw, incident, ("Expired certificate", "Customer error"), keys["current"],
            bytes.fromhex(keys["keys"][keys["current"]]))
    assert verify(runner, "--no-checkpoints")[0] == 0  # with the key, the chain alone cannot tell
    code, report = verify(runner, "--checkpoints", str(copy))
    assert code == 1 and [f["incident"] for f in report["findings"]] == [incident]
    assert "rewritten" in report["findings"][0]["message"]


def test_a_deleted_incident_is_caught_by_the_checkpoints(scene, runner, services) -> None:
    incident, other, raw, copy = scene
    posts = [row[0] for row in raw.execute("SELECT id FROM posts WHERE incident_id = ?", (other,)).fetchall()]
    for post in posts:
        raw.execute("DELETE FROM outbox WHERE post_id = ?", (post,))
    raw.execute("UPDATE signals SET incident_id = NULL WHERE incident_id = ?", (other,))
    for table in ("posts", "audit_events"):
        raw.execute(f"DELETE FROM {table} WHERE incident_id = ?", (other,))  # noqa: S608 - two fixed names
    raw.execute("DELETE FROM incidents WHERE id = ?", (other,))
    raw.commit()
    assert verify(runner, "--no-checkpoints")[0] == 0  # every chain left is whole: the chains alone cannot tell
    assert verify(runner)[0] == 1  # the installation's own checkpoint file, checked by default, tells
    code, report = verify(runner, "--checkpoints", str(copy))
    assert code == 1 and [f["incident"] for f in report["findings"]] == [other]
    message = report["findings"][0]["message"]
    assert "gone from the database" in message and "deleted" in message


def test_a_rolled_back_database_is_caught_by_the_checkpoints(scene, runner, services, tmp_path) -> None:
    incident, _, raw, _ = scene
    length, head = raw.execute("SELECT chain_length, chain_head FROM incidents WHERE id = ?", (incident,)).fetchone()
    services.set_fields(incident, {"impact": "Card payments fail"}, "bob")
    services.set_component_status("mobile_app", "operational", "ada")
    copy = tmp_path / "later-copy.jsonl"
    shutil.copy(tmp_path / "audit-checkpoints.jsonl", copy)
    # the database as an older copy had it: the newest events gone, the heads as they were
    raw.execute("DELETE FROM audit_events WHERE incident_id = ? AND seq > ?", (incident, length))
    raw.execute("UPDATE incidents SET chain_length = ?, chain_head = ? WHERE id = ?", (length, head, incident))
    admin = raw.execute("SELECT max(seq) FROM admin_events").fetchone()[0]
    previous = raw.execute("SELECT hash FROM admin_events WHERE seq = ?", (admin - 1,)).fetchone()[0]
    raw.execute("DELETE FROM admin_events WHERE seq = ?", (admin,))
    raw.execute("UPDATE audit_heads SET length = ?, head = ? WHERE name = 'admin'", (admin - 1, previous))
    raw.commit()
    assert verify(runner, "--no-checkpoints")[0] == 0
    code, report = verify(runner, "--checkpoints", str(copy))
    assert code == 1 and sorted(str(f["incident"]) for f in report["findings"]) == sorted([str(incident), "admin"])
    assert all("rolled back" in f["message"] for f in report["findings"])


def test_an_altered_or_foreign_checkpoint_file_is_refused(scene, runner, tmp_path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    copy = scene[3]
    lines = copy.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["chains"] = {name: {**state, "length": state["length"] + 1} for name, state in forged["chains"].items()}
    copy.write_text("\n".join([lines[0], json.dumps(forged), *lines[2:]]) + "\n")
    code, report = verify(runner, "--checkpoints", str(copy))
    assert code == 1
    assert report["checkpoint_problems"][0] == f"{copy}:2: the signature does not match: the line was altered"
    copy.write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    code, report = verify(runner, "--checkpoints", str(copy))
    assert code == 1 and "a line was removed" in report["checkpoint_problems"][0]
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    import base64

    code, report = verify(runner, "--checkpoints", str(tmp_path / "audit-checkpoints.jsonl"),
                          "--public-key", base64.b64encode(stranger).decode())
    assert code == 1 and "not by the trusted key" in report["checkpoint_problems"][0]


def test_a_rotated_key_keeps_old_events_verifying(scene, runner, services, tmp_path) -> None:
    incident, _, _, _ = scene
    rotated = runner.invoke(main, ["audit", "rotate-key", "--as", "ada", "--json"])
    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.output) == {"current": "k2"}
    services.db._audit_keys = None  # this process reads the key file again, like a restarted server
    services.set_fields(incident, {"impact": "Card payments fail"}, "bob")
    raw = scene[2]
    used = [row[0] for row in raw.execute("SELECT DISTINCT key_id FROM audit_events ORDER BY key_id").fetchall()]
    assert used == ["k1", "k2"]
    assert verify(runner)[0] == 0
    keys = json.loads((tmp_path / "audit-keys.json").read_text())
    assert keys["current"] == "k2" and set(keys["keys"]) == {"k1", "k2"}
    del keys["keys"]["k1"]
    (tmp_path / "audit-keys.json").write_text(json.dumps(keys))
    code, report = verify(runner)
    assert code == 1 and "names key 'k1', which this installation does not hold" in report["findings"][0]["message"]


def test_the_checkpoints_are_published_when_the_operator_says_so(scene, app, client, runner, tmp_path) -> None:
    assert client.get("/audit/checkpoints").status_code == 404  # off by default
    app.config["PUBLISH_CHECKPOINTS"] = True
    answer = client.get("/audit/checkpoints")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert answer.get_data(as_text=True) == (tmp_path / "audit-checkpoints.jsonl").read_text()
    saved = tmp_path / "fetched.jsonl"
    saved.write_bytes(answer.get_data())
    key = client.get("/audit/public-key").get_data(as_text=True).strip()
    assert key == runner.invoke(main, ["audit", "public-key"]).output.strip()
    code, report = verify(runner, "--checkpoints", str(saved), "--public-key", key)
    assert code == 0 and report["checkpoint_lines"] == len(answer.get_data(as_text=True).splitlines())
    lines = answer.get_data(as_text=True).splitlines(keepends=True)
    assert client.get("/audit/checkpoints?from=3").get_data(as_text=True) == "".join(lines[2:])  # only what is new
    assert client.get(f"/audit/checkpoints?from={len(lines) + 1}").get_data() == b""
    for wrong in ("0", "-1", "x", "²", "9" * 40):
        assert client.get(f"/audit/checkpoints?from={wrong}").status_code == 400, wrong


def test_events_from_before_keys_are_keyed_once_by_seal(scene, runner) -> None:
    incident, other, raw, _ = scene
    for chain in (incident, other):  # as a database from before this version holds them: plain SHA-256
        rewrite(raw, chain, ("", ""), "", None)
    code, report = verify(runner, "--no-checkpoints")
    assert code == 1 and {f["incident"] for f in report["findings"]} == {incident, other}
    assert all("not keyed" in f["message"] for f in report["findings"])
    sealed = runner.invoke(main, ["audit", "seal", "--as", "ada", "--json"])
    assert sealed.exit_code == 0, sealed.output
    count = raw.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    assert json.loads(sealed.output) == {"sealed": count}
    assert verify(runner, "--no-checkpoints")[0] == 0
    log = json.loads(runner.invoke(main, ["audit", "log", "--json"]).output)
    assert (log[0]["actor"], log[0]["action"], json.loads(log[0]["payload"])) == ("ada", "audit_sealed",
                                                                                  {"events": count})


def test_seal_refuses_an_old_chain_that_is_already_broken(scene, runner) -> None:
    incident, _, raw, _ = scene
    rewrite(raw, incident, ("", ""), "", None)
    raw.execute("UPDATE audit_events SET actor = 'mallory' WHERE incident_id = ? AND seq = 2", (incident,))
    raw.commit()
    sealed = runner.invoke(main, ["audit", "seal"])
    assert sealed.exit_code == 1 and f"not keyed: incident {incident}, event #2" in sealed.output
    assert raw.execute("SELECT count(*) FROM audit_events WHERE key_id = '' AND incident_id = ?",
                       (incident,)).fetchone()[0] > 0  # nothing keyed: a broken chain stays visibly broken


def test_scripted_drills_stay_out_of_the_checkpoints(services, runner, tmp_path, monkeypatch) -> None:
    kept = tmp_path / "elsewhere" / "checkpoints.jsonl"
    monkeypatch.setenv("CRISISPLAN_AUDIT_CHECKPOINTS", str(kept))
    services.db._checkpoints = None  # read the setting again, as a process started with it would
    view = services.declare("outage", "sev2", "Search is slow", "ana", ["website"])
    ran = runner.invoke(main, ["drill", "run", "checkout_outage"])  # on a scratch database of its own
    assert ran.exit_code == 0, ran.output
    named = {name for line in kept.read_text().splitlines() for name in json.loads(line)["chains"]}
    assert named == {f"incident:{view.id}"}
    code, report = verify(runner)
    assert code == 0 and report["ok"]
