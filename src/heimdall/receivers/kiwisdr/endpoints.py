"""A KiwiSDR's address -> the URLs of its status page and its sound WebSocket.

A receiver is given as ``http://host:port`` (the address its users open in a browser), ``https://``,
``ws://``/``wss://`` (their usual ports when none is given) or a bare ``host[:port]`` (port 8073, a
KiwiSDR's own default). Its status page is
``/status`` and its sound stream ``/<number>/SND``, the path the public client opens (the number
ties a client's sound and waterfall streams together; any 32-bit value will do).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from heimdall.errors import InvalidInput

DEFAULT_PORT = 8073
_SCHEMES = {"http": "http", "ws": "http", "https": "https", "wss": "https"}
_stamps = itertools.count()


@dataclass(frozen=True)
class KiwiAddress:
    scheme: str  # "http" or "https"
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def status_url(self) -> str:
        return f"{self.base_url}/status"

    def sound_url(self, stamp: int | None = None) -> str:
        number = stamp if stamp is not None else (int(time.time()) + next(_stamps)) & 0xFFFFFFFF
        ws_scheme = "wss" if self.scheme == "https" else "ws"
        return f"{ws_scheme}{self.base_url.removeprefix(self.scheme)}/{number}/SND"


def parse_address(url: str) -> KiwiAddress:
    """``InvalidInput`` (one line) for anything that is not a host with an optional port and http(s)/ws(s)."""
    text = url.strip()
    if not text:
        raise InvalidInput("a KiwiSDR URL is required", field="url")
    bare = "://" not in text
    if bare:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"{url!r} is not a valid URL ({exc})", field="url") from exc
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise InvalidInput(f"{url!r}: a KiwiSDR URL must be http(s):// or ws(s)://", field="url")
    if not parts.hostname:
        raise InvalidInput(f"{url!r}: no host name", field="url")
    if parts.username or parts.password:
        raise InvalidInput(f"{url!r}: credentials in the URL are not supported (give the password separately)",
                           field="url")
    default = DEFAULT_PORT if bare else (443 if scheme == "https" else 80)
    return KiwiAddress(scheme, parts.hostname, port or default)
