"""GET a receiver's small status document with a deadline and a size cap, for every kind that has one.

Nothing a remote server sends may cost more than ``max_bytes`` of memory or ``2 * timeout_s`` of time:
the body is read in chunks and the read stops as soon as it grows past the cap.
"""

from __future__ import annotations

import asyncio

import httpx

from heimdall.receivers.states import ReceiverRefused, RefusalReason


async def get_capped(http: httpx.AsyncClient, url: str, max_bytes: int, user_agent: str, timeout_s: float) -> bytes:
    """The body of ``GET url``; ``ReceiverRefused`` UNREACHABLE (no answer, timeout), NOT_THIS_KIND (not
    HTTP 200), PROTOCOL_ERROR (larger than ``max_bytes``) or REDIRECT (too many redirects)."""
    try:
        async with asyncio.timeout(timeout_s * 2), http.stream("GET", url, headers={"User-Agent": user_agent}) as response:
            if response.status_code != 200:
                raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{url} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise ReceiverRefused(RefusalReason.PROTOCOL_ERROR, f"{url} is larger than {max_bytes} bytes")
            return bytes(body)
    except (httpx.TimeoutException, TimeoutError) as exc:
        raise ReceiverRefused(RefusalReason.UNREACHABLE, f"{url}: no answer within {timeout_s:g} s") from exc
    except httpx.TooManyRedirects as exc:
        raise ReceiverRefused(RefusalReason.REDIRECT, f"{url}: too many redirects") from exc
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise ReceiverRefused(RefusalReason.UNREACHABLE, f"{url}: {exc or type(exc).__name__}") from exc
    except httpx.HTTPError as exc:  # anything else the transport may raise on a hostile answer
        raise ReceiverRefused(RefusalReason.PROTOCOL_ERROR, f"{url}: {exc or type(exc).__name__}") from exc
