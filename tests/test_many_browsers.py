"""During an outage thousands of browsers hold a connection open to the status page: each of them is answered.

granian's backpressure counts open connections, not requests. At 64 a worker (the old default) the 65th browser
that kept its connection alive waited until one of the first 64 went away: with keep-alive, for ever (the load
benchmark's readers timed out after a minute). This holds 300 keep-alive connections open on one worker, with
the default settings of `crisisplan serve`, and asks for the page on every one of them.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from tests.e2e.conftest import server_env, serving

BROWSERS = 300


def test_three_hundred_browsers_keeping_their_connections_are_all_answered(tmp_path, databases) -> None:
    with serving(tmp_path, server_env(tmp_path, databases)) as base:
        address = urlsplit(base)
        connections = [http.client.HTTPConnection(address.hostname, address.port, timeout=10)
                       for _ in range(BROWSERS)]
        try:
            answered = 0
            for round_ in range(2):  # the second round reuses every connection: each was kept alive
                for connection in connections:
                    connection.request("GET", "/", headers={"Accept-Encoding": "br", "Connection": "keep-alive"})
                    answer = connection.getresponse()
                    body = answer.read()
                    assert answer.status == 200 and answer.getheader("Content-Encoding") == "br" and body
                    assert answer.getheader("Connection", "").lower() != "close", round_
                    answered += 1
            assert answered == 2 * BROWSERS
        finally:
            for connection in connections:
                connection.close()
