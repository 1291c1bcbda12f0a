"""Issue 18, failure 3 (and the storage and race points of failure 6): a request that fails changes nothing.

- The manage API reads and checks the whole request before it declares: no refusal leaves an incident.
- `Idempotency-Key` on the declare and publish APIs: the same key and body give the first answer again and
  nothing twice; the same key with another body is refused (422, naming the header).
- A CSV import is checked whole, and one cut short by the database can be sent again whole without doubling.
- An alert recorded by a request that died before declaring is declared when Alertmanager sends it again.
- Storage failures (a read-only or full database) are 503 with Retry-After, not a final-looking 422.
- A lost race (two people publishing one post) is 409, not 500.
"""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from crisisplan.errors import InvalidInput
from crisisplan.services.accounts import Accounts
from crisisplan.store.audit_models import AdminEventRow  # noqa: F401  (the metadata knows every table)
from crisisplan.store.models import AuditEventRow, IncidentRow, SignalRow
from tests.databases import BACKEND
from tests.test_alertmanager import alert, payload
from tests.test_manage_api import api  # noqa: F401  (the fixture)
from tests.walk import review
from tests.web import login


def _counts(services) -> tuple[int, int]:
    with services.db.read() as session:
        return (session.scalar(select(func.count()).select_from(IncidentRow)),
                session.scalar(select(func.count()).select_from(AuditEventRow)))


REFUSED = [
    ({"name": "A", "status": "identified", "body": "We found it, no time said"}, 422, "body"),
    ({"name": "B", "status": "monitoring", "metadata": {"crisisplan": {"fields": {"cause": {"x": 1}}}}}, 400,
     "fields"),
    ({"name": "C", "status": "monitoring", "body": 5}, 400, "body"),
    ({"name": "D", "metadata": "crisisplan"}, 400, "metadata"),
    ({"name": "E", "metadata": {"crisisplan": {"severity": "sev9"}}}, 422, "severity"),
    ({"name": "F", "metadata": {"crisisplan": {"runbook": ["outage"]}}}, 400, "runbook"),
    ({"name": "G", "status": "resolved", "body": "Fixed."}, 422, ""),  # the runbook has no way there yet
    ({"name": "H", "component_ids": "checkout"}, 400, "component_ids"),
    ({"name": "I", "status": "identified", "body": "Cause found. Next update by 10:30.",
      "metadata": {"crisisplan": {"fields": {"no_such_field": "x"}}}}, 422, "no_such_field"),
    ({"name": "J" * 301}, 422, "name"),
]


@pytest.mark.parametrize(("incident", "status", "words"), REFUSED, ids=[r[0]["name"][:1] for r in REFUSED])
def test_a_refused_statuspage_request_declares_nothing(api, services, incident, status, words) -> None:  # noqa: F811
    before = _counts(services)
    answer = api.call("POST", "/incidents", {"incident": incident})
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert words in answer.get_json()["error"]
    assert _counts(services) == before == (0, 0)


def test_the_declare_api_with_an_idempotency_key(app, client, services) -> None:
    _, token = Accounts(services.db, services.clock).add_token("deploy", "responder")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "deploy-4711"}
    body = {"runbook": "outage", "severity": "sev3", "title": "Search is slow"}
    first = client.post("/api/v1/incidents", json=body, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/incidents", json=dict(reversed(body.items())), headers=headers)  # same body
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _counts(services)[0] == 1
    other = client.post("/api/v1/incidents", json={**body, "title": "Search is down"}, headers=headers)
    assert other.status_code == 422 and other.get_json()["error"]["field"] == "Idempotency-Key"
    assert _counts(services)[0] == 1
    # a refused request gives its key back: fixed and sent again with the same key, it declares once
    bad = {**body, "severity": "sev9"}
    headers["Idempotency-Key"] = "deploy-4712"
    assert client.post("/api/v1/incidents", json=bad, headers=headers).status_code == 422
    assert client.post("/api/v1/incidents", json=body, headers=headers).status_code == 201
    assert _counts(services)[0] == 2
    spec = client.get("/api/v1/openapi.json").get_json()["paths"]["/incidents"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in spec["parameters"]]


def test_the_publish_api_and_the_manage_api_with_an_idempotency_key(api, app, client, services) -> None:  # noqa: F811
    _, token = Accounts(services.db, services.clock).add_token("publisher", "communicator")
    view = services.declare("outage", "sev3", "Search is slow", "rudi")
    [ack] = services.posts(view.id)
    review(services, ack.id)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "publish-ack"}
    first = client.post(f"/api/v1/posts/{ack.id}/publish", json={}, headers=headers)
    assert first.status_code == 200 and first.get_json()["status"] == "published"
    again = client.post(f"/api/v1/posts/{ack.id}/publish", json={}, headers=headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()  # not "published already"
    without = client.post(f"/api/v1/posts/{ack.id}/publish", json={}, headers={"Authorization": f"Bearer {token}"})
    assert without.status_code == 409  # without a key, a second publish is a lost race
    assert [e.kind for e in services.timeline(view.id)].count("post_published") == 1

    request = {"incident": {"name": "Checkout errors", "status": "investigating",
                            "body": "Some payments fail. We are looking into it. Next update by 10:30."}}
    auth = {"Authorization": f"OAuth {api.writer}", "Idempotency-Key": "sp-1"}
    one = client.post(f"{api.base}/incidents", json=request, headers=auth)
    two = client.post(f"{api.base}/incidents", json=request, headers=auth)
    assert one.status_code == two.status_code == 201
    assert one.get_json()["id"] == two.get_json()["id"]
    assert len([v for v in services.status(include_closed=True) if v.title == "Checkout errors"]) == 1


CSV_HEAD = "channel,author,text,reach\n"


def _upload(client, body: str, name: str = "complaints.csv"):
    from tests.web import csrf

    return client.post("/console/signals/import", data={"csrf_token": csrf(client, "/console/"),
                                                         "file": (io.BytesIO(body.encode()), name)},
                       content_type="multipart/form-data")


def _signals(services) -> int:
    with services.db.read() as session:
        return session.scalar(select(func.count()).select_from(SignalRow))


def test_a_csv_whose_third_line_is_bad_imports_nothing(client, services) -> None:
    login(client, "rudi")
    lines = ["twitter,@ana,The app is slow,10", "email,bo@example.org,Cannot pay,0",
             "twitter,@cy," + "x" * (200 * 1024) + ",5", "phone,dee,Still down,0"]
    answer = _upload(client, CSV_HEAD + "\n".join(lines) + "\n")
    assert answer.status_code == 400 and "line 4" in answer.get_data(as_text=True)  # the header is line 1
    assert _signals(services) == 0
    too_long = ["twitter,@ana,The app is slow,10", "email,bo@example.org,Cannot pay,0",
                "twitter," + "a" * 300 + ",Card refused,5"]
    answer = _upload(client, CSV_HEAD + "\n".join(too_long) + "\n")
    assert answer.status_code == 400 and "line 4" in answer.get_data(as_text=True)
    assert "author" in answer.get_data(as_text=True)
    assert _signals(services) == 0


# line 2 declares (reach over declare_reach) and escalates (a lawyer named); line 4 declares too
LINES = ["twitter,@bigshop,The checkout is down and I lost my order,60000",
         "email,bo@example.org,Cannot pay since this morning,0",
         "email,@pablo,I will talk to my lawyer if you do not refund me,90000",
         "phone,dee,Still down for me,0"]


def _everything(services) -> dict[str, int]:
    from crisisplan.store.models import OutboxRow

    with services.db.read() as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                for table in (SignalRow, IncidentRow, AuditEventRow, OutboxRow)}


@pytest.mark.parametrize(("table", "nth"), [("signals", 3), ("incidents", 2)], ids=["third-signal", "second-declare"])
def test_a_csv_whose_line_fails_while_recording_imports_nothing(client, services, table, nth) -> None:
    """Every line passes the checks; the database fails while line 4 is recorded (its signal, or the incident it
    declares): lines 2 and 3, the incident line 2 declared and its escalations are gone with it."""
    login(client, "rudi")
    empty = _everything(services)
    dbapi, inserts = services.db.engine.dialect.loaded_dbapi, []

    def fail_at_the_nth(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            inserts.append(1)
            if len(inserts) == nth:
                raise dbapi.OperationalError("database or disk is full")

    event.listen(services.db.engine, "before_cursor_execute", fail_at_the_nth)
    try:
        answer = _upload(client, CSV_HEAD + "\n".join(LINES) + "\n")
    finally:
        event.remove(services.db.engine, "before_cursor_execute", fail_at_the_nth)
    said = answer.get_data(as_text=True)
    assert len(inserts) == nth  # it did fail where meant to, after lines 2 and 3 were recorded
    assert answer.status_code == 503 and answer.headers["Retry-After"], said
    assert "complaints.csv line 4" in said and "nothing was applied" in said
    assert _everything(services) == empty  # no signal, no incident, no audit event, no message
    services.clock.advance(timedelta(minutes=5))  # sent again, once the disk has room: all of it, once
    assert _upload(client, CSV_HEAD + "\n".join(LINES) + "\n").status_code == 302
    after = _everything(services)
    assert after["signals"] == 4 and after["incidents"] == 2
    assert services.import_complaints(CSV_HEAD + "\n".join(LINES) + "\n", "again.csv") == {"new": 0,
                                                                                            "duplicates": 4}
    assert _everything(services) == after


def test_a_refused_line_names_its_line_and_field_and_changes_nothing(services) -> None:
    bad = [*LINES[:2], "twitter,@cy,Card refused,lots"]
    with pytest.raises(InvalidInput) as refused:
        services.import_complaints(CSV_HEAD + "\n".join(bad) + "\n", "complaints.csv", "rudi")
    assert "complaints.csv line 4" in str(refused.value) and "reach" in str(refused.value)
    assert "nothing was imported" in str(refused.value)
    assert _signals(services) == 0 and _counts(services) == (0, 0)

def test_an_alert_post_that_died_halfway_leaves_nothing_and_the_resend_declares(services, monkeypatch):
    from crisisplan.services import Services

    body = payload(alert("CheckoutSlow", fingerprint="other", severity="warning"), alert(component="checkout"))
    real = Services.declare

    def crash(self, *args, **kwargs):
        raise KeyboardInterrupt  # the process dies after recording the first alert, while declaring the second

    monkeypatch.setattr(Services, "declare", crash)
    with pytest.raises(KeyboardInterrupt):
        services.receive_alerts(body)
    monkeypatch.setattr(Services, "declare", real)
    assert services.status() == [] and services.signals() == []  # one transaction: not even the first alert
    again = services.receive_alerts(body)  # Alertmanager sends the group again
    assert len(again["declared"]) == 1 and again["duplicates"] == 0 and again["recorded"] == 1
    assert services.get(again["declared"][0]).title == "CheckoutDown: customers see errors"
    assert services.receive_alerts(body)["duplicates"] == 2  # and from now on it is a plain repeat


def test_a_claim_left_by_the_two_step_code_is_taken_over_on_the_resend(services):
    """Before one POST was one transaction, a process could die between recording an alert and declaring:
    such a row (still 'received') is taken over by a resend once it is surely dead, 60 s on."""
    from crisisplan.signals import SignalAction, alerts

    body = payload(alert(component="checkout"))
    group_key, _, [found] = alerts.parse(body)
    with services.db.write() as session:
        session.add(SignalRow(source="alertmanager", source_id=found.source_id, received_at=services.clock.now(),
                              at=found.starts_at, status="firing", title=found.title, fingerprint=found.fingerprint,
                              group_key=group_key, action=SignalAction.RECEIVED, data={}))
    at_once = services.receive_alerts(body)  # the first might still be at work: a repeat
    assert at_once["duplicates"] == 1 and at_once["declared"] == []
    services.clock.advance(timedelta(minutes=5))
    again = services.receive_alerts(body)
    assert len(again["declared"]) == 1 and again["duplicates"] == 0
    assert services.receive_alerts(body)["duplicates"] == 1


@pytest.mark.skipif(BACKEND != "sqlite", reason="a read-only SQLite file; PostgreSQL: the failing engine below")
def test_a_read_only_database_answers_503_with_retry_after(app, services, db_url) -> None:
    from crisisplan.services import Services
    from crisisplan.store.db import Database
    from crisisplan.web import create_app

    _, token = Accounts(services.db, services.clock).add_token("deploy", "responder")
    path = db_url.split("///", 1)[1]
    read_only = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    frozen = create_app({"SERVICES": Services(services.plan, read_only, services.clock), "SECRET_KEY": "t",
                         "TESTING": True, "PUBLIC_CACHE_SECONDS": 0})
    answer = frozen.test_client().post("/api/v1/incidents", json={
        "runbook": "outage", "severity": "sev3", "title": "Search is slow"},
        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.headers["Retry-After"].isdigit()
    assert answer.get_json()["error"]["code"] == "unavailable"
    read_only.dispose()
    assert _counts(services) == (0, 0)


def test_a_full_disk_answers_503_everywhere(app, client, services) -> None:
    _, token = Accounts(services.db, services.clock).add_token("deploy", "communicator")
    view = services.declare("outage", "sev3", "Search is slow", "rudi")

    dbapi = services.db.engine.dialect.loaded_dbapi  # sqlite3 or psycopg: the error each driver raises

    def full(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise dbapi.OperationalError("database or disk is full")

    event.listen(services.db.engine, "before_cursor_execute", full)
    try:
        api = client.post(f"/api/v1/incidents/{view.id}/fields", json={"fields": {"impact": "Slow search"}},
                          headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 503 and "Retry-After" in api.headers
        page = client.get("/api/v2/summary.json").get_json()["page"]["id"]
        manage = client.post(f"/v1/pages/{page}/incidents", json={"incident": {"name": "Checkout errors"}},
                             headers={"Authorization": f"OAuth {token}"})
        assert manage.status_code == 503 and "Retry-After" in manage.headers
        login(client, "rudi")
        console = client.post(f"/console/incidents/{view.id}/fields",
                              data={"field_impact": "Slow search", "csrf_token": _console_csrf(client)})
        assert console.status_code == 503 and "Retry-After" in console.headers
    finally:
        event.remove(services.db.engine, "before_cursor_execute", full)
    assert services.get(view.id).fields.get("impact") is None


def _console_csrf(client) -> str:
    from tests.web import csrf

    return csrf(client, "/console/")


def test_twenty_people_publishing_one_post_at_once_one_wins_the_rest_409(app, services) -> None:
    """On PostgreSQL this used to give a 500 (UniqueViolation); run this file with scripts/postgres.sh."""
    view = services.declare("outage", "sev3", "Search is slow", "rudi")
    [ack] = services.posts(view.id)
    review(services, ack.id)
    tokens = [Accounts(services.db, services.clock).add_token(f"c{i}", "communicator")[1] for i in range(20)]
    barrier, answers = threading.Barrier(20), []

    def publish(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(client.post(f"/api/v1/posts/{ack.id}/publish", json={},
                                   headers={"Authorization": f"Bearer {token}"}).status_code)

    threads = [threading.Thread(target=publish, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(answers) == [200] + [409] * 19
    assert [e.kind for e in services.timeline(view.id)].count("post_published") == 1
