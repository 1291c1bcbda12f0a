"""The short path at 3 a.m. (issue 15's click budget), on the Flask client: declaring from the dashboard opens
the drafted acknowledgement; what waits for an approver is listed for her at the top; the last approval and
the publication are one action, refused whole when the rules ask for more. The browser counts the actions in
tests/e2e/test_click_budget.py."""

from __future__ import annotations

from tests.web import form, login


def test_declaring_from_the_dashboard_opens_the_drafted_acknowledgement(client, services) -> None:
    login(client, "carmen")
    page = client.get("/console/").get_data(as_text=True)
    assert 'id="quick-declare"' in page and 'value="outage/sev1"' in page
    assert 'value="maintenance/' not in page  # a planned window is scheduled, never declared
    response = form(client, "/console/declare/quick", {"title": "Checkout down", "kind": "outage/sev1"})
    [view] = services.status()
    assert (view.runbook_id, view.severity, view.title) == ("outage", "sev1", "Checkout down")
    [ack] = services.posts(view.id)
    assert ack.kind == "acknowledge"
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/console/posts/{ack.id}")


def test_a_refused_quick_declaration_declares_nothing(client, services) -> None:
    login(client, "carmen")
    response = form(client, "/console/declare/quick", {"title": "Checkout down", "kind": "outage/sev9"},
                    follow=True)
    assert "sev9" in response.get_data(as_text=True)  # the refusal names what was wrong
    assert services.status() == []
    form(client, "/console/declare/quick", {"title": "Checkout down", "kind": ""}, follow=True)
    assert services.status() == []


def test_the_dashboard_tells_the_approver_what_waits_for_her(client, services) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "carmen")
    [ack] = services.posts(view.id)
    services.submit_post(ack.id, "carmen")
    login(client, "lena")
    page = client.get("/console/").get_data(as_text=True)
    assert "Waiting for you (1)" in page and f"/console/posts/{ack.id}" in page
    assert page.index('id="waiting-for-you"') < page.index("<h1")  # at the top
    client.post("/logout", data={"csrf_token": ""})
    client.delete_cookie("session")
    login(client, "carmen")  # the author: it waits for somebody else, not for her
    page = client.get("/console/").get_data(as_text=True)
    assert 'id="waiting-for-you"' not in page and "Waiting for approval (1)" in page


def test_the_last_approval_publishes_in_one_action(client, services) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "carmen")
    [ack] = services.posts(view.id)
    services.submit_post(ack.id, "carmen")
    login(client, "lena")
    assert "Approve and publish" in client.get(f"/console/posts/{ack.id}").get_data(as_text=True)
    page = form(client, f"/console/posts/{ack.id}/approve-publish", follow=True).get_data(as_text=True)
    assert "Approved and published." in page
    post = services.post(ack.id)
    assert post.status == "published" and [a["by"] for a in post.approvals] == ["lena"]
    assert services.get(view.id).state == "acknowledged"  # the public step went with it


def test_approve_and_publish_is_refused_whole_when_a_second_approval_is_needed(client, services) -> None:
    view = services.declare("security", "sev1", "Customer data exposed", "carmen")  # policy `two`
    post = services.draft_post(view.id, "acknowledge", "carmen")
    services.submit_post(post.id, "carmen")
    login(client, "lena")
    page = client.get(f"/console/posts/{post.id}").get_data(as_text=True)
    assert "Approve and publish" not in page and ">Approve</button>" in page
    version = services.post(post.id).version
    page = form(client, f"/console/posts/{post.id}/approve-publish", follow=True).get_data(as_text=True)
    assert "needs another approval" in page
    after = services.post(post.id)
    assert (after.status, after.approvals, after.version) == ("in_review", [], version)
