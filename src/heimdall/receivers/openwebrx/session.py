"""One OpenWebRX receiver connection as a state machine without IO: feed it what the server sends,
send what it puts in ``outbox``, collect the readings it returns.

Order of a session: the server's handshake line, then (in any order) ``config`` (partial updates,
merged; ``None`` deletes a key), ``profiles`` and ``clients``. Once config and profiles are known,
:meth:`plan` keeps the current profile or asks to switch (never while others listen); a switch is
done when a config names the new profile. Tuning sends the channel's offset from the profile's
centre and a band-pass of +-bandwidth/2, then ``start``. From then on every ``smeter`` becomes a
:class:`PowerReading`; a config that moves the profile under us (another user switched it) retunes
when the new profile still covers the channel and ends the session with ``profile_in_use`` when not.

Bad input never ends a session on its own: a malformed message, a smeter before tuning, a power
that is not a positive number are counted on the :class:`StreamStatus` and skipped. Only
``MAX_MALFORMED_RUN`` malformed messages in a row (we are not talking to OpenWebRX) end it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx import messages
from heimdall.receivers.openwebrx.fft import GainTracker, decode_fft_line
from heimdall.receivers.openwebrx.power import CLIP_DBFS, GainMode, GainState, PowerFlag, PowerReading
from heimdall.receivers.openwebrx.profiles import Profile, choose_profile, join_profiles
from heimdall.receivers.openwebrx.status import StatusProfile
from heimdall.receivers.states import ReceiverRefused, RefusalReason
from heimdall.receivers.stream_status import StreamIssue, StreamStatus

MAX_MALFORMED_RUN = 100
MAX_BANDWIDTH_HZ = 48_000.0  # the widest channel OpenWebRX's selector passes (its highest IF rate)
BAN_RETRY_S = 12 * 3600.0  # OpenWebRX+ bans a suspected robot's address for 12 hours
BACKOFF_RETRY_S = 16.0  # what the browser waits after a "backoff"
_PROFILE_KEYS = ("sdr_id", "profile_id", "center_freq", "samp_rate")


@dataclass(frozen=True)
class Tuning:
    frequency_hz: float
    bandwidth_hz: float = 12_500.0
    modulation: str = "nfm"  # only selects the server's chain; the S-meter is measured before demodulation

    def __post_init__(self) -> None:
        if not (math.isfinite(self.frequency_hz) and self.frequency_hz > 0):
            raise InvalidInput("frequency_hz must be a positive number", field="frequency_hz")
        if not (math.isfinite(self.bandwidth_hz) and 0 < self.bandwidth_hz <= MAX_BANDWIDTH_HZ):
            raise InvalidInput(f"bandwidth_hz must lie in (0, {MAX_BANDWIDTH_HZ:.0f}]", field="bandwidth_hz")
        if not self.modulation.isalnum():
            raise InvalidInput("modulation must be alphanumeric (an OpenWebRX mode name)", field="modulation")


class OpenWebRxSession:
    def __init__(self, tuning: Tuning, status_profiles: Sequence[StatusProfile], status: StreamStatus, *,
                 gain_mode: GainMode = GainMode.UNKNOWN, settle_s: float = 0.5, gain_step_db: float = 3.0,
                 fft_interval_s: float = 1.0) -> None:
        self.tuning = tuning
        self.status = status
        self.gain_mode = gain_mode
        self.settle_s = settle_s
        self.fft_interval_s = fft_interval_s
        self.outbox: list[str] = []
        self.server: dict[str, str] | None = None  # the handshake's fields (server, version)
        self.config: dict[str, Any] = {}
        self.ws_profiles: tuple[messages.WsProfile, ...] | None = None
        self.clients: int | None = None
        self.tracker = GainTracker(step_db=gain_step_db)
        self._status_profiles = tuple(status_profiles)
        self._pending_key: str | None = None
        self._tuned: tuple[Any, ...] | None = None  # the config's profile fields we tuned against
        self._tuned_at_s = -math.inf
        self._last_fft_s = -math.inf
        self._malformed_run = 0
        self._gain_changed = False

    # -- what the client asks -------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """Config and profile list are in: :meth:`plan` can decide."""
        return (self.server is not None and self.ws_profiles is not None
                and all(self.config.get(key) is not None for key in _PROFILE_KEYS))

    @property
    def switching(self) -> bool:
        return self._pending_key is not None

    @property
    def tuned(self) -> bool:
        return self._tuned is not None

    def current_profile(self) -> Profile | None:
        if not all(self.config.get(key) is not None for key in _PROFILE_KEYS):
            return None
        key = f"{self.config['sdr_id']}|{self.config['profile_id']}"
        name = next((p.name for p in self.ws_profiles or () if p.key == key), key)
        return Profile(key, name, float(self.config["center_freq"]), float(self.config["samp_rate"]))

    def plan(self, now_s: float) -> None:
        """Keep the current profile (and tune) or ask to switch; ReceiverRefused when neither may be."""
        choice = choose_profile(self.current_profile(), join_profiles(self.ws_profiles or (), self._status_profiles),
                                self.tuning.frequency_hz, self.tuning.bandwidth_hz,
                                None if self.clients is None else self.clients - 1)
        if choice.switch:
            self._pending_key = choice.profile.key
            self.outbox.append(messages.select_profile(choice.profile.key))
        else:
            self._tune(now_s)

    # -- what the server sends ------------------------------------------------------------------
    def on_text(self, text: str, now_s: float) -> PowerReading | None:
        if self.server is None:
            fields = messages.parse_server_handshake(text)
            if fields is None:
                self.status.note_issue(StreamIssue.OUT_OF_ORDER, f"before the handshake: {text[:60]!r}")
                return None
            self.server = fields
            self.outbox.append(messages.connection_properties())
            return None
        try:
            message = messages.parse_text_message(text)
        except InvalidInput as exc:
            self._malformed(exc.message)
            return None
        self._malformed_run = 0
        handler = self._handlers().get(message.type)
        if handler is not None:
            return handler(message.value, now_s)
        if message.type not in messages.IGNORED_TYPES:
            self.status.note_issue(StreamIssue.UNKNOWN_MESSAGE, message.type[:40])
        return None

    def on_binary(self, data: bytes, now_s: float) -> None:
        if not data:
            self._malformed("an empty binary frame")
            return
        compression = self.config.get("fft_compression")
        if (data[0] != messages.BINARY_FFT or not isinstance(compression, str) or not self.tuned
                or now_s - self._tuned_at_s < self.settle_s or now_s - self._last_fft_s < self.fft_interval_s):
            return  # audio and secondary FFT we never use; FFT lines only as often as the tracker needs
        try:
            self.tracker.add_line(decode_fft_line(data[1:], compression))
        except InvalidInput as exc:
            self._malformed(exc.message)
            return
        self._last_fft_s = now_s

    def _handlers(self) -> dict[str, Callable[[Any, float], PowerReading | None]]:
        return {"config": self._on_config, "profiles": self._on_profiles, "clients": self._on_clients,
                "smeter": self._on_smeter, "backoff": self._on_backoff, "sdr_error": self._on_sdr_error,
                "log_message": self._on_log}

    def _on_config(self, value: dict[str, Any], now_s: float) -> None:
        for key, item in value.items():
            if item is None:
                self.config.pop(key, None)
            else:
                self.config[key] = item
        if self._pending_key is not None:
            current = self.current_profile()
            if current is not None and current.key == self._pending_key:
                self._pending_key = None
                self._tune(now_s)
        elif self._tuned is not None and self._profile_fields() != self._tuned:
            self._profile_moved(now_s)

    def _on_profiles(self, value: tuple[messages.WsProfile, ...], now_s: float) -> None:
        self.ws_profiles = value

    def _on_clients(self, value: int, now_s: float) -> None:
        self.clients = value

    def _on_smeter(self, value: float, now_s: float) -> PowerReading | None:
        profile = self.current_profile()
        if self._tuned is None or self._pending_key is not None or profile is None:
            self.status.note_issue(StreamIssue.OUT_OF_ORDER, "an S-meter value before tuning")
            return None
        if not (math.isfinite(value) and value > 0):
            self.status.note_issue(StreamIssue.NOT_A_NUMBER, f"S-meter value {value!r}")
            return None
        reading = self._reading(profile, 10.0 * math.log10(value), now_s)
        self.status.note_reading(now_s)
        return reading

    def _on_backoff(self, value: str, now_s: float) -> None:
        if "ban" in value.lower():
            raise ReceiverRefused(RefusalReason.KICKED, f"the receiver banned us: {value}", retry_after_s=BAN_RETRY_S)
        raise ReceiverRefused(RefusalReason.TOO_BUSY, f"the receiver is busy: {value}", retry_after_s=BACKOFF_RETRY_S)

    def _on_sdr_error(self, value: str, now_s: float) -> None:
        raise ReceiverRefused(RefusalReason.DOWN, f"the receiver's SDR failed: {value}")

    def _on_log(self, value: str, now_s: float) -> None:
        if self._pending_key is not None and "locked" in value.lower():
            raise ReceiverRefused(RefusalReason.PROFILE_LOCKED, f"profile {self._pending_key}: {value}")
        self.status.note_issue(StreamIssue.SERVER_LOG, value)

    # -- internals ------------------------------------------------------------------------------
    def _profile_fields(self) -> tuple[Any, ...]:
        return tuple(self.config.get(key) for key in _PROFILE_KEYS)

    def _tune(self, now_s: float) -> None:
        profile = self.current_profile()
        if profile is None:
            raise ReceiverRefused(RefusalReason.PROTOCOL_ERROR, "asked to tune before the profile is known")
        half = self.tuning.bandwidth_hz / 2
        offset_hz = round(self.tuning.frequency_hz - profile.center_frequency_hz)
        self.outbox.append(messages.dsp_params(offset_hz, -half, half, self.tuning.modulation))
        self.outbox.append(messages.dsp_start())
        self._tuned = self._profile_fields()
        self._tuned_at_s = now_s
        self.tracker.reset()
        self._gain_changed = False

    def _profile_moved(self, now_s: float) -> None:
        profile = self.current_profile()
        self.status.note_issue(StreamIssue.PROFILE_CHANGED, f"now {profile.name if profile else 'unknown'}")
        if profile is None:
            return  # a partial update; the rest follows
        if not profile.covers(self.tuning.frequency_hz, self.tuning.bandwidth_hz):
            raise ReceiverRefused(RefusalReason.PROFILE_IN_USE,
                                  f"another user switched the receiver to {profile.name!r}, which does not cover "
                                  f"{self.tuning.frequency_hz:.0f} Hz")
        self._tune(now_s)

    def _reading(self, profile: Profile, power_dbfs: float, now_s: float) -> PowerReading:
        flags = set()
        if self.gain_mode is GainMode.AGC:
            flags.add(PowerFlag.AGC)
        elif self.gain_mode is GainMode.UNKNOWN:
            flags.add(PowerFlag.GAIN_UNKNOWN)
        if self.tracker.changed:
            flags.add(PowerFlag.GAIN_CHANGED)
            if not self._gain_changed:
                self.status.note_issue(StreamIssue.GAIN_CHANGED, f"noise floor moved {self.tracker.shift_db:+.1f} dB")
        self._gain_changed = self.tracker.changed
        if power_dbfs > CLIP_DBFS:
            flags.add(PowerFlag.CLIPPED)
        if now_s - self._tuned_at_s < self.settle_s:
            flags.add(PowerFlag.SETTLING)
        gain = GainState(self.gain_mode, profile.key, profile.center_frequency_hz, profile.sample_rate_hz,
                         self.tracker.floor_db, self.tracker.shift_db)
        return PowerReading(self.status.receiver_id, now_s, self.tuning.frequency_hz, self.tuning.bandwidth_hz,
                            power_dbfs, gain, frozenset(flags))

    def _malformed(self, detail: str) -> None:
        self._malformed_run += 1
        self.status.note_issue(StreamIssue.MALFORMED, detail)
        if self._malformed_run >= MAX_MALFORMED_RUN:
            raise ReceiverRefused(RefusalReason.PROTOCOL_ERROR,
                                  f"{self._malformed_run} malformed messages in a row; last: {detail}")
