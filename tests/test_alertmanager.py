"""Alertmanager's webhook: alerts declare, attach or are recorded by the plan's routes; edge cases of the
payload; and the real Prometheus Alertmanager (Debian's package) firing at the app on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.mailbox import free_port

TOKEN = "am-s3cret"


def alert(name: str = "CheckoutDown", status: str = "firing", severity: str = "critical",
          fingerprint: str = "f1", starts: str = "2026-01-01T08:55:00Z", **labels: str) -> dict:
    return {"status": status, "labels": {"alertname": name, "severity": severity, **labels},
            "annotations": {"summary": f"{name}: customers see errors"}, "startsAt": starts,
            "endsAt": "2026-01-01T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph", "fingerprint": fingerprint}


def payload(*alerts: dict, group: str = '{}:{alertname="CheckoutDown"}', truncated: int = 0) -> dict:
    return {"version": "4", "groupKey": group, "truncatedAlerts": truncated, "status": "firing",
            "receiver": "crisisplan", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager", "alerts": list(alerts)}


@pytest.fixture
def hook(client, monkeypatch):
    monkeypatch.setenv("CRISISPLAN_ALERTMANAGER_TOKEN", TOKEN)

    def send(body, token: str = TOKEN, **kwargs):
        return client.post("/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return send


def test_off_without_the_token_and_refused_with_a_wrong_one(client, hook, monkeypatch) -> None:
    assert hook(payload(alert()), token="guess").status_code == 401
    assert client.post("/hooks/alertmanager", json=payload(alert())).status_code == 401
    monkeypatch.delenv("CRISISPLAN_ALERTMANAGER_TOKEN")
    assert hook(payload(alert())).status_code == 404


def test_a_critical_alert_declares_its_repeats_and_group_attach_and_resolving_only_proposes(hook, services):
    first = hook(payload(alert(component="checkout"))).get_json()
    [incident] = first["declared"]
    view = services.get(incident)
    assert (view.runbook_id, view.severity, view.state) == ("outage", "sev1", "detected")
    assert view.title == "CheckoutDown: customers see errors" and view.components == ["checkout"]
    again = hook(payload(alert(component="checkout"))).get_json()  # the repeat_interval resend
    assert again["duplicates"] == 1 and again["declared"] == []
    sibling = hook(payload(alert("PaymentsSlow", fingerprint="f2"))).get_json()  # same alert group
    assert sibling["attached"] == [incident]
    resolved = hook(payload(alert(status="resolved", component="checkout"))).get_json()
    assert resolved["resolve_proposed"] == [incident]
    assert services.get(incident).state == "detected"  # proposed, never forced
    kinds = [e.kind for e in services.timeline(incident)]
    assert kinds.count("alert_attached") == 2 and "resolve_proposed" in kinds
    assert [s.action for s in services.signals()] == ["recorded", "attached", "declared"]


def test_unmatched_and_warning_alerts_are_only_recorded(hook, services) -> None:
    answer = hook(payload(alert("DiskFilling", severity="warning", fingerprint="w1"),
                          alert("Odd", severity="info", fingerprint="i1", team="x"), group="g2")).get_json()
    assert answer["recorded"] == 2 and answer["declared"] == [] and services.status() == []
    assert {s.title for s in services.signals()} == {"DiskFilling: customers see errors", "Odd: customers see errors"}


def test_grouped_alerts_and_truncation(hook, services) -> None:
    answer = hook(payload(alert(fingerprint="a"), alert("CheckoutSlow", fingerprint="b"), truncated=3)).get_json()
    assert len(answer["declared"]) == 1 and answer["attached"] == answer["declared"] and answer["truncated"] == 3


def test_a_storm_in_one_post_is_one_transaction_and_one_audit_checkpoint(hook, services) -> None:
    """Issue 14: 40 alerts of one group in one POST: one declared incident, 39 attached to it, recorded in one
    commit whose one signed checkpoint names the incident's chain at its full length (1 declare + 40 notes)."""
    from sqlalchemy import event

    commits = []
    event.listen(services.db.engine, "commit", lambda connection: commits.append(1))
    storm = [alert(f"Storm{n}", fingerprint=f"s{n:03d}", component="checkout") for n in range(40)]
    before = services.db.checkpoints.text().count("\n")
    answer = hook(payload(*storm)).get_json()
    [incident] = answer["declared"]
    assert answer["attached"] == [incident] * 39 and answer["duplicates"] == 0
    assert len(commits) == 1
    lines = services.db.checkpoints.text().splitlines()
    assert len(lines) == before + 1
    chains = json.loads(lines[-1])["chains"]
    kinds = [e.kind for e in services.timeline(incident)]
    assert kinds.count("alert_attached") == 40
    assert chains[f"incident:{incident}"]["length"] == len(kinds)
    assert [s.action for s in services.signals()].count("attached") == 39
    assert hook(payload(*storm)).get_json()["duplicates"] == 40  # resent whole: every alert a repeat


def test_the_storms_one_checkpoint_still_catches_a_rollback_within_it(hook, services, runner, tmp_path) -> None:
    """The checkpoint written once for a whole POST anchors every event of it: taking back the storm's last ten
    notes (a database restored to a copy made halfway through) is caught by `audit verify --checkpoints`."""
    from tests.test_audit_anchor import verify
    from tests.test_audit_tamper import Raw

    [incident] = hook(payload(*[alert(f"Storm{n}", fingerprint=f"s{n:03d}") for n in range(30)])).get_json()[
        "declared"]
    copy = tmp_path / "kept-elsewhere.jsonl"
    copy.write_text(services.db.checkpoints.text())
    code, report = verify(runner, "--checkpoints", str(copy))
    assert code == 0 and report["unanchored"] == 0
    raw = Raw(services.db)
    try:
        length = raw.execute("SELECT chain_length FROM incidents WHERE id = ?", (incident,)).fetchone()[0]
        head = raw.execute("SELECT prev_hash FROM audit_events WHERE incident_id = ? AND seq = ?",
                           (incident, length - 9)).fetchone()[0]
        raw.execute("DELETE FROM audit_events WHERE incident_id = ? AND seq > ?", (incident, length - 10))
        raw.execute("UPDATE incidents SET chain_length = ?, chain_head = ? WHERE id = ?", (length - 10, head, incident))
        raw.commit()
        assert verify(runner, "--no-checkpoints")[0] == 0  # the shortened chain is whole: alone it cannot tell
        code, report = verify(runner, "--checkpoints", str(copy))
        assert code == 1 and [f["incident"] for f in report["findings"]] == [incident]
        assert "rolled back" in report["findings"][0]["message"]
    finally:
        raw.close()


def test_malformed_payloads_get_400_naming_the_field(client, hook) -> None:
    raw = client.post("/hooks/alertmanager", data="{nope", content_type="application/json",
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert raw.status_code == 400 and "not JSON" in raw.get_json()["error"]
    cases = [({"version": "3", "alerts": []}, "version"), ({"version": "4"}, "alerts"),
             (payload({"status": "weird", "startsAt": "2026-01-01T08:00:00Z"}), "alerts[0].status"),
             (payload({**alert(), "startsAt": "yesterday"}), "alerts[0].startsAt"),
             (payload({**alert(), "labels": {"a": 1}}), "alerts[0].labels"), ([1, 2], "body")]
    for body, field in cases:
        answer = hook(body)
        assert answer.status_code == 400 and answer.get_json()["field"] == field, (body, answer.get_json())


ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
AMTOOL = shutil.which("amtool") or "/usr/bin/amtool"


def test_the_real_alertmanager_declares_then_proposes_resolving(app, services, tmp_path: Path,
                                                                 monkeypatch) -> None:
    if not (os.path.exists(ALERTMANAGER) and os.path.exists(AMTOOL)):
        if os.environ.get("CI") == "true":
            pytest.fail("prometheus-alertmanager is missing: bash scripts/system-packages.sh --tests installs it")
        pytest.skip("prometheus-alertmanager is not installed (bash scripts/system-packages.sh --tests)")
    monkeypatch.setenv("CRISISPLAN_ALERTMANAGER_TOKEN", TOKEN)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    am_port = free_port()
    (tmp_path / "am.yml").write_text(f"""
route: {{receiver: crisisplan, group_by: [alertname], group_wait: 1s, group_interval: 1s, repeat_interval: 1h}}
receivers:
  - name: crisisplan
    webhook_configs:
      - url: http://127.0.0.1:{server.server_port}/hooks/alertmanager
        send_resolved: true
        http_config: {{authorization: {{credentials: {TOKEN}}}}}
""", encoding="utf-8")
    am = subprocess.Popen([ALERTMANAGER, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path}",
                           f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"--alertmanager.url=http://127.0.0.1:{am_port}"
    try:
        def amtool(*args: str) -> None:
            for _ in range(50):  # until Alertmanager listens
                if subprocess.run([AMTOOL, *args, url], capture_output=True).returncode == 0:
                    return
                time.sleep(0.2)
            raise AssertionError(f"amtool {args} failed: {am.stderr.read() if am.poll() is not None else ''}")

        labels = ["alert", "add", "alertname=CheckoutDown", "severity=critical", "component=checkout",
                  "--annotation=summary=Checkout is failing"]
        amtool(*labels)
        deadline = time.monotonic() + 30
        while not services.status() and time.monotonic() < deadline:
            time.sleep(0.2)
        [view] = services.status()
        assert (view.title, view.severity, view.components) == ("Checkout is failing", "sev1", ["checkout"])
        ended = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        amtool(*labels, f"--end={ended}")
        while "resolve_proposed" not in [e.kind for e in services.timeline(view.id)]:
            assert time.monotonic() < deadline + 30, "Alertmanager never sent the resolved alert"
            time.sleep(0.2)
        assert services.get(view.id).state == "detected"
    finally:
        am.terminate()
        am.wait(timeout=10)
        server.shutdown()
