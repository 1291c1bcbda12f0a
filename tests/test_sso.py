"""Sign-in through the organisation's identity provider: a real OpenID provider (node-oidc-provider),
the authorization code flow with PKCE, groups mapped to roles, local passwords turned off."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from crisisplan.errors import CrisisplanError, InvalidInput
from crisisplan.services.sso import parse_role_map, role_from_claims
from tests.oidc import CLIENT_ID, provider, sign_in_at_provider
from tests.web import csrf, login

CALLBACK = "http://localhost/login/sso/callback"  # the test client's host


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory):
    with provider([CALLBACK], tmp_path_factory.mktemp("oidc") / "provider.log") as running:
        yield running


def _app(services, **settings):
    from crisisplan.web import create_app

    return create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0,
                       **settings})


@pytest.fixture
def sso_client(app, services, idp):
    """The console with the provider configured (the `app` fixture has made the ROLE_USERS)."""
    return _app(services, **idp.settings()).test_client()


def _start(client) -> str:
    """Press 'Sign in with …' on the login page: the answer sends the browser to the provider."""
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Example ID" in page
    answer = client.post("/login/sso", data={"csrf_token": csrf(client)})
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_the_role_comes_from_the_mapped_group() -> None:
    mapping = {"crisis-comms": "communicator", "crisis-admins": "admin", "readers": "viewer"}
    assert role_from_claims({"groups": ["staff", "crisis-comms"]}, "groups", mapping) == "communicator"
    # the highest of several: admin is above viewer in the README's order
    assert role_from_claims({"groups": ["readers", "crisis-admins"]}, "groups", mapping) == "admin"
    assert role_from_claims({"groups": "readers"}, "groups", mapping) == "viewer"
    assert role_from_claims({"groups": ["staff"]}, "groups", mapping) is None
    assert role_from_claims({"groups": {"crisis-admins": True}}, "groups", mapping) is None
    assert role_from_claims({}, "groups", mapping) is None


def test_the_role_map_setting_is_checked() -> None:
    assert parse_role_map("a=viewer, b = admin") == {"a": "viewer", "b": "admin"}
    with pytest.raises(InvalidInput, match="unknown role 'boss'"):
        parse_role_map("a=boss")
    with pytest.raises(InvalidInput, match="'admins' is not group=role"):
        parse_role_map("admins")


def test_settings_that_would_lock_everybody_out_are_refused(services) -> None:
    with pytest.raises(CrisisplanError, match="needs an identity provider"):
        _app(services, LOCAL_PASSWORDS="off")
    with pytest.raises(CrisisplanError, match="CRISISPLAN_OIDC_CLIENT_SECRET not"):
        _app(services, OIDC_ISSUER="https://id.example", OIDC_CLIENT_ID="x")


def test_sign_in_through_the_provider_with_pkce_and_the_mapped_role(sso_client, idp) -> None:
    authorize = _start(sso_client)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(idp.issuer + "/auth?")
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    # PKCE (RFC 7636): a challenge of 43 base64url characters (SHA-256), method S256
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    back = sign_in_at_provider(authorize, "carla", CALLBACK)
    answer = sso_client.get(back.removeprefix("http://localhost"))
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/"
    page = sso_client.get("/console/").get_data(as_text=True)
    assert "carla (communicator)" in page


def test_an_sso_person_is_created_without_a_password(sso_client, idp, services) -> None:
    from crisisplan.services.accounts import Accounts

    sso_client.get(sign_in_at_provider(_start(sso_client), "adam", CALLBACK).removeprefix("http://localhost"))
    assert "adam (admin)" in sso_client.get("/console/").get_data(as_text=True)
    people = sso_client.get("/console/people").get_data(as_text=True)
    assert "signs in through SSO" in people
    # an SSO person has no password here: the password form does not let them in
    refused = login(sso_client.application.test_client(), "adam", "")
    assert refused.status_code in (400, 401)
    row = next(u for u in Accounts(services.db).users() if u.name == "adam")
    assert row.password_hash == "" and row.sso_subject == f"{idp.issuer}|adam"


def test_a_person_in_no_mapped_group_is_refused(sso_client) -> None:
    back = sign_in_at_provider(_start(sso_client), "olga", CALLBACK)
    answer = sso_client.get(back.removeprefix("http://localhost"))
    assert answer.status_code == 403 and b"in no group that may use crisisplan" in answer.data
    assert sso_client.get("/console/").status_code == 302


def test_a_callback_that_this_browser_did_not_start_is_refused(sso_client, app) -> None:
    """Login CSRF: a code and state from somebody else's flow are no good in another browser."""
    back = sign_in_at_provider(_start(sso_client), "carla", CALLBACK)
    other = sso_client.application.test_client()
    answer = other.get(back.removeprefix("http://localhost"))
    assert answer.status_code == 401 and b"did not sign you in" in answer.data
    assert other.get("/console/").status_code == 302


def test_a_disabled_sso_person_is_refused(sso_client, services) -> None:
    from crisisplan.services.accounts import Accounts

    sso_client.get(sign_in_at_provider(_start(sso_client), "carla", CALLBACK).removeprefix("http://localhost"))
    Accounts(services.db).disable_user("carla", "ada")
    assert sso_client.get("/console/").status_code == 302  # the session ended with the disabling
    back = sign_in_at_provider(_start(sso_client), "carla", CALLBACK)
    answer = sso_client.get(back.removeprefix("http://localhost"))
    assert answer.status_code == 403 and b"disabled" in answer.data


def test_with_local_passwords_off_the_password_form_is_refused(app, services, idp) -> None:
    client = _app(services, LOCAL_PASSWORDS="off", **idp.settings()).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page and "Sign in with Example ID" in page
    refused = login(client, "ada")  # a right name and password
    assert refused.status_code == 403 and b"Passwords are turned off" in refused.data
    assert client.get("/console/").status_code == 302
