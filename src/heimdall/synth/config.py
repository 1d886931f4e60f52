"""The typed, versioned dataset configuration of the scenario simulator.

Impossible configurations raise ``InvalidInput`` whose ``field`` is the dotted path of the
offending value (e.g. ``transmitters.signal_types``), so the API can answer 422 naming it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator
from pydantic_core import ErrorDetails

from heimdall.errors import InvalidInput
from heimdall.rf.signals import SIGNAL_TYPES
from heimdall.synth.networks import g7

SCHEMA_VERSION: Literal[1] = 1
MIN_AREA_RADIUS_M = 100.0
Capability = Literal["rss", "tdoa", "aoa"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ordered_range(value: tuple[float, float], name: str) -> tuple[float, float]:
    if value[0] > value[1]:
        raise ValueError(f"{name}: minimum {value[0]} exceeds maximum {value[1]}")
    return value


class ReceiverSpec(_Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    kind: str = "simulated"
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    alt_m: float = 0.0
    capabilities: list[Capability] = Field(default_factory=lambda: list[Capability](["rss"]), min_length=1)
    timing: Literal["gnss", "none"] = "none"
    noise_figure_db: float = Field(default=6.0, ge=0)
    antenna_gain_dbi: float = 0.0
    s_meter: bool = False  # reports quantised S-meter readings (OpenWebRX/WebSDR) at realism >= hardware


class RandomLayout(_Strict):
    """``count`` receivers drawn uniformly in a disc, at least ``min_spacing_m`` apart."""

    count: int = Field(ge=1, le=512)
    center_lat: float = Field(ge=-90, le=90)
    center_lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0)
    min_spacing_m: float = Field(default=1000.0, ge=0)
    alt_m: float = 300.0
    capabilities: list[Capability] = Field(default_factory=lambda: list[Capability](["rss", "tdoa", "aoa"]), min_length=1)
    timing: Literal["gnss", "none"] = "gnss"
    noise_figure_db: float = Field(default=6.0, ge=0)
    antenna_gain_dbi: float = 0.0

    @model_validator(mode="after")
    def _fits(self) -> RandomLayout:
        if self.radius_m < MIN_AREA_RADIUS_M:
            raise ValueError(f"radius_m: area too small (minimum {MIN_AREA_RADIUS_M} m)")
        # Random sequential packing of a disc jams near 50 % coverage; refuse what cannot be drawn.
        if self.count * (self.min_spacing_m / 2) ** 2 > 0.4 * self.radius_m**2:
            raise ValueError("radius_m: area too small for count receivers at min_spacing_m")
        return self


def _network_tag(value: Any) -> str:
    if isinstance(value, str):
        return "preset"
    return "receivers" if isinstance(value, list | tuple) else "random_layout"


Network = Annotated[
    Annotated[Literal["g7"], Tag("preset")]
    | Annotated[list[ReceiverSpec], Field(min_length=1), Tag("receivers")]
    | Annotated[RandomLayout, Tag("random_layout")],
    Discriminator(_network_tag),
]


class Disc(_Strict):
    center_lat: float = Field(ge=-90, le=90)
    center_lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(ge=MIN_AREA_RADIUS_M, description="area too small below 100 m")


class TransmitterPopulation(_Strict):
    area: Disc | None = None  # default: a disc around the network's centroid reaching its farthest receiver
    eirp_dbm: tuple[float, float] = (30.0, 50.0)
    antenna_height_m: tuple[float, float] = (0.0, 0.0)
    signal_types: dict[str, float] = Field(default_factory=lambda: {"nbfm_voice": 1.0}, min_length=1)

    @model_validator(mode="after")
    def _check(self) -> TransmitterPopulation:
        _ordered_range(self.eirp_dbm, "eirp_dbm")
        _ordered_range(self.antenna_height_m, "antenna_height_m")
        if self.antenna_height_m[0] < 0:
            raise ValueError("antenna_height_m: must be >= 0")
        unknown = sorted(set(self.signal_types) - set(SIGNAL_TYPES))
        if unknown:
            raise ValueError(f"signal_types: unknown {unknown}; known: {list(SIGNAL_TYPES)}")
        if any(p < 0 for p in self.signal_types.values()):
            raise ValueError("signal_types: probabilities must be >= 0")
        if abs(sum(self.signal_types.values()) - 1.0) > 1e-6:
            raise ValueError(f"signal_types: probabilities sum to {sum(self.signal_types.values())}, not 1")
        return self


class TerrainSpec(_Strict):
    kind: Literal["procedural", "hgt", "geotiff"] = "procedural"
    seed: int = 0
    relief_sigma_m: float = Field(default=300.0, ge=0)
    base_m: float = 400.0
    paths: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _paths(self) -> TerrainSpec:
        if self.kind != "procedural" and not self.paths:
            raise ValueError(f"paths: a {self.kind} terrain needs at least one file")
        return self


class PropagationSpec(_Strict):
    model: Literal["log_distance", "free_space", "itm"] = "log_distance"
    path_loss_exponent: float = Field(default=3.0, gt=0, le=8)
    reference_distance_m: float = Field(default=1000.0, gt=0)
    shadowing_sigma_db: float = Field(default=8.0, ge=0, le=30)
    decorrelation_distance_m: float = Field(default=1000.0, gt=0)
    fading: Literal["none", "rician", "rayleigh"] = "rician"
    rician_k_factor_db: float = Field(default=6.0, ge=-30, le=40)
    terrain: TerrainSpec | None = None
    itm_grid_points: int = Field(default=33, ge=2, le=257)
    itm_profile_step_m: float = Field(default=500.0, gt=0)

    @model_validator(mode="after")
    def _itm_needs_terrain(self) -> PropagationSpec:
        if self.model == "itm" and self.terrain is None:
            raise ValueError("terrain: the itm model needs a terrain (e.g. {kind: procedural})")
        return self


class ObservationSpec(_Strict):
    duration_s: tuple[float, float] = (1.0, 1.0)
    receiver_bandwidth_hz: float = Field(default=12_500.0, gt=0)
    detection_snr_db: float = 0.0
    time_measurement: Literal["toa", "tdoa"] = "toa"
    gnss_timing_sigma_s: float = Field(default=100e-9, ge=0)
    max_timing_sigma_s: float = Field(default=100e-6, gt=0)  # coarser timing is not reported
    aoa_elements: int = Field(default=5, ge=2)
    aoa_radius_wavelengths: float = Field(default=0.35, gt=0)
    aoa_systematic_sigma_deg: float = Field(default=3.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> ObservationSpec:
        _ordered_range(self.duration_s, "duration_s")
        if self.duration_s[0] <= 0:
            raise ValueError("duration_s: must be positive")
        return self


class NormalOffsets(_Strict):
    """Each receiver's offset drawn from a normal distribution."""

    distribution: Literal["normal"] = "normal"
    mean: float = 0.0
    sigma: float = Field(ge=0)

    def magnitude(self) -> float:
        return abs(self.mean) + self.sigma


class UniformOffsets(_Strict):
    """Each receiver's offset drawn uniformly in [low, high]."""

    distribution: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> UniformOffsets:
        _ordered_range((self.low, self.high), "low")
        return self

    def magnitude(self) -> float:
        return max(abs(self.low), abs(self.high))


class FixedOffsets(_Strict):
    """Offsets given per receiver id; receivers not listed have none."""

    distribution: Literal["fixed"]
    values: dict[str, float] = Field(min_length=1)

    def magnitude(self) -> float:
        return max(abs(v) for v in self.values.values())


def _distribution_tag(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("distribution", "normal"))
    return str(getattr(value, "distribution", "normal"))


OFFSET_DISTRIBUTIONS = ("normal", "uniform", "fixed")
OffsetDistribution = Annotated[
    Annotated[NormalOffsets, Tag("normal")] | Annotated[UniformOffsets, Tag("uniform")]
    | Annotated[FixedOffsets, Tag("fixed")],
    Discriminator(_distribution_tag),
]


# Beyond these a "receiver offset" is a broken receiver, not a calibration error.
OFFSET_LIMITS = {"timing_offset_s": 1.0e-3, "gain_offset_db": 60.0, "bearing_offset_deg": 180.0}


class SystematicOffsetSpec(_Strict):
    """Per-receiver systematic offsets, fixed for the dataset, never stated in the reported sigmas:
    what calibration against known transmitters removes (docs/calibration.md). Applied at every
    realism level."""

    timing_offset_s: OffsetDistribution | None = None  # added to every arrival time the receiver reports
    gain_offset_db: OffsetDistribution | None = None  # added to every power it reports
    bearing_offset_deg: OffsetDistribution | None = None  # added to every bearing it reports

    @model_validator(mode="after")
    def _limits(self) -> SystematicOffsetSpec:
        for name, limit in OFFSET_LIMITS.items():
            spec = getattr(self, name)
            if spec is not None and spec.magnitude() > limit:
                raise ValueError(f"{name}: offsets beyond {limit:g} are not a calibration error")
        return self

    def configured(self) -> dict[str, OffsetDistribution]:
        return {name: getattr(self, name) for name in OFFSET_LIMITS if getattr(self, name) is not None}


class ImpairmentSpec(_Strict):
    """Receiver impairments, applied at realism ``hardware`` and ``channel`` (``systematic``: always)."""

    gain_offset_sigma_db: float = Field(default=2.0, ge=0)
    agc_step_db: float = Field(default=1.0, ge=0)
    position_error_sigma_m: float = Field(default=5.0, ge=0)
    frequency_offset_sigma_hz: float = Field(default=150.0, ge=0)
    sample_clock_error_sigma_ppm: float = Field(default=1.0, ge=0)
    systematic: SystematicOffsetSpec | None = None


class IqSpec(_Strict):
    enabled: bool = False
    sample_rate_hz: float = Field(default=50_000.0, gt=0)
    duration_s: float = Field(default=0.2, gt=0, le=5.0)


class DatasetConfig(_Strict):
    schema_version: Literal[1] = SCHEMA_VERSION
    seed: int = Field(default=0, ge=0)
    num_samples: int = Field(default=10_000, ge=1)
    network: Network = "g7"
    frequency_hz: float = Field(default=145.5e6, gt=0)
    transmitters: TransmitterPopulation = Field(default_factory=TransmitterPopulation)
    realism: Literal["ideal", "hardware", "channel"] = "ideal"
    propagation: PropagationSpec = Field(default_factory=PropagationSpec)
    observation: ObservationSpec = Field(default_factory=ObservationSpec)
    impairments: ImpairmentSpec = Field(default_factory=ImpairmentSpec)
    iq: IqSpec = Field(default_factory=IqSpec)

    @model_validator(mode="after")
    def _check(self) -> DatasetConfig:
        if isinstance(self.network, list):
            ids = [r.id for r in self.network]
            if len(set(ids)) != len(ids):
                raise ValueError("network: receiver ids must be unique")
        if self.propagation.model == "itm" and not 20e6 <= self.frequency_hz <= 20e9:
            raise ValueError("frequency_hz: the itm model is defined from 20 MHz to 20 GHz")
        self._check_offset_receivers()
        return self

    def _check_offset_receivers(self) -> None:
        systematic = self.impairments.systematic
        if systematic is None:
            return
        ids = set(network_receiver_ids(self.network))
        for name, spec in systematic.configured().items():
            unknown = sorted(set(spec.values) - ids) if isinstance(spec, FixedOffsets) else []
            if unknown:
                raise ValueError(f"impairments.systematic.{name}.values: unknown receiver {unknown[0]!r}")

    def fingerprint(self) -> str:
        """A stable hash of the whole config (what makes two datasets the same).

        An absent ``impairments.systematic`` is left out, so configs written before it existed keep
        their fingerprint (the addition is optional and changes nothing when absent: schema 1 still).
        """
        exclude = {"impairments": {"systematic"}} if self.impairments.systematic is None else None
        return hashlib.sha256(self.model_dump_json(exclude=exclude).encode()).hexdigest()[:16]


def network_receiver_ids(network: Any) -> list[str]:
    """Receiver ids of a network spec without resolving it (a random layout names them rx0..)."""
    if network == "g7":
        return [r["id"] for r in g7()]
    if isinstance(network, RandomLayout):
        return [f"rx{i}" for i in range(network.count)]
    return [r.id for r in network]


def _field_of(error: ErrorDetails) -> str:
    tags = {"preset", "receivers", "random_layout", "function-after", *OFFSET_DISTRIBUTIONS}
    parts = [str(p) for p in error["loc"] if str(p) not in tags and not str(p).startswith(("function", "tagged"))]
    message = str(error.get("msg", ""))
    # Model-level validators report "field: reason"; point at that field.
    if message.startswith("Value error, ") and ":" in message:
        inner = message.removeprefix("Value error, ").split(":", 1)[0]
        if inner.replace("_", "").replace(".", "").isalnum():
            parts.append(inner)
    return ".".join(parts) or "config"


def load_config(source: Mapping[str, Any] | DatasetConfig | str | Path) -> DatasetConfig:
    """Validate a config from a dict, a YAML/JSON file path, or pass a config through."""
    if isinstance(source, DatasetConfig):
        return source
    if isinstance(source, str | Path):
        try:
            source = yaml.safe_load(Path(source).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInput(f"cannot read dataset config {source}: {exc}", field="config") from exc
    if not isinstance(source, Mapping):
        raise InvalidInput("a dataset config must be a mapping", field="config")
    try:
        return DatasetConfig.model_validate(dict(source))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_of(first)
        raise InvalidInput(f"invalid dataset config at {field}: {first['msg']}", field=field,
                           details={"errors": json.loads(exc.json(include_url=False))}) from exc
