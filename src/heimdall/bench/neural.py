"""A neural localizer (ONNX) as a benchmark estimator, side by side with the classical one.

The network answers through ``heimdall.inference.OnnxPredictor`` (ONNX Runtime, never torch). Its
CONTRACT 4.2 result is adapted to the benchmark's estimator protocol: the ellipses are drawn from
``covariance_enu_m2`` with the chi-square 2-dof radii, so coverage measures the very Gaussian that
users see. A network trained on a stored network knows its receivers by their stored ids; the
benchmark's G7 receivers are matched to them by position (within the layout's tolerance) and the
measurement set is renamed before prediction. A scenario the network does not fit (a receiver with no
counterpart, a modality it was not trained on) raises ``NoModelAvailable``: the benchmark skips that
(scenario, estimator) pair and reports why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heimdall.bench.localization import Estimator
from heimdall.errors import NoModelAvailable
from heimdall.geo import geodetic_to_ecef
from heimdall.locate.measurement_set import parse_measurement_set
from heimdall.locate.result import CONFIDENCES, Ellipse, ellipse

NEURAL_PREFIX = "neural:"


@dataclass(frozen=True)
class NeuralEstimate:
    lat: float
    lon: float
    ellipses: Sequence[Ellipse]
    outliers: Sequence[str] = field(default_factory=tuple)


def estimate_from_result(result: Mapping[str, Any]) -> NeuralEstimate:
    """A CONTRACT 4.2 neural result -> the benchmark protocol (ellipses from its covariance)."""
    cov = np.asarray(result["covariance_enu_m2"], dtype=float)[:2, :2]
    ellipses = [ellipse(cov, confidence) for confidence in CONFIDENCES]
    return NeuralEstimate(float(result["lat"]), float(result["lon"]), ellipses, tuple(result.get("outliers") or ()))


def receiver_id_map(receivers: Sequence[Mapping[str, Any]], layout: Any) -> dict[str, str]:
    """Each receiver id of a measurement set -> the layout's id of the receiver at the same place.

    Ids the layout knows map to themselves; others go to the nearest layout receiver within
    ``layout.position_tolerance_m``, or raise ``NoModelAvailable``. Two set receivers may not share one.
    """
    known = set(layout.receiver_ids)
    layout_ecef = geodetic_to_ecef(np.asarray(layout.lat_deg), np.asarray(layout.lon_deg), np.asarray(layout.alt_m))
    mapping: dict[str, str] = {}
    for rx in receivers:
        rid = str(rx["id"])
        if rid in known:
            mapping[rid] = rid
            continue
        here = geodetic_to_ecef(float(rx["lat"]), float(rx["lon"]), float(rx.get("alt_m") or 0.0))
        distance_m = np.linalg.norm(layout_ecef - here, axis=-1)
        nearest = int(np.argmin(distance_m))
        if distance_m[nearest] > layout.position_tolerance_m:
            raise NoModelAvailable(
                f"receiver {rid!r} is not in the network's layout, and no layout receiver is within "
                f"{layout.position_tolerance_m:.0f} m of it (nearest {distance_m[nearest]:.0f} m)",
                details={"receiver": rid},
            )
        mapping[rid] = layout.receiver_ids[nearest]
    targets = list(mapping.values())
    if len(set(targets)) != len(targets):
        raise NoModelAvailable("two receivers of the set sit at one receiver of the network's layout")
    return mapping


def rename_receivers(doc: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a measurement-set document with receiver ids (and TDoA references) renamed."""
    if all(k == v for k, v in mapping.items()):
        return dict(doc)
    out = dict(doc)
    out["receivers"] = [{**rx, "id": mapping.get(rx["id"], rx["id"])} for rx in doc["receivers"]]
    for modality in ("rss", "toa", "tdoa", "aoa"):
        if isinstance(doc.get(modality), list):
            out[modality] = [_renamed_entry(entry, mapping) for entry in doc[modality]]
    return out


def _renamed_entry(entry: Any, mapping: Mapping[str, str]) -> Any:
    if not isinstance(entry, Mapping):
        return entry
    renamed = dict(entry)
    for key in ("receiver", "reference"):
        if key in renamed and renamed[key] in mapping:
            renamed[key] = mapping[renamed[key]]
    return renamed


class NeuralLocator:
    """Callable ``doc -> NeuralEstimate`` around one ONNX network; caches the id map per receiver list."""

    def __init__(self, onnx_bytes: bytes) -> None:
        from heimdall.inference import OnnxPredictor  # onnxruntime: loaded only when a model is benchmarked

        self.predictor = OnnxPredictor(onnx_bytes)
        self._maps: dict[tuple[Any, ...], dict[str, str]] = {}

    def __call__(self, doc: Mapping[str, Any]) -> NeuralEstimate:
        receivers = doc.get("receivers") or []
        key = tuple((rx.get("id"), rx.get("lat"), rx.get("lon"), rx.get("alt_m")) for rx in receivers)
        mapping = self._maps.get(key)
        if mapping is None:
            mapping = self._maps[key] = receiver_id_map(receivers, self.predictor.layout)
        return estimate_from_result(self.predictor.predict(parse_measurement_set(rename_receivers(doc, mapping))))


def neural_estimator(onnx_bytes: bytes, label: str) -> Estimator:
    """An ``Estimator`` named ``neural:<label>`` (a model's name or an ONNX file's name)."""
    return Estimator(f"{NEURAL_PREFIX}{label}", NeuralLocator(onnx_bytes))
