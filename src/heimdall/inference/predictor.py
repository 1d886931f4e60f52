"""``OnnxPredictor``: CONTRACT 4.1 measurement sets in, CONTRACT 4.2 results out, via ONNX Runtime.

The feature code is the very one training used (``heimdall.nn.features``, numpy only); the network's
normalisation is inside the ONNX graph, and the receiver layout comes from the file's metadata.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.inference.regions import ellipses_from_covariance, rotate_en_covariance
from heimdall.nn.features import FEATURE_CHANNELS, build_features, modality_counts
from heimdall.nn.layout import ReceiverLayout

ONNX_KIND = "heimdall.neural_localizer.onnx"
SUPPORTED_SCHEMA_VERSIONS = ("1",)


class OnnxPredictor:
    """A deployed neural localizer. Thread-safe for concurrent ``predict`` calls (ONNX Runtime is)."""

    def __init__(self, onnx_bytes: bytes, *, intra_op_threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped Fail/InvalidGraph errors
            raise InvalidInput(f"not a loadable ONNX model: {exc}") from exc
        meta = self._session.get_modelmeta().custom_metadata_map
        if meta.get("heimdall.kind") != ONNX_KIND:
            raise InvalidInput("the ONNX model is not a Heimdall neural localizer")
        if meta.get("heimdall.schema_version") not in SUPPORTED_SCHEMA_VERSIONS:
            raise InvalidInput(f"unsupported neural localizer schema_version {meta.get('heimdall.schema_version')}")
        if tuple(json.loads(meta["heimdall.feature_channels"])) != FEATURE_CHANNELS:
            raise InvalidInput("the ONNX model was made for other feature channels than this version builds")
        self.layout = ReceiverLayout.from_dict(json.loads(meta["heimdall.layout"]))
        self.metadata: dict[str, Any] = {
            key.removeprefix("heimdall."): json.loads(value)
            for key, value in meta.items() if key.startswith("heimdall.") and key != "heimdall.kind"
        }
        self._input_name = self._session.get_inputs()[0].name
        network = (self.metadata.get("training_config") or {}).get("network") or {}
        # Version-1 networks had no refinement; newer ones refine unless configured with 0 steps.
        self.refine_steps = int(network.get("refine_steps", 0 if network.get("schema_version", 1) == 1 else 5))

    def predict(self, measurement_set: Mapping[str, Any]) -> dict[str, Any]:
        return self.predict_batch([measurement_set])[0]

    def predict_batch(self, measurement_sets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """One CONTRACT 4.2 result per set. Raises ``NoModelAvailable`` for a set outside the network's
        receiver layout or modalities, ``InvalidInput``/``InsufficientData`` for a malformed one."""
        started = time.perf_counter()
        if not measurement_sets:
            return []
        mean_en_m, cov_en_m2 = self.predict_features(build_features(measurement_sets, self.layout))
        alt_m = np.array([_transmitter_alt_m(ms) for ms in measurement_sets])
        lat, lon = self.layout.en_to_geodetic(mean_en_m, alt_m)
        cov_local = rotate_en_covariance(cov_en_m2, self.layout.centre_lat_deg, self.layout.centre_lon_deg, lat, lon)
        ellipses = ellipses_from_covariance(cov_local)
        elapsed_ms = (time.perf_counter() - started) * 1000.0 / len(measurement_sets)
        return [
            {
                "lat": float(lat[i]), "lon": float(lon[i]), "alt_m": None,
                "covariance_enu_m2": cov_local[i].tolist(),
                "ellipses": ellipses[i],
                "method": self._method(ms),
                "used": modality_counts(ms),
                "outliers": [],
                "gdop": None,
                "elapsed_ms": elapsed_ms,
            }
            for i, ms in enumerate(measurement_sets)
        ]

    def _method(self, ms: Mapping[str, Any]) -> str:
        """``neural+refined`` where the graph's Gauss-Newton steps used timing measurements, else ``neural``."""
        timing_layout = {"toa", "tdoa"} & set(self.layout.modalities)
        return "neural+refined" if self.refine_steps and timing_layout and (ms.get("toa") or ms.get("tdoa")) else "neural"

    def predict_features(self, features: NDArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Raw features (N, R, C) -> mean east/north metres (N, 2) and covariance m^2 (N, 2, 2) at the centre."""
        x = np.ascontiguousarray(features, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != (self.layout.max_receivers, len(FEATURE_CHANNELS)):
            raise InvalidInput(f"features must have shape (N, {self.layout.max_receivers}, {len(FEATURE_CHANNELS)})")
        mean, cov = self._session.run(["mean_en_m", "covariance_en_m2"], {self._input_name: x})
        return mean.astype(np.float64), cov.astype(np.float64)


def _transmitter_alt_m(ms: Mapping[str, Any]) -> float:
    value = ms.get("transmitter_alt_m", 0.0)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise InvalidInput("transmitter_alt_m must be a finite number", field="transmitter_alt_m")
    return float(value)
