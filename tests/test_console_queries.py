"""The console's busiest pages read the database in at most three statements, whatever the incident's size.

Counted with SQLAlchemy's cursor events on the real engine: every SELECT a request runs, except the
signed-in person's own lookup (the login layer's, the same on every page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from crisisplan.services.accounts import Accounts
from crisisplan.web import create_app
from tests.conftest import ROLE_USERS
from tests.many import seed_incidents
from tests.walk import publish_reviewed
from tests.web import login

LIMIT = 3  # the target: the incident page, the dashboard and the post editor


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def hook(_conn, _cursor, statement, _params, _context, _many) -> None:
        text = " ".join(statement.split())
        if text.upper().startswith("SELECT") and not re.search(r"\bFROM (users|sessions)\b", text):
            seen.append(text)

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", hook)


@pytest.fixture
def console(services):
    accounts = Accounts(services.db, services.clock)
    for name, role in ROLE_USERS.items():
        accounts.add_user(name, role, "correct horse battery")
    # the public view checked at most once a minute: the page's own reads are what is counted
    app = create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 60})
    client = app.test_client()
    login(client, "lena")
    return client


def busy_incident(services) -> tuple[int, int]:
    """An incident with a long history: acknowledged, six published updates, more drafts, dozens of events."""
    view = services.declare("outage", "sev3", "Search is slow", "ana", ["website"])
    publish_reviewed(services, services.posts(view.id)[0].id, "ana")
    for _ in range(6):
        publish_reviewed(services, services.draft_post(view.id, "update", "ana").id, "ana")
    for _ in range(4):
        services.draft_post(view.id, "update", "ana")
    return view.id, services.posts(view.id)[1].id


def counted(client, services, url: str) -> list[str]:
    assert client.get(url).status_code == 200  # the first visit warms the public view's cache
    with statements(services.db.engine) as seen:
        answer = client.get(url)
    assert answer.status_code == 200, answer.data[:300]
    return seen


def test_the_incident_page_in_three_statements(console, services) -> None:
    incident_id, _ = busy_incident(services)
    seen = counted(console, services, f"/console/incidents/{incident_id}")
    assert len(seen) <= LIMIT, "\n".join(seen)
    page = console.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    assert "Search is slow" in page and page.count('href="/console/posts/') >= 11  # every post listed


def test_the_post_editor_in_three_statements(console, services) -> None:
    _, post_id = busy_incident(services)
    seen = counted(console, services, f"/console/posts/{post_id}")
    assert len(seen) <= LIMIT, "\n".join(seen)


def test_the_dashboard_in_three_statements_and_paged(console, services) -> None:
    busy_incident(services)
    seed_incidents(services, 119, open_every=1)  # with the seed and the busy one: 121 open incidents
    seen = counted(console, services, "/console/")
    assert len(seen) <= LIMIT, "\n".join(seen)
    rows = [console.get(f"/console/?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    shown = [len(re.findall(r'href="/console/incidents/(\d+)"', page)) for page in rows]
    assert shown == [50, 50, 21]  # 121 = 50 + 50 + 21
    assert "Page 1 of 3 (121 open" in rows[0] and "Less urgent" in rows[0] and "Less urgent" not in rows[2]
    assert console.get("/console/?page=99999999999999999999").status_code == 200


def test_the_pages_cost_the_same_for_a_small_and_a_large_incident(console, services) -> None:
    small = services.declare("outage", "sev3", "Small", "ana", ["website"])
    large, _ = busy_incident(services)
    assert len(counted(console, services, f"/console/incidents/{small.id}")) == \
        len(counted(console, services, f"/console/incidents/{large}"))
