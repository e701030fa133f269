"""Fetch an agent's published calendar, with guards: http(s) only, a timeout, a size limit,
and no private, loopback or link-local peers (checked on the connected socket, so a DNS
answer that changes between lookup and connect cannot sneak past)."""
from __future__ import annotations

import http.client
import ipaddress
from urllib.parse import urljoin, urlsplit

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 10
MAX_REDIRECTS = 3


class FetchRefused(Exception):
    """The URL or its answer broke a guard, or the server failed."""


def _check_peer(sock, allow_private: bool) -> None:
    address = ipaddress.ip_address(sock.getpeername()[0])
    if not allow_private and (address.is_private or address.is_loopback or address.is_link_local
                              or address.is_multicast or address.is_reserved or address.is_unspecified):
        sock.close()
        raise FetchRefused("the calendar's address is private or local")


def _connection(scheme: str, host: str, port: int | None, allow_private: bool) -> http.client.HTTPConnection:
    base = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection

    class Guarded(base):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            super().connect()
            _check_peer(self.sock, allow_private)

    return Guarded(host, port, timeout=TIMEOUT_SECONDS)


def fetch_calendar(url: str, allow_private: bool = False, max_bytes: int = MAX_BYTES) -> bytes:
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused("only http and https calendar URLs are fetched")
        connection = _connection(parts.scheme, parts.hostname, parts.port, allow_private)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", path, headers={"Accept": "text/calendar", "User-Agent": "citizen-scheduler"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                continue
            if response.status != 200:
                raise FetchRefused(f"the calendar server answered {response.status}")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchRefused(f"the calendar is larger than {max_bytes} bytes")
            return body
        except (OSError, http.client.HTTPException) as error:
            raise FetchRefused(f"the calendar could not be fetched: {type(error).__name__}") from None
        finally:
            connection.close()
    raise FetchRefused("too many redirects")
