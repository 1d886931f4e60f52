"""What a monitor watches and how: the request validated into a plain config (422 with one line).

Stored with the monitor (``MonitorRow.config``), so the job and a restarted server read the same
settings. Tuning options (``options``) are an extension of the API shape: squelch details, grouping,
tracker and polling, each validated by the pure part it configures.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from heimdall.cot.event import CotSettings
from heimdall.cot.transport import check_endpoint
from heimdall.errors import HeimdallError, InvalidInput
from heimdall.receivers.openwebrx.power import BandOffset, PowerModel
from heimdall.rf.detect import DetectorConfig
from heimdall.tracking.tracks import TrackerConfig
from heimdall.tracking.transmissions import GroupingConfig

CREATE_FIELDS = ("name", "network_id", "channels", "min_receivers", "cot", "options")
CHANNEL_FIELDS = ("frequency_hz", "passband_hz", "threshold_db")
OPTION_FIELDS = ("detector", "grouping", "tracker", "cot_settings", "poll_interval_s", "reconnect_s", "gain_offsets",
                 "stale_after_s")
BAND_FIELDS = ("low_hz", "high_hz", "offset_db", "sigma_db")
MAX_CHANNELS = 8
MAX_COT_ENDPOINTS = 8
DEFAULT_PASSBAND_HZ = 12_500.0
MAX_PASSBAND_HZ = 250_000.0
DEFAULT_THRESHOLD_DB = DetectorConfig().open_threshold_db
DEFAULT_MIN_RECEIVERS = 3
MAX_FREQUENCY_HZ = 6e9
# What each receiver kind can tune (Hz); a kind not listed is not watched by monitors.
KIND_RANGES_HZ: dict[str, tuple[float, float]] = {
    "openwebrx": (0.0, MAX_FREQUENCY_HZ),  # whatever its profiles cover: the client checks
    "kraken": (24e6, 1766e6),  # the KrakenSDR's R820T2 tuners
    "kiwisdr": (0.0, 32e6),  # HF: power from IQ block energy
}


def channel_key(frequency_hz: float) -> str:
    """The channel's name in detectors, tracks and CoT: the frequency in Hz as an integer string."""
    return f"{frequency_hz:.0f}"


def parse_request(fields: Any) -> dict[str, Any]:
    """The monitor's config from a request (without the network checks, see ``check_network``)."""
    if not isinstance(fields, dict):
        raise InvalidInput("a monitor request must be an object")
    unknown = sorted(set(fields) - set(CREATE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown monitor field {unknown[0]!r}", field=unknown[0])
    options = parse_options(fields.get("options") or {})
    detector = options.get("detector", {})
    channels = [parse_channel(c, i, detector) for i, c in enumerate(_list(fields.get("channels"), "channels"))]
    if not channels:
        raise InvalidInput("a monitor needs at least one channel", field="channels")
    if len(channels) > MAX_CHANNELS:
        raise InvalidInput(f"a monitor watches at most {MAX_CHANNELS} channels", field="channels")
    keys = [channel_key(c["frequency_hz"]) for c in channels]
    if len(set(keys)) != len(keys):
        raise InvalidInput("two channels on one frequency", field="channels")
    min_receivers = fields.get("min_receivers", DEFAULT_MIN_RECEIVERS)
    if isinstance(min_receivers, bool) or not isinstance(min_receivers, int) or min_receivers < 1:
        raise InvalidInput("min_receivers must be an integer >= 1", field="min_receivers")
    cot = [parse_cot(c, i) for i, c in enumerate(_list(fields.get("cot", []), "cot"))]
    if len(cot) > MAX_COT_ENDPOINTS:
        raise InvalidInput(f"at most {MAX_COT_ENDPOINTS} CoT endpoints", field="cot")
    return {"channels": channels, "min_receivers": min_receivers, "cot": cot, "options": options}


def parse_channel(value: Any, index: int, detector: dict[str, Any]) -> dict[str, Any]:
    where = f"channels[{index}]"
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be an object", field=where)
    unknown = sorted(set(value) - set(CHANNEL_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown channel field {unknown[0]!r}", field=f"{where}.{unknown[0]}")
    frequency_hz = _number(value.get("frequency_hz"), f"{where}.frequency_hz")
    if not 0 < frequency_hz <= MAX_FREQUENCY_HZ:
        raise InvalidInput(f"{where}.frequency_hz must lie in (0, {MAX_FREQUENCY_HZ:g}] Hz",
                           field=f"{where}.frequency_hz")
    passband_hz = _number(value.get("passband_hz", DEFAULT_PASSBAND_HZ), f"{where}.passband_hz")
    if not 0 < passband_hz <= MAX_PASSBAND_HZ:
        raise InvalidInput(f"{where}.passband_hz must lie in (0, {MAX_PASSBAND_HZ:g}] Hz", field=f"{where}.passband_hz")
    threshold_db = _number(value.get("threshold_db", DEFAULT_THRESHOLD_DB), f"{where}.threshold_db")
    close_db = float(detector.get("close_threshold_db", DetectorConfig().close_threshold_db))
    if threshold_db <= close_db:
        raise InvalidInput(f"{where}.threshold_db must exceed the detector's hysteresis ({close_db:g} dB over the "
                           "noise floor): at or below it the noise alone would fire all the time",
                           field=f"{where}.threshold_db")
    detector_config(detector, threshold_db)  # the detector's own checks (e.g. > 100 dB)
    return {"frequency_hz": frequency_hz, "passband_hz": passband_hz, "threshold_db": threshold_db}


def detector_config(detector: dict[str, Any], threshold_db: float) -> DetectorConfig:
    config: DetectorConfig = _configured(DetectorConfig.from_mapping, {**detector, "open_threshold_db": threshold_db},
                                         "threshold_db")
    return config


def parse_cot(value: Any, index: int) -> dict[str, str]:
    where = f"cot[{index}].url"
    url = value.get("url") if isinstance(value, dict) and set(value) == {"url"} else None
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("udp", "tcp") or parts.path not in ("", "/"):
        raise InvalidInput(f"{where} must be udp://HOST:PORT or tcp://HOST:PORT", field=where)
    try:
        port = parts.port
        check_endpoint(parts.hostname or "", port if port is not None else 0)
    except (ValueError, InvalidInput) as exc:
        raise InvalidInput(f"{where}: {getattr(exc, 'message', exc)}", field=where) from exc
    return {"url": str(url)}


def parse_options(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput("options must be an object", field="options")
    unknown = sorted(set(value) - set(OPTION_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown monitor option {unknown[0]!r}", field=f"options.{unknown[0]}")
    builders = {"grouping": GroupingConfig.from_mapping, "tracker": TrackerConfig.from_mapping,
                "cot_settings": CotSettings.from_mapping}
    for name, build in builders.items():
        if name in value:
            _configured(build, value[name], f"options.{name}")
    if "detector" in value:
        if not isinstance(value["detector"], dict) or "open_threshold_db" in value["detector"]:
            raise InvalidInput("options.detector must be an object without open_threshold_db (a channel's "
                               "threshold_db)", field="options.detector")
        _configured(DetectorConfig.from_mapping, {**value["detector"], "open_threshold_db": 100.0},
                    "options.detector")
    if "gain_offsets" in value:
        gain_offsets(value["gain_offsets"])
    for name in ("poll_interval_s", "reconnect_s", "stale_after_s"):
        if name in value and not 0.05 <= _number(value[name], f"options.{name}") <= 3600:
            raise InvalidInput(f"options.{name} must lie in [0.05, 3600] s", field=f"options.{name}")
    return dict(value)


def gain_offsets(value: Any) -> dict[str, PowerModel]:
    """``{receiver_id: [{low_hz, high_hz, offset_db, sigma_db}]}`` (power_dbm = power_dbfs + offset_db in
    that band) -> a PowerModel per receiver; a receiver or band not listed keeps the uncalibrated prior."""
    field = "options.gain_offsets"
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must map receiver ids to lists of bands", field=field)
    models = {}
    for receiver_id, bands in value.items():
        if not isinstance(bands, list) or not all(isinstance(b, dict) and set(b) == set(BAND_FIELDS) for b in bands):
            raise InvalidInput(f"{field}.{receiver_id} must be a list of {{{', '.join(BAND_FIELDS)}}}",
                               field=f"{field}.{receiver_id}")
        try:
            models[receiver_id] = PowerModel(tuple(BandOffset(*(_number(b[k], k) for k in BAND_FIELDS)) for b in bands))
        except InvalidInput as exc:
            raise InvalidInput(f"{field}.{receiver_id}: {exc.message}", field=f"{field}.{receiver_id}") from exc
    return models


def check_network(config: dict[str, Any], network: dict[str, Any]) -> None:
    """Refuse a config the network cannot serve: too few receivers overall or on a channel."""
    watched = [r for r in network["receivers"] if r["enabled"] and r["kind"] in KIND_RANGES_HZ]
    if config["min_receivers"] > len(watched):
        raise InvalidInput(f"min_receivers {config['min_receivers']} exceeds the {len(watched)} receivers of network "
                           f"{network['name']!r} a monitor can watch (enabled OpenWebRX, KrakenSDR and KiwiSDR)",
                           field="min_receivers")
    for index, channel in enumerate(config["channels"]):
        frequency_hz = channel["frequency_hz"]
        able = [r for r in watched if KIND_RANGES_HZ[r["kind"]][0] <= frequency_hz <= KIND_RANGES_HZ[r["kind"]][1]]
        if len(able) < config["min_receivers"]:
            raise InvalidInput(f"channels[{index}].frequency_hz {frequency_hz:g} Hz is out of range of all but "
                               f"{len(able)} receivers of the network (min_receivers {config['min_receivers']})",
                               field=f"channels[{index}].frequency_hz")


def _configured(build: Any, data: Any, field: str) -> Any:
    try:
        return build(data)
    except HeimdallError as exc:
        raise InvalidInput(f"{field}: {exc.message}", field=field) from exc


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be a list", field=field)
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a finite number", field=field)
    return float(value)
