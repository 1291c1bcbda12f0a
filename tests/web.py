"""Helpers for the web tests: log in through the real form, post forms with their CSRF token."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def csrf(client, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def login(client, name: str, password: str = PASSWORD):
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf(client)})


def form(client, path: str, data: dict | None = None, follow: bool = False):
    token = csrf(client, "/console/")
    return client.post(path, data={**(data or {}), "csrf_token": token}, follow_redirects=follow)
