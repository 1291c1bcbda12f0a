"""The demo's sample incident can be cleared by the one person the demo creates (admin), from the console, as a
user would: share progress, resolve, tick the checklist, follow up, close. Before, it was a sev2 whose posts need
a second person's approval, and the demo has only one person: nothing after the acknowledgement could go out."""

from __future__ import annotations

import re

from crisisplan.cli import main
from tests.web import form, login


def _post_of(response) -> int:
    return int(re.search(r"/console/posts/(\d+)", response.headers["Location"]).group(1))


def _publish(client, post_id: int) -> None:
    page = client.get(f"/console/posts/{post_id}").get_data(as_text=True)
    assert '<button type="submit">Publish</button>' in page, re.findall(r'id="not-yet">([^<]*)', page)
    assert "Published." in form(client, f"/console/posts/{post_id}/publish", follow=True).get_data(as_text=True)


def test_the_demo_incident_can_be_cleared_by_its_one_admin(runner, services, client, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CRISISPLAN_INSTANCE", str(tmp_path))
    assert runner.invoke(main, ["demo"]).exit_code == 0
    login(client, "ada")  # the test's admin stands for the demo's (the accounts existed, so demo added none)
    [sample] = [v for v in services.status() if v.title == "Search is slow for some customers"]
    page = f"/console/incidents/{sample.id}"

    for label, trigger, state in (("Share progress", "post_update", "updating"),
                                  ("Service restored", "resolve", "resolved")):
        assert f"{label} <small>" in client.get(page).get_data(as_text=True)  # the button is there for her
        _publish(client, _post_of(form(client, f"{page}/step", {"trigger": trigger})))
        assert services.get(sample.id).state == state
    for item in (1, 2):
        form(client, f"{page}/checklist", {"item": str(item)})
    _publish(client, _post_of(form(client, f"{page}/posts", {"kind": "follow_up"})))
    assert "Followed up, close it <small>" in client.get(page).get_data(as_text=True)
    done = form(client, f"{page}/trigger", {"trigger": "close", "version": services.get(sample.id).version},
                follow=True)
    assert "Done" in done.get_data(as_text=True) and services.get(sample.id).state == "closed"
