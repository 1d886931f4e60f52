"""What a KiwiSDR announces about itself on the sound stream before audio starts."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from heimdall.receivers.states import ReceiverRefused, RefusalReason

log = logging.getLogger(__name__)

# parameters a server sends that a client for IQ recording needs nothing from
KNOWN_IGNORED = frozenset({
    "chan_no_pwd", "chan_no_pwd_true", "is_local", "max_camp", "badp", "client_public_ip", "adc_clk_nom",
    "audio_init", "debian_ver", "model", "platform", "ext_clk", "abyy", "load_cfg", "load_dxcfg",
    "load_dxcomm_cfg", "cfg_loaded", "is_multi_core", "keepalive", "snr_stats", "max_thr", "rf_attn",
    "config_cb", "request_dx_update", "mkr", "wf_setup", "foff_error", "audio_adpcm_state", "extint_list_json",
    "dx_update", "last_community_download", "no_admin_conns", "antsw_AntennaDenySwitching", "wf_cal",
    "camp", "audio_camp", "qpos", "notify_msg", "is_admin", "reason_enable",
})
_LIMITS = {  # a value outside these is malformed and ignored
    "sample_rate": (100.0, 1e8), "audio_rate": (100.0, 1e8), "bandwidth": (1e3, 1e11),
    "center_freq": (0.0, 1e11), "freq_offset": (-1e9, 1e9), "rx_chans": (0.0, 1024.0),
    "version_maj": (0.0, 1e6), "version_min": (0.0, 1e6),
}


@dataclass
class ServerInfo:
    sample_rate_hz: float | None = None  # announced; the true rate differs (GNSS time tells it)
    audio_rate_hz: int | None = None  # nominal (e.g. 12000)
    bandwidth_hz: float | None = None  # tunable span from freq_offset up
    center_freq_hz: float | None = None
    freq_offset_khz: float = 0.0  # a down-converter's offset: the API tunes baseband = frequency - offset
    version_major: int | None = None
    version_minor: int | None = None
    rx_chans: int | None = None

    @property
    def version(self) -> str | None:
        if self.version_major is None or self.version_minor is None:
            return None
        return f"{self.version_major}.{self.version_minor}"

    @property
    def ready(self) -> bool:
        """Enough is known to tune: the rates are announced."""
        return self.sample_rate_hz is not None and self.audio_rate_hz is not None

    def update(self, name: str, value: str | None) -> bool:
        """Take one parameter; False when the name is not one a KiwiSDR is known to send."""
        if name not in _LIMITS:
            return name in KNOWN_IGNORED
        number = _number(value, *_LIMITS[name])
        if number is None:
            log.info("ignoring a malformed KiwiSDR %s=%r", name, value)
            return True
        if name == "sample_rate":
            self.sample_rate_hz = number
        elif name == "audio_rate":
            self.audio_rate_hz = round(number)
        elif name == "bandwidth":
            self.bandwidth_hz = number
        elif name == "center_freq":
            self.center_freq_hz = number
        elif name == "freq_offset":
            self.freq_offset_khz = number
        else:
            self._set_int(name, round(number))
        return True

    def _set_int(self, name: str, value: int) -> None:
        if name == "rx_chans":
            self.rx_chans = value
        elif name == "version_maj":
            self.version_major = value
        else:
            self.version_minor = value

    def baseband_khz(self, frequency_hz: float) -> float:
        """The ``freq=`` of ``SET mod`` for an RF frequency; ``OUT_OF_RANGE`` outside the receiver's span."""
        low_hz = self.freq_offset_khz * 1e3
        if self.bandwidth_hz is not None and not low_hz <= frequency_hz <= low_hz + self.bandwidth_hz:
            raise ReceiverRefused(RefusalReason.OUT_OF_RANGE, f"{frequency_hz / 1e3:.3f} kHz is outside this receiver's "
                                  f"{low_hz / 1e3:.0f}-{(low_hz + self.bandwidth_hz) / 1e3:.0f} kHz")
        return frequency_hz / 1e3 - self.freq_offset_khz


def _number(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None
