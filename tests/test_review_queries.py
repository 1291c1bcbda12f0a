"""The review and metrics pages read the database in a fixed number of statements, whatever the number of incidents,
posts and events (counted as tests/test_console_queries.py counts the busiest pages)."""

from __future__ import annotations

from tests.test_console_queries import busy_incident, console, counted  # noqa: F401  (console is a fixture)
from tests.test_review import outage

REVIEW_LIMIT = 6  # the incident, its events, its posts, complaints linked, the review's own row, its actions
METRICS_LIMIT = 4  # the incidents, all their events, all their published posts, the drill history


def test_the_review_page_reads_a_fixed_number_of_statements(console, services) -> None:  # noqa: F811
    incident_id, _ = busy_incident(services)
    seen = counted(console, services, f"/console/incidents/{incident_id}/review")
    assert len(seen) <= REVIEW_LIMIT, "\n".join(seen)


def test_the_metrics_page_reads_the_same_statements_for_one_incident_or_many(console, services, clock) -> None:  # noqa: F811
    outage(services, clock)
    one = counted(console, services, "/console/metrics")
    for _ in range(3):
        busy_incident(services)
    many = counted(console, services, "/console/metrics")
    assert len(one) == len(many) <= METRICS_LIMIT, "\n".join(many)
