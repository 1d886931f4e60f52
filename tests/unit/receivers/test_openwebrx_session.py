"""The OpenWebRX session state machine, fed scripted server messages (no network)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx.fft import encode_fft_line
from heimdall.receivers.openwebrx.power import GainMode, PowerFlag
from heimdall.receivers.openwebrx.session import MAX_MALFORMED_RUN, OpenWebRxSession, Tuning
from heimdall.receivers.openwebrx.status import StatusProfile
from heimdall.receivers.states import ReceiverRefused, RefusalReason
from heimdall.receivers.stream_status import StreamStatus

STATUS_PROFILES = [StatusProfile("RTL", "RtlSdrSource", "2m", 145e6, 2.4e6),
                   StatusProfile("RTL", "RtlSdrSource", "70cm", 433.5e6, 2.4e6)]
WS_PROFILES = [{"id": "rtl|2m", "name": "RTL 2m"}, {"id": "rtl|70cm", "name": "RTL 70cm"}]
CONFIG_2M = {"center_freq": 145_000_000, "samp_rate": 2_400_000, "sdr_id": "rtl", "profile_id": "2m"}
CONFIG_70 = {"center_freq": 433_500_000, "samp_rate": 2_400_000, "sdr_id": "rtl", "profile_id": "70cm"}


def msg(kind: str, value: Any) -> str:
    return json.dumps({"type": kind, "reason" if kind == "backoff" else "value": value})


def session(frequency_hz: float = 145_500_000, *, clients: int | None = 1, gain_mode: GainMode = GainMode.MANUAL,
            config: dict[str, Any] = CONFIG_2M) -> OpenWebRxSession:
    s = OpenWebRxSession(Tuning(frequency_hz), STATUS_PROFILES, StreamStatus("rx"), gain_mode=gain_mode,
                         settle_s=0.5, fft_interval_s=0.0)
    s.on_text("CLIENT DE SERVER server=openwebrx version=1.2.77", 0.0)
    for text in [msg("config", {"fft_compression": "none", "fft_size": 64}), msg("config", config),
                 msg("profiles", WS_PROFILES)] + ([msg("clients", clients)] if clients is not None else []):
        assert s.on_text(text, 0.0) is None
    return s


def sent(s: OpenWebRxSession) -> list[dict[str, Any]]:
    out = [json.loads(text) for text in s.outbox]
    s.outbox.clear()
    return out


def test_handshake_then_properties_then_tune_on_the_current_profile() -> None:
    s = session()
    assert s.ready and s.server == {"server": "openwebrx", "version": "1.2.77"}
    assert sent(s) == [{"type": "connectionproperties", "params": {"output_rate": 12000, "hd_output_rate": 48000}}]
    s.plan(1.0)
    assert sent(s) == [
        {"type": "dspcontrol", "params": {"offset_freq": 500_000, "low_cut": -6250.0, "high_cut": 6250.0,
                                          "mod": "nfm", "squelch_level": -150}},
        {"type": "dspcontrol", "action": "start"}]
    assert s.tuned and not s.switching


def test_smeter_becomes_a_reading_in_dbfs_with_its_gain_state() -> None:
    s = session()
    s.plan(1.0)
    early = s.on_text(msg("smeter", 1e-6), 1.2)
    assert early is not None and PowerFlag.SETTLING in early.flags and not early.comparable
    reading = s.on_text(msg("smeter", 1e-6), 2.0)
    assert reading is not None and reading.comparable and reading.flags == frozenset()
    assert reading.power_dbfs == pytest.approx(-60.0)
    assert (reading.receiver_id, reading.time_s, reading.frequency_hz, reading.bandwidth_hz) == (
        "rx", 2.0, 145_500_000, 12_500)
    assert (reading.gain.mode, reading.gain.profile_key, reading.gain.center_frequency_hz) == (
        GainMode.MANUAL, "rtl|2m", 145_000_000)
    assert s.status.readings == 2
    loud = s.on_text(msg("smeter", 0.9), 3.0)
    assert loud is not None and PowerFlag.CLIPPED in loud.flags


@pytest.mark.parametrize("mode, flag", [(GainMode.AGC, PowerFlag.AGC), (GainMode.UNKNOWN, PowerFlag.GAIN_UNKNOWN)])
def test_declared_gain_mode_is_recorded_and_flagged(mode: GainMode, flag: PowerFlag) -> None:
    s = session(gain_mode=mode)
    s.plan(0.0)
    reading = s.on_text(msg("smeter", 1e-6), 5.0)
    assert reading is not None and flag in reading.flags and reading.gain.mode is mode


def test_a_moving_noise_floor_flags_gain_changed() -> None:
    s = session()
    s.plan(0.0)
    line = np.full(64, -95.0)
    for t in (1.0, 1.1, 1.2):
        s.on_binary(bytes([1]) + encode_fft_line(line, "none"), t)
    s.on_binary(bytes([2]) + bytes(32), 1.25)  # audio: ignored
    steady = s.on_text(msg("smeter", 1e-6), 1.3)
    assert steady is not None and steady.comparable and steady.gain.floor_shift_db == pytest.approx(0.0)
    s.on_binary(bytes([1]) + encode_fft_line(line - 12.0, "none"), 1.4)
    dipped = s.on_text(msg("smeter", 1e-6), 1.5)
    assert dipped is not None and PowerFlag.GAIN_CHANGED in dipped.flags
    assert dipped.gain.floor_shift_db == pytest.approx(-12.0)
    assert s.status.issues["gain_changed"] == 1
    s.on_text(msg("smeter", 1e-6), 1.6)
    assert s.status.issues["gain_changed"] == 1  # counted once per excursion


def test_switch_when_alone_and_tune_once_the_server_confirms() -> None:
    s = session(433_600_000)
    sent(s)
    s.plan(0.0)
    assert sent(s) == [{"type": "selectprofile", "params": {"profile": "rtl|70cm"}}] and s.switching
    assert s.on_text(msg("smeter", 1e-6), 0.1) is None  # still the old profile's channel
    assert s.status.issues["out_of_order"] == 1
    s.on_text(msg("config", CONFIG_70), 0.2)
    assert not s.switching and s.tuned
    assert sent(s)[0]["params"]["offset_freq"] == 100_000


def test_locked_profile() -> None:
    s = session(433_600_000)
    s.plan(0.0)
    with pytest.raises(ReceiverRefused) as caught:
        s.on_text(msg("log_message", "This profile is locked, keeping current profile."), 0.1)
    assert caught.value.reason is RefusalReason.PROFILE_LOCKED


@pytest.mark.parametrize("clients", [2, None])
def test_no_switch_under_other_users(clients: int | None) -> None:
    s = session(433_600_000, clients=clients)
    sent(s)
    with pytest.raises(ReceiverRefused) as caught:
        s.plan(0.0)
    assert caught.value.reason is RefusalReason.PROFILE_IN_USE
    assert sent(s) == []


def test_another_user_moves_the_profile() -> None:
    s = session(145_500_000)
    s.plan(0.0)
    sent(s)
    s.on_text(msg("config", {"center_freq": 145_600_000}), 3.0)  # still covers: retune to the new offset
    assert sent(s)[0]["params"]["offset_freq"] == -100_000
    assert s.status.issues["profile_changed"] == 1
    reading = s.on_text(msg("smeter", 1e-6), 3.1)
    assert reading is not None and PowerFlag.SETTLING in reading.flags
    with pytest.raises(ReceiverRefused) as caught:
        s.on_text(msg("config", CONFIG_70), 4.0)
    assert caught.value.reason is RefusalReason.PROFILE_IN_USE and "RTL 70cm" in caught.value.message


def test_bad_input_is_counted_and_skipped() -> None:
    s = session()
    s.plan(0.0)
    for text in ["{not json", msg("smeter", "loud"), msg("clients", -2)]:
        assert s.on_text(text, 2.0) is None
    for value in (math.nan, math.inf, 0.0, -1e-6):
        assert s.on_text(json.dumps({"type": "smeter", "value": value}), 2.0) is None
    assert s.on_text(msg("never_heard_of", 1), 2.0) is None
    s.on_binary(b"", 2.0)
    s.on_binary(bytes([1, 0, 0, 0]), 2.0)  # an FFT line of 3 bytes: not float32
    assert dict(s.status.issues) == {"malformed": 5, "not_a_number": 4, "unknown_message": 1}
    assert s.on_text(msg("smeter", 1e-6), 2.0) is not None  # and it carries on


def test_only_garbage_ends_the_session() -> None:
    s = session()
    for _ in range(MAX_MALFORMED_RUN - 1):
        s.on_text("garbage", 1.0)
    with pytest.raises(ReceiverRefused) as caught:
        s.on_text("garbage", 1.0)
    assert caught.value.reason is RefusalReason.PROTOCOL_ERROR


def test_messages_before_the_handshake() -> None:
    s = OpenWebRxSession(Tuning(145_500_000), STATUS_PROFILES, StreamStatus("rx"))
    assert s.on_text(msg("smeter", 1e-6), 0.0) is None and s.server is None
    assert s.status.issues["out_of_order"] == 1


@pytest.mark.parametrize("text, reason", [
    (msg("backoff", "Too many clients"), RefusalReason.TOO_BUSY),
    (msg("backoff", "Client address banned"), RefusalReason.KICKED),
    (msg("sdr_error", "No SDR Devices available"), RefusalReason.DOWN),
])
def test_refusals(text: str, reason: RefusalReason) -> None:
    s = session()
    with pytest.raises(ReceiverRefused) as caught:
        s.on_text(text, 0.0)
    assert caught.value.reason is reason
    if reason is not RefusalReason.DOWN:
        assert caught.value.retry_after_s is not None


def test_tuning_validation() -> None:
    for bad in [{"frequency_hz": -1.0}, {"frequency_hz": math.nan}, {"frequency_hz": 1e8, "bandwidth_hz": 1e6},
                {"frequency_hz": 1e8, "modulation": "n fm"}]:
        with pytest.raises(InvalidInput):
            Tuning(**bad)  # type: ignore[arg-type]
