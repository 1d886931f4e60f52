"""The KiwiSDR WebSocket protocol, client to server: ``SET ...`` text commands, built and parsed.

What a client sends on the sound stream (``/<number>/SND``), in the order the public client does:

    SET auth t=kiwi p=<password, percent-encoded; empty for none>    first, before anything else
    SET AR OK in=<audio_rate> out=44100                                on ``MSG audio_rate``
    SET squelch=0 max=0                                                on ``MSG sample_rate``, then:
    SET ident_user=<client name and operator contact, percent-encoded>
    SET mod=iq low_cut=<Hz> high_cut=<Hz> freq=<kHz, 3 decimals, minus the receiver's freq_offset>
    SET agc=0 hang=0 thresh=-100 slope=6 decay=1000 manGain=<dB>      (AGC off, fixed gain)
    SET compression=0
    SET keepalive                                                      then once a second

A server ignores every command but ``auth`` and ``keepalive`` until the password is accepted (it
kicks a client that tries), and sends no audio until it has a frequency, mode, passband, AGC setting
and ``AR OK``. It drops a client that sends no keepalive for 60 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

KEEPALIVE = "SET keepalive"
AUDIO_OUTPUT_RATE_HZ = 44_100  # what the public client declares; IQ samples are never resampled
MAX_IDENT_CHARS = 256  # the server reads at most this many (percent-encoded) characters
REQUIRED_FOR_AUDIO = ("mod", "agc", "AR OK")  # plus auth, and keepalives to stay


def auth(password: str | None = None) -> str:
    return f"SET auth t=kiwi p={quote(password or '', safe='')}"


def ident_user(client_name: str, contact: str | None = None) -> str:
    """``ident_user`` with the client's name and the operator's contact, cut to what the server reads."""
    text = f"{client_name} ({contact})" if contact else client_name
    encoded = quote(text, safe="")
    while len(encoded) > MAX_IDENT_CHARS:
        text = text[:-1]
        encoded = quote(text, safe="")
    return f"SET ident_user={encoded}"


def tune(frequency_khz: float, low_cut_hz: float, high_cut_hz: float, mode: str = "iq") -> str:
    return f"SET mod={mode} low_cut={round(low_cut_hz)} high_cut={round(high_cut_hz)} freq={frequency_khz:.3f}"


def agc(manual_gain_db: int | None) -> str:
    """AGC off with a fixed gain (timing and amplitude must not be pumped), or the server's default AGC."""
    if manual_gain_db is None:
        return "SET agc=1 hang=0 thresh=-100 slope=6 decay=1000 manGain=50"
    return f"SET agc=0 hang=0 thresh=-100 slope=6 decay=1000 manGain={int(manual_gain_db)}"


def ar_ok(audio_rate_hz: int) -> str:
    return f"SET AR OK in={int(audio_rate_hz)} out={AUDIO_OUTPUT_RATE_HZ}"


def compression(enabled: bool) -> str:
    return f"SET compression={1 if enabled else 0}"


def squelch_off() -> str:
    return "SET squelch=0 max=0"


@dataclass(frozen=True)
class Command:
    """A parsed ``SET`` command: its name (``auth``, ``mod``, ``AR OK``, ``keepalive``...) and parameters."""

    name: str
    params: dict[str, str]
    text: str


def parse_command(text: str) -> Command | None:
    """``SET a=1 b=2`` -> Command(name of the first parameter, all parameters); None if not a SET command."""
    if not text.startswith("SET "):
        return None
    body = text[4:].strip()
    if body.startswith("AR OK"):
        return Command("AR OK", _pairs(body[5:]), text)
    if body in ("keepalive", "auth"):
        return Command(body, {}, text)
    first = body.split(" ", 1)[0]
    name = first.split("=", 1)[0]
    return Command(name, _pairs(body), text) if name else None


def _pairs(body: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for token in body.split():
        key, sep, value = token.partition("=")
        if key:
            params[key] = unquote(value) if sep else ""
    return params
