"""The KiwiSDR WebSocket protocol, server to client: frames, ``MSG`` parameters and refusals.

Every frame the server sends is a binary WebSocket message that starts with a three-letter tag:

- ``MSG name=value name2 ...``: space-separated parameters, values percent-encoded (names alone are
  flags such as ``monitor``). Before audio a server sends, in roughly this order: ``sample_rate``
  (announced, e.g. ``12001.135000``), then after ``SET auth``: ``rx_chans``, ``chan_no_pwd``,
  ``is_local``, ``max_camp``, ``badp`` (0 = accepted), ``version_maj version_min ... freq_offset``
  (kHz), configuration (``load_cfg`` ...), ``center_freq bandwidth adc_clk_nom`` (Hz) and
  ``audio_init audio_rate`` (the nominal rate, e.g. 12000).
- ``SND``: flags u8, sequence u32 little-endian (+1 per frame), S-meter u16 big-endian
  (``0.1 * value - 127`` dBm). In IQ mode (flag 0x08) a GNSS header follows: ``last_gps_solution`` u8
  (seconds since the last GNSS fix, at most 252; 255 = no GNSS; 253/254 are the Octave tools'
  error codes), a pad byte, ``gpssec`` u32 and ``gpsnsec`` u32 little-endian (GNSS time of the
  frame's first sample, seconds of the GPS week), then int16 I/Q pairs, big-endian unless flag 0x80.
  The first frame of a session carries zero time (the server has no previous stamp yet).
- ``W/F``, ``EXT``, ``DAT`` and other tags (three of ``A-Z`` and ``/``) belong to streams we do not
  open: ignored. Anything else is not a KiwiSDR frame.

Refusals arrive as ``MSG`` parameters and map onto :class:`RefusalReason` (see ``refusal_for``).
Malformed frames raise ``ReceiverRefused(PROTOCOL_ERROR)``; nothing else escapes these parsers.
The commands a client sends are in ``heimdall.receivers.kiwisdr.commands``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from urllib.parse import quote, unquote

import numpy as np
from numpy.typing import NDArray

from heimdall.formats.kiwi import FULL_SCALE, SAMPLE_RATE_ERROR
from heimdall.receivers.states import ReceiverRefused, RefusalReason

FLAG_ADC_OVERFLOW = 0x02
FLAG_IQ = 0x08
FLAG_COMPRESSED = 0x10
FLAG_RESTART = 0x20
FLAG_LITTLE_ENDIAN = 0x80
SND_HEADER_BYTES = 7  # after the tag: flags, sequence, S-meter
GNSS_HEADER_BYTES = 10
SECONDS_PER_GPS_WEEK = 604_800
SEQUENCE_MODULUS = 2**32
_SND_HEADER = struct.Struct("<BI")
_SMETER = struct.Struct(">H")
_GNSS = struct.Struct("<BBII")
_BADP_REASONS = {
    "1": (RefusalReason.BAD_PASSWORD, "bad password, or every channel that needs none is busy"),
    "2": (RefusalReason.TOO_BUSY, "the receiver is still determining its local address; try again shortly"),
    "3": (RefusalReason.BAD_PASSWORD, "admin connections are not allowed from this address"),
    "4": (RefusalReason.BAD_PASSWORD, "no admin password is set; only local connections are allowed"),
    "5": (RefusalReason.TOO_BUSY, "no multiple connections from the same IP address"),
    "6": (RefusalReason.DOWN, "a database update is in progress; try again after a minute"),
    "7": (RefusalReason.TOO_BUSY, "another admin connection is already open"),
}
_DOWN_KINDS = {"0": "is down", "1": "is updating its software", "2": "is making a backup"}


@dataclass(frozen=True)
class GnssStamp:
    """The GNSS header of an IQ frame: the time of its first sample and the age of the last fix."""

    last_gps_solution: int
    gps_seconds: int  # seconds of the GPS week
    gps_nanoseconds: int

    @property
    def seconds_of_week(self) -> float:
        return self.gps_seconds + 1e-9 * self.gps_nanoseconds

    @property
    def usable(self) -> bool:
        """A stamp that can time samples: a fix reported, a non-zero time, and fields in range."""
        return (self.last_gps_solution < SAMPLE_RATE_ERROR and (self.gps_seconds, self.gps_nanoseconds) != (0, 0)
                and self.gps_seconds < SECONDS_PER_GPS_WEEK and self.gps_nanoseconds < 1_000_000_000)


@dataclass(frozen=True)
class SndFrame:
    flags: int
    sequence: int
    smeter_dbm: float
    gnss: GnssStamp | None  # IQ frames only
    iq: NDArray[np.complex64] | None  # IQ frames only, full scale = 1.0
    payload_bytes: int  # audio frames are not decoded (we only ever ask for IQ)

    @property
    def is_iq(self) -> bool:
        return self.iq is not None

    @property
    def adc_overflow(self) -> bool:
        return bool(self.flags & FLAG_ADC_OVERFLOW)


@dataclass(frozen=True)
class KiwiMessage:
    """One ``MSG`` frame: its parameters in order, values percent-decoded (None for bare names)."""

    params: tuple[tuple[str, str | None], ...]

    def get(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.params)


@dataclass(frozen=True)
class OtherFrame:
    """A well-formed frame of a stream we do not use (``W/F``, ``EXT``, ``DAT``, ...)."""

    tag: str
    size: int


Frame = KiwiMessage | SndFrame | OtherFrame


def protocol_error(message: str) -> ReceiverRefused:
    return ReceiverRefused(RefusalReason.PROTOCOL_ERROR, message)


def decode_frame(data: bytes | bytearray | memoryview | str) -> Frame:
    """One WebSocket message from a KiwiSDR -> a frame; ``ReceiverRefused(PROTOCOL_ERROR)`` if malformed."""
    raw = data.encode("utf-8", errors="replace") if isinstance(data, str) else bytes(data)
    if len(raw) < 3 or not all(0x41 <= byte <= 0x5A or byte == 0x2F for byte in raw[:3]):  # A-Z or "/"
        raise protocol_error(f"not a KiwiSDR frame (starts {raw[:8]!r})")
    tag = raw[:3].decode("ascii")
    if tag == "MSG":
        return parse_message(raw[3:])
    if tag == "SND":
        return parse_snd(raw[3:])
    return OtherFrame(tag, len(raw))


def parse_message(body: bytes) -> KiwiMessage:
    """``MSG`` body (after the tag) -> parameters. Undecodable bytes become U+FFFD, never an error."""
    text = body.decode("utf-8", errors="replace").strip()
    params: list[tuple[str, str | None]] = []
    for token in text.split():
        name, sep, value = token.partition("=")
        if name:
            params.append((name, unquote(value) if sep else None))
    return KiwiMessage(tuple(params))


def parse_snd(body: bytes) -> SndFrame:
    """``SND`` body (after the tag) -> a frame; IQ samples scaled to full scale 1.0."""
    if len(body) < SND_HEADER_BYTES:
        raise protocol_error(f"SND frame of {len(body) + 3} bytes is shorter than its header")
    flags, sequence = _SND_HEADER.unpack_from(body, 0)
    smeter_dbm = 0.1 * _SMETER.unpack_from(body, 5)[0] - 127.0
    payload = body[SND_HEADER_BYTES:]
    if not flags & FLAG_IQ:
        return SndFrame(flags, sequence, smeter_dbm, None, None, len(payload))
    if len(payload) < GNSS_HEADER_BYTES:
        raise protocol_error(f"IQ SND frame #{sequence} is too short for its GNSS header")
    solution, _, seconds, nanoseconds = _GNSS.unpack_from(payload, 0)
    samples = payload[GNSS_HEADER_BYTES:]
    if len(samples) % 4:
        raise protocol_error(f"IQ SND frame #{sequence} has {len(samples)} sample bytes, not whole I/Q pairs")
    dtype = "<i2" if flags & FLAG_LITTLE_ENDIAN else ">i2"
    pcm = np.frombuffer(samples, dtype=dtype).astype(np.float32)
    pcm *= np.float32(1.0 / FULL_SCALE)  # exact: a power of two
    iq = pcm.view(np.complex64)  # interleaved float32 I, Q is complex64's layout
    return SndFrame(flags, sequence, smeter_dbm, GnssStamp(solution, seconds, nanoseconds), iq, len(payload))


def sequence_step(previous: int, current: int) -> int:
    """Frames from ``previous`` to ``current`` (1 = consecutive), across the u32 wrap; <= 0 = not forward."""
    step = (current - previous) % SEQUENCE_MODULUS
    return step if step < SEQUENCE_MODULUS // 2 else step - SEQUENCE_MODULUS


def refusal_for(name: str, value: str | None) -> ReceiverRefused | None:
    """The refusal a ``MSG`` parameter announces, or None when it announces none (``badp=0`` is none)."""
    text = value or ""
    if name == "too_busy":
        return ReceiverRefused(RefusalReason.TOO_BUSY, f"all {text or 'its'} channels are taken")
    if name == "badp" and text in _BADP_REASONS:
        reason, words = _BADP_REASONS[text]
        return ReceiverRefused(reason, words)
    if name == "down" or name == "reason_disabled":
        return ReceiverRefused(RefusalReason.DOWN, "the receiver is down")
    if name == "redirect":
        return ReceiverRefused(RefusalReason.REDIRECT, f"the receiver is full and redirects to {text}",
                               redirect_url=text or None)
    if name in ("monitor", "camp_disconnect"):
        return ReceiverRefused(RefusalReason.CAMP_ONLY, "every channel is taken; only camping on one is possible")
    if name in ("exclusive_use", "wb_only"):
        return ReceiverRefused(RefusalReason.TOO_BUSY, f"no channel available ({name})")
    if name == "inactivity_timeout":
        return ReceiverRefused(RefusalReason.INACTIVITY_TIMEOUT, f"inactivity timeout after {text} min")
    if name == "ip_limit":
        return ReceiverRefused(RefusalReason.TIME_LIMIT, f"the 24-hour time limit per IP address is reached ({text})")
    if name == "password_timeout":
        return ReceiverRefused(RefusalReason.BAD_PASSWORD, "the receiver waited too long for a password")
    if name == "kiwi_kick":
        return ReceiverRefused(RefusalReason.KICKED, f"the operator closed the session ({text.partition(',')[2]})")
    return None


def refusal_in(message: KiwiMessage) -> ReceiverRefused | None:
    """The first refusal in a message. ``down`` comes with ``reason_disabled`` and says which kind."""
    if "down" in message:
        kind = _DOWN_KINDS.get(message.get("down") or "0", "is down")
        why = message.get("reason_disabled")
        return ReceiverRefused(RefusalReason.DOWN, f"the receiver {kind}" + (f": {why}" if why else ""))
    for name, value in message.params:
        refusal = refusal_for(name, value)
        if refusal is not None:
            return refusal
    return None


def encode_message(*params: tuple[str, object | None]) -> bytes:
    """``MSG`` frame as a server sends it: values percent-encoded, bare names without ``=``."""
    parts = [name if value is None else f"{name}={quote(str(value), safe='.,-_~()')}" for name, value in params]
    return ("MSG " + " ".join(parts)).encode("utf-8")


def encode_iq_frame(sequence: int, pcm: NDArray[np.int16], gnss: GnssStamp, *, smeter_dbm: float = -100.0,
                    flags: int = FLAG_IQ, little_endian: bool = False) -> bytes:
    """``SND`` IQ frame as a server sends it; ``pcm`` holds interleaved int16 I, Q."""
    smeter = round(min(max((smeter_dbm + 127.0) * 10.0, 0.0), 65535.0))
    all_flags = flags | FLAG_IQ | (FLAG_LITTLE_ENDIAN if little_endian else 0)
    header = b"SND" + _SND_HEADER.pack(all_flags, sequence % SEQUENCE_MODULUS) + _SMETER.pack(smeter)
    stamp = _GNSS.pack(gnss.last_gps_solution, 0, gnss.gps_seconds, gnss.gps_nanoseconds)
    return header + stamp + np.asarray(pcm).astype("<i2" if little_endian else ">i2").tobytes()
