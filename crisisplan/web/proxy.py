"""The client's address behind a reverse proxy: `X-Forwarded-For` believed only from a configured proxy.

`CRISISPLAN_TRUSTED_PROXIES` lists the proxies' addresses or networks (`127.0.0.1,10.0.0.0/8`);
`CRISISPLAN_PROXY_HOPS` (default 1) says how many of them stand in a row. A request whose peer is one
of them has its address (and scheme) taken from the headers by werkzeug's ProxyFix, counting from
the right, so whatever a client wrote into the header itself is skipped. Any other peer's headers are
ignored: anybody could send them. The login limits count failures by this address.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from crisisplan.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(text: str) -> list[Network]:
    """The networks of `CRISISPLAN_TRUSTED_PROXIES` (a single address is a network of one)."""
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise InvalidInput(f"CRISISPLAN_TRUSTED_PROXIES: '{item}' is not an address or a network",
                               "CRISISPLAN_TRUSTED_PROXIES") from None
    return networks


class TrustedProxy:
    """WSGI middleware: ProxyFix for requests from the trusted proxies, nothing for anybody else."""

    def __init__(self, app: Callable[..., Any], proxies: Iterable[Network], hops: int = 1):
        self.app = app
        self.proxies = list(proxies)
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops)

    def trusted(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.proxies and self.trusted(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def wrap(app: Any, config: dict[str, Any]) -> None:
    """Put the middleware in front of the app when proxies are configured (settings or environment)."""
    text = config.get("TRUSTED_PROXIES", os.environ.get("CRISISPLAN_TRUSTED_PROXIES", ""))
    hops = str(config.get("PROXY_HOPS", os.environ.get("CRISISPLAN_PROXY_HOPS", "1")))
    if not hops.isdigit() or not 1 <= int(hops) <= 10:
        raise InvalidInput("CRISISPLAN_PROXY_HOPS must be a whole number from 1 to 10", "CRISISPLAN_PROXY_HOPS")
    proxies = parse_proxies(text)
    if proxies:
        app.wsgi_app = TrustedProxy(app.wsgi_app, proxies, int(hops))
