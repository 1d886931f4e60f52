"""Everything about a dataset that is fixed once per config: the resolved network, the transmitter
area, and the environment's own randomness (layout, receiver calibration and position errors,
shadowing fields, terrain and the ITM loss grid), all derived from the config's seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import enu_to_geodetic, geodetic_to_ecef, geodetic_to_enu
from heimdall.rf.fading import rician_gain_sigma_db
from heimdall.rf.impairments import perturb_positions, quantisation_sigma_db, thermal_noise_dbm
from heimdall.rf.propagation.itm import ItmLossGrid, build_itm_grid
from heimdall.rf.propagation.shadowing import ShadowingField
from heimdall.rf.signals import SIGNAL_TYPES, nominal_rms_bandwidth_hz
from heimdall.synth.config import DatasetConfig, Disc, RandomLayout, ReceiverSpec, TerrainSpec
from heimdall.synth.networks import g7
from heimdall.synth.systematic import SystematicOffsets, draw_systematic_offsets, offsets_meta
from heimdall.terrain import ElevationProvider, GeoTiffTerrain, HgtTerrain, ProceduralTerrain

# Independent random streams, by SeedSequence spawn key: (0, block) per block of samples,
# (1, k) for the environment, (2, i) per IQ-level sample, (3, k) per systematic offset quantity.
STREAM_BLOCK, STREAM_ENVIRONMENT, STREAM_IQ = 0, 1, 2
S_METER_STEP_DB = 6.0
MIN_AREA_RADIUS_DEFAULT_M = 10_000.0


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


@dataclass(frozen=True)
class Scenario:
    config: DatasetConfig
    receivers: list[ReceiverSpec]
    origin: tuple[float, float, float]  # network centroid at 0 m: the local ENU frame of the dataset
    area: Disc
    rx_enu_m: NDArray[np.float64]  # (R, 3) reported positions
    rx_true_lla: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]  # where the antennas really are
    rx_true_ecef_m: NDArray[np.float64]  # (R, 3)
    noise_floor_dbm: NDArray[np.float64]  # (R,)
    antenna_gain_dbi: NDArray[np.float64]
    has_rss: NDArray[np.bool_]
    has_timing: NDArray[np.bool_]
    has_aoa: NDArray[np.bool_]
    s_meter: NDArray[np.bool_]
    gain_offset_db: NDArray[np.float64]  # (R,) calibration error of each receiver, fixed for the dataset
    rss_sigma_db: NDArray[np.float64]  # (R,) the honest 1-sigma of the reported power
    signal_probabilities: NDArray[np.float64]  # (len(SIGNAL_TYPES),)
    rms_bandwidth_hz: NDArray[np.float64]  # (len(SIGNAL_TYPES),)
    terrain: ElevationProvider | None
    shadowing: ShadowingField | None
    itm_grid: ItmLossGrid | None
    systematic: SystematicOffsets  # per-receiver offsets the reported sigmas do not state
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def impaired(self) -> bool:
        return self.config.realism in ("hardware", "channel")

    @property
    def channel(self) -> bool:
        return self.config.realism == "channel"


def resolve_receivers(config: DatasetConfig) -> list[ReceiverSpec]:
    network = config.network
    if network == "g7":
        return [ReceiverSpec.model_validate(r) for r in g7()]
    if isinstance(network, RandomLayout):
        return _random_layout(network, stream(config.seed, STREAM_ENVIRONMENT, 0))
    return list(network)


def _random_layout(layout: RandomLayout, rng: np.random.Generator) -> list[ReceiverSpec]:
    chosen: list[NDArray[np.float64]] = []
    for _ in range(200 * layout.count):
        r = layout.radius_m * np.sqrt(rng.uniform())
        theta = rng.uniform(0, 2 * np.pi)
        candidate = np.array([r * np.sin(theta), r * np.cos(theta)])
        if all(np.hypot(*(candidate - c)) >= layout.min_spacing_m for c in chosen):
            chosen.append(candidate)
            if len(chosen) == layout.count:
                break
    else:
        raise InvalidInput("could not place the receivers at min_spacing_m", field="network.min_spacing_m")
    enu = np.column_stack([np.array(chosen), np.zeros(len(chosen))])
    lat, lon, _ = enu_to_geodetic(enu, layout.center_lat, layout.center_lon, 0.0)
    return [
        ReceiverSpec(id=f"rx{i}", lat=float(lat[i]), lon=float(lon[i]), alt_m=layout.alt_m,
                     capabilities=layout.capabilities, timing=layout.timing,
                     noise_figure_db=layout.noise_figure_db, antenna_gain_dbi=layout.antenna_gain_dbi)
        for i in range(len(chosen))
    ]


def _terrain(spec: TerrainSpec | None) -> ElevationProvider | None:
    if spec is None:
        return None
    if spec.kind == "procedural":
        return ProceduralTerrain(spec.seed, relief_sigma_m=spec.relief_sigma_m, base_m=spec.base_m)
    if spec.kind == "hgt":
        return HgtTerrain(spec.paths)
    return GeoTiffTerrain(spec.paths[0])


def _default_area(receivers: list[ReceiverSpec], origin: tuple[float, float, float]) -> Disc:
    enu = geodetic_to_enu([r.lat for r in receivers], [r.lon for r in receivers], 0.0, *origin)
    radius = max(float(np.max(np.hypot(enu[:, 0], enu[:, 1]))), MIN_AREA_RADIUS_DEFAULT_M)
    return Disc(center_lat=origin[0], center_lon=origin[1], radius_m=radius)


def _rss_sigma_db(config: DatasetConfig, s_meter: NDArray[np.bool_]) -> NDArray[np.float64]:
    variance = np.full(s_meter.shape, config.propagation.shadowing_sigma_db**2)
    if config.realism in ("hardware", "channel"):
        imp = config.impairments
        variance += imp.gain_offset_sigma_db**2 + quantisation_sigma_db(imp.agc_step_db) ** 2
        variance += np.where(s_meter, quantisation_sigma_db(S_METER_STEP_DB) ** 2, 0.0)
    if config.realism == "channel":
        variance += fading_sigma_db(config) ** 2
    return np.sqrt(variance)


def fading_sigma_db(config: DatasetConfig) -> float:
    prop = config.propagation
    if prop.fading == "none":
        return 0.0
    k = 0.0 if prop.fading == "rayleigh" else 10 ** (prop.rician_k_factor_db / 10)
    return rician_gain_sigma_db(k)


@lru_cache(maxsize=8)
def _build_cached(config_json: str) -> Scenario:
    return _build(DatasetConfig.model_validate_json(config_json))


def build_scenario(config: DatasetConfig) -> Scenario:
    """The fixed part of a dataset; cached per config because the ITM grid can take seconds."""
    return _build_cached(config.model_dump_json())


def _build(config: DatasetConfig) -> Scenario:
    receivers = resolve_receivers(config)
    n_rx = len(receivers)
    lat = np.array([r.lat for r in receivers])
    lon = np.array([r.lon for r in receivers])
    alt = np.array([r.alt_m for r in receivers])
    # The centroid as a unit vector avoids averaging longitudes across the antimeridian.
    mean_ecef = geodetic_to_ecef(lat, lon, 0.0).mean(axis=0)
    origin_lat = float(np.degrees(np.arctan2(mean_ecef[2], np.hypot(mean_ecef[0], mean_ecef[1]))))
    origin = (origin_lat, float(np.degrees(np.arctan2(mean_ecef[1], mean_ecef[0]))), 0.0)
    area = config.transmitters.area or _default_area(receivers, origin)
    env = stream(config.seed, STREAM_ENVIRONMENT, 1)
    impaired = config.realism in ("hardware", "channel")
    true_lla = perturb_positions(env, lat, lon, alt, config.impairments.position_error_sigma_m if impaired else 0.0)
    gain_offset = env.normal(0.0, config.impairments.gain_offset_sigma_db, n_rx) if impaired else np.zeros(n_rx)
    shadowing = None
    if config.realism == "channel" and config.propagation.shadowing_sigma_db > 0:
        shadowing = ShadowingField.draw(env, n_rx, config.propagation.shadowing_sigma_db,
                                        config.propagation.decorrelation_distance_m)
    terrain = _terrain(config.propagation.terrain)
    s_meter = np.array([r.s_meter for r in receivers])
    probabilities = np.array([config.transmitters.signal_types.get(s, 0.0) for s in SIGNAL_TYPES])
    ids = [r.id for r in receivers]
    systematic = draw_systematic_offsets(config, ids)
    meta = _meta(config, receivers, area)
    truth = offsets_meta(config, systematic, ids)
    if truth:
        meta["systematic_offsets"] = truth
    return Scenario(
        config=config, receivers=receivers, origin=origin, area=area,
        rx_enu_m=geodetic_to_enu(lat, lon, alt, *origin),
        rx_true_lla=true_lla, rx_true_ecef_m=geodetic_to_ecef(*true_lla),
        noise_floor_dbm=thermal_noise_dbm(config.observation.receiver_bandwidth_hz,
                                          [r.noise_figure_db for r in receivers]),
        antenna_gain_dbi=np.array([r.antenna_gain_dbi for r in receivers]),
        has_rss=np.array(["rss" in r.capabilities for r in receivers]),
        has_timing=np.array(["tdoa" in r.capabilities and r.timing == "gnss" for r in receivers]),
        has_aoa=np.array(["aoa" in r.capabilities for r in receivers]),
        s_meter=s_meter & impaired, gain_offset_db=gain_offset, rss_sigma_db=_rss_sigma_db(config, s_meter),
        signal_probabilities=probabilities / probabilities.sum(),
        rms_bandwidth_hz=np.array([nominal_rms_bandwidth_hz(s) for s in SIGNAL_TYPES]),
        terrain=terrain, shadowing=shadowing,
        itm_grid=_itm_grid(config, receivers, origin, area, terrain),
        systematic=systematic, meta=meta,
    )


def _itm_grid(config: DatasetConfig, receivers: list[ReceiverSpec], origin: tuple[float, float, float], area: Disc,
              terrain: ElevationProvider | None) -> ItmLossGrid | None:
    if config.propagation.model != "itm":
        return None
    assert terrain is not None  # the config refuses the itm model without a terrain
    center = geodetic_to_enu(area.center_lat, area.center_lon, 0.0, *origin)
    half_width = float(np.max(np.abs(center[:2]))) + area.radius_m
    return build_itm_grid(
        terrain, [(r.lat, r.lon, r.alt_m) for r in receivers], origin, half_width,
        config.propagation.itm_grid_points, config.frequency_hz,
        float(np.mean(config.transmitters.antenna_height_m)), config.propagation.itm_profile_step_m,
    )


def _meta(config: DatasetConfig, receivers: list[ReceiverSpec], area: Disc) -> dict[str, Any]:
    """What every sample's measurement set shares: receivers, frequency, model, search area."""
    prop = config.propagation
    exponent = 2.0 if prop.model == "free_space" else prop.path_loss_exponent
    corners = enu_to_geodetic(
        np.array([[-area.radius_m, -area.radius_m, 0.0], [area.radius_m, area.radius_m, 0.0]]),
        area.center_lat, area.center_lon, 0.0,
    )
    return {
        "schema_version": config.schema_version,
        "config_fingerprint": config.fingerprint(),
        "frequency_hz": config.frequency_hz,
        "receivers": [{"id": r.id, "lat": r.lat, "lon": r.lon, "alt_m": r.alt_m} for r in receivers],
        "propagation": {"model": "log_distance", "path_loss_exponent": exponent,
                        "reference_distance_m": prop.reference_distance_m},
        "search_area": {"lat_min": float(corners[0][0]), "lat_max": float(corners[0][1]),
                        "lon_min": float(corners[1][0]), "lon_max": float(corners[1][1])},
        "time_measurement": config.observation.time_measurement,
        "signal_types": list(SIGNAL_TYPES),
    }
