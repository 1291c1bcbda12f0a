"""The review, follow-up actions and response metrics in the console, as each role sees them; and the metrics of a
known set of incidents, worked out by hand.

Incident A is the outage of tests/test_review.py (January, sev2): somebody took it after 5m, first public word after
12m, approval waits 7m, 5m, 0, 0, 0 (mean 2.4m), resolved after 200m, promises 3 kept and 1 broken.
Incident B (February, sev3, no approval needed): declared 09:00 UTC, acknowledgement out 09:10 (its first act, and
the first public word: 10m), an update 09:40, resolved 10:00 (60m); promises 2 kept, 0 broken.
Together, for the runbook `outage`: acknowledge (5 + 10) / 2 = 7.5m, first public (12 + 10) / 2 = 11m, approval
wait 2.4m (only A waited), resolve (200 + 60) / 2 = 130m, promises 5 of 6 kept (83%).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from crisisplan.comms import metrics
from tests.test_review import outage
from tests.web import form, login


def incident_b(services, clock) -> int:
    clock.set(datetime(2026, 2, 10, 9, 0, tzinfo=UTC))
    view = services.declare("outage", "sev3", "Search is slow", "ana", components=["website"])
    [ack] = services.posts(view.id)
    clock.advance(timedelta(minutes=10))
    services.publish_post(ack.id, "carmen")
    clock.advance(timedelta(minutes=30))
    services.publish_post(services.draft_for_step(view.id, "post_update", "carmen").id, "carmen")
    clock.advance(timedelta(minutes=20))
    services.publish_post(services.draft_for_step(view.id, "resolve", "carmen").id, "carmen")
    return view.id


@pytest.fixture
def two(services, clock) -> tuple[int, int]:
    a = outage(services, clock)
    b = incident_b(services, clock)
    services.start_drill(next(iter(services.scenarios())), "carmen")  # a drill: never in the metrics
    return a, b


def test_metrics_of_known_incidents(services, two) -> None:
    a, b = two
    found = {m.id: m for m in services.response_metrics()}
    assert set(found) == {a, b}
    assert (found[a].acknowledge, found[a].first_public) == (timedelta(minutes=5), timedelta(minutes=12))
    assert found[a].approval_wait == timedelta(minutes=2, seconds=24)
    assert (found[b].acknowledge, found[b].first_public, found[b].approval_wait) == (
        timedelta(minutes=10), timedelta(minutes=10), None)
    assert (found[a].resolve, found[b].resolve) == (timedelta(minutes=200), timedelta(minutes=60))
    [outage_group] = metrics.grouped(list(found.values()), lambda i: i.runbook)
    assert outage_group.means == {"acknowledge": timedelta(minutes=7, seconds=30),
                                  "first_public": timedelta(minutes=11),
                                  "approval_wait": timedelta(minutes=2, seconds=24),
                                  "resolve": timedelta(minutes=130)}
    assert (outage_group.kept, outage_group.broken) == (5, 1)
    assert [g.name for g in metrics.grouped(list(found.values()), lambda i: i.month)] == ["2026-01", "2026-02"]
    rows = list(csv.DictReader(io.StringIO(services.metrics_csv())))
    assert [(r["month"], r["severity"], r["first_public_minutes"], r["approval_wait_minutes"],
             r["promises_kept"], r["promises_broken"]) for r in rows] == [
        ("2026-01", "sev2", "12.0", "2.4", "3", "1"), ("2026-02", "sev3", "10.0", "", "2", "0")]


def test_metrics_on_the_command_line(two, runner) -> None:
    import json

    from crisisplan.cli import main

    result = runner.invoke(main, ["metrics", "--json"])
    assert result.exit_code == 0, result.output
    [outage_row] = json.loads(result.output)["by_runbook"]
    assert outage_row == {"runbook": "outage", "incidents": 2, "acknowledge_minutes": 7.5, "first_public_minutes": 11.0,
                          "approval_wait_minutes": 2.4, "resolve_minutes": 130.0, "promises_kept": 5,
                          "promises_broken": 1}
    assert "outage" in runner.invoke(main, ["metrics"]).output


def test_metrics_page_has_charts_with_text_equivalents(client, two) -> None:
    assert client.get("/console/metrics").status_code == 302  # login first
    login(client, "vera")
    page = client.get("/console/metrics").get_data(as_text=True)
    assert page.count('role="img"') == 5 and "<script" not in page.split("<main", 1)[-1].split("</main>")[0]
    assert '<title id="chart-first_public-t">Time to first public post, mean per month (minutes)</title>' in page
    assert "12 min" in page and "10 min" in page  # the bars' labels: January 12, February 10
    assert "<td>11.0</td>" in page and "5 of 6 (83%)" in page  # the runbook's row
    assert "Rehearsal and reality" in page
    exported = client.get("/console/metrics.csv")
    assert exported.status_code == 200 and exported.get_data(as_text=True).startswith("incident,title,runbook")


def test_review_page_for_each_role(client, services, two) -> None:
    a, _ = two
    login(client, "vera")
    page = client.get(f"/console/incidents/{a}/review").get_data(as_text=True)
    assert "First public word after 12m" in page and "3 kept, 1 broken (75% kept)." in page
    assert 'name="went_well"' not in page  # a viewer reads, does not write
    assert form(client, f"/console/incidents/{a}/review", {"went_well": "x"}).status_code == 403
    pdf = client.get(f"/console/incidents/{a}/review.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    login(client, "rudi")
    form(client, f"/console/incidents/{a}/review", {"went_well": "We said it in **12 minutes**.<script>x</script>",
                                                     "went_badly": "", "why": ""})
    page = client.get(f"/console/incidents/{a}/review").get_data(as_text=True)
    assert "<strong>12 minutes</strong>" in page and "<script>x" not in page
    form(client, f"/console/incidents/{a}/review/state", {"state": "in_review"})
    form(client, f"/console/incidents/{a}/actions", {"title": "Alert on certificate expiry", "owner": "ana",
                                                      "due_on": "2026-03-01"})
    refused = form(client, f"/console/incidents/{a}/actions", {"title": "No owner", "owner": "zed",
                                                                "due_on": "2026-03-01"}, follow=True)
    page = refused.get_data(as_text=True)
    assert "no person or user &#39;zed&#39;" in page
    assert [x.title for x in services.actions(a)] == ["Alert on certificate expiry"]

    login(client, "carmen")  # a communicator may not make it final
    page = form(client, f"/console/incidents/{a}/review/state", {"state": "final"}, follow=True).get_data(as_text=True)
    assert "needs the role approver" in page and services.review(a).review_state == "in_review"
    login(client, "lena")
    form(client, f"/console/incidents/{a}/review/state", {"state": "final"})
    assert services.review(a).review_state == "final"

    login(client, "vera")
    listed = client.get("/console/actions").get_data(as_text=True)
    assert "Alert on certificate expiry" in listed and "2026-03-01" in listed
    assert "Alert on certificate expiry" in client.get("/console/actions.csv").get_data(as_text=True)
