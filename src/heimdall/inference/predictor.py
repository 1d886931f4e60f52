"""``OnnxPredictor``: parsed measurement sets (CONTRACT 4.1) in, CONTRACT 4.2 results out, via ONNX Runtime.

The feature code is the very one training used (``heimdall.nn.features``, numpy only), the file's
format is ``heimdall.nn.onnx_format`` (the exporter's own definition), the network's normalisation is
inside the graph, and the receiver layout comes from the file's metadata. Sets arrive parsed
(``MeasurementSet``): the JSON is read once, where it enters (API route, CLI).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.inference.external_data import refuse_external_data
from heimdall.inference.regions import ellipses_from_covariance, rotate_en_covariance
from heimdall.locate.measurement_set import MeasurementSet
from heimdall.nn.features import FEATURE_CHANNELS, build_features
from heimdall.nn.layout import ReceiverLayout
from heimdall.nn.onnx_format import COVARIANCE_OUTPUT, INPUT_DTYPE, INPUT_NAME, MEAN_OUTPUT, read_metadata

CONTRACT_MODALITIES = ("rss", "toa", "tdoa", "aoa")  # the key order of a result's ``used``


class OnnxPredictor:
    """A deployed neural localizer. Thread-safe for concurrent ``predict`` calls (ONNX Runtime is)."""

    def __init__(self, onnx_bytes: bytes, *, intra_op_threads: int = 1) -> None:
        # Before ONNX Runtime: it would read an external data reference from the working directory.
        refuse_external_data(onnx_bytes)
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped Fail/InvalidGraph errors
            raise InvalidInput(f"not a loadable ONNX model: {exc}") from exc
        self.metadata: dict[str, Any] = read_metadata(self._session.get_modelmeta().custom_metadata_map)
        self.layout = ReceiverLayout.from_dict(self.metadata["layout"])
        if [i.name for i in self._session.get_inputs()] != [INPUT_NAME]:
            raise InvalidInput(f"the ONNX model's input is not '{INPUT_NAME}'")
        network = (self.metadata.get("training_config") or {}).get("network") or {}
        # Version-1 networks had no refinement; newer ones refine unless configured with 0 steps.
        self.refine_steps = int(network.get("refine_steps", 0 if network.get("schema_version", 1) == 1 else 5))

    def predict(self, measurement_set: MeasurementSet) -> dict[str, Any]:
        return self.predict_batch([measurement_set])[0]

    def predict_batch(self, measurement_sets: Sequence[MeasurementSet]) -> list[dict[str, Any]]:
        """One CONTRACT 4.2 result per set. Raises ``NoModelAvailable`` for a set outside the network's
        receiver layout or modalities, ``InsufficientData`` for a set without measurements."""
        started = time.perf_counter()
        if not measurement_sets:
            return []
        mean_en_m, cov_en_m2 = self.predict_features(build_features(measurement_sets, self.layout))
        alt_m = np.array([ms.tx_alt_m for ms in measurement_sets])
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
                "used": _used(ms),
                "outliers": [],
                "gdop": None,
                "elapsed_ms": elapsed_ms,
            }
            for i, ms in enumerate(measurement_sets)
        ]

    def _method(self, ms: MeasurementSet) -> str:
        """``neural+refined`` where the graph's Gauss-Newton steps used timing measurements, else ``neural``."""
        timing_layout = {"toa", "tdoa"} & set(self.layout.modalities)
        timing_set = bool(ms.toa.receiver.size or ms.tdoa.receiver.size)
        return "neural+refined" if self.refine_steps and timing_layout and timing_set else "neural"

    def predict_features(self, features: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Raw features (N, R, C) -> mean east/north metres (N, 2) and covariance m^2 (N, 2, 2) at the centre."""
        x = np.ascontiguousarray(features, dtype=INPUT_DTYPE)
        if x.ndim != 3 or x.shape[1:] != (self.layout.max_receivers, len(FEATURE_CHANNELS)):
            raise InvalidInput(f"features must have shape (N, {self.layout.max_receivers}, {len(FEATURE_CHANNELS)})")
        mean, cov = self._session.run([MEAN_OUTPUT, COVARIANCE_OUTPUT], {INPUT_NAME: x})
        return mean.astype(np.float64), cov.astype(np.float64)


def _used(ms: MeasurementSet) -> dict[str, int]:
    counts = ms.counts()
    return {m: counts[m] for m in CONTRACT_MODALITIES}
