"""The ONNX file of a neural localizer: the one definition its writer and its reader share.

The exporter (``heimdall.training.export``, torch) writes it and the predictor
(``heimdall.inference.predictor``, ONNX Runtime, never torch) reads it; this module needs neither.

- Input ``features``: float32, shape (N, R, C): raw features of ``heimdall.nn.features.build_features``
  (the normalisation is inside the graph), R the layout's receivers, C = ``len(FEATURE_CHANNELS)``,
  N dynamic (axis name ``batch``).
- Outputs, float32, N dynamic: ``mean_en_m`` (N, 2) east/north metres about the layout centre,
  ``covariance_en_m2`` (N, 2, 2), and the mixture: ``mixture_weights`` (N, K), ``mixture_mean_en_m``
  (N, K, 2), ``mixture_covariance_en_m2`` (N, K, 2, 2).
- ``metadata_props``, each a JSON string under a ``heimdall.`` key: ``kind``, ``schema_version``,
  ``layout``, ``normalization``, ``feature_channels`` (what a predictor needs), ``training_config``,
  ``best_epoch``, ``metrics`` (what a registry shows).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from heimdall.errors import InvalidInput
from heimdall.nn.features import FEATURE_CHANNELS

ONNX_KIND = "heimdall.neural_localizer.onnx"
ONNX_SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = (1,)
ONNX_OPSET = 17
INPUT_NAME = "features"
INPUT_DTYPE = np.float32
BATCH_AXIS = "batch"
MEAN_OUTPUT = "mean_en_m"
COVARIANCE_OUTPUT = "covariance_en_m2"
OUTPUT_NAMES = (MEAN_OUTPUT, COVARIANCE_OUTPUT, "mixture_weights", "mixture_mean_en_m", "mixture_covariance_en_m2")
META_PREFIX = "heimdall."
METADATA_KEYS = ("kind", "schema_version", "layout", "normalization", "feature_channels", "training_config",
                 "best_epoch", "metrics")


def input_shape(n_receivers: int) -> tuple[str | int, ...]:
    return (BATCH_AXIS, n_receivers, len(FEATURE_CHANNELS))


def metadata_props(*, layout: Mapping[str, Any], normalization: Mapping[str, Any],
                   training_config: Mapping[str, Any], best_epoch: int | None,
                   metrics: Mapping[str, Any]) -> dict[str, str]:
    """The ``metadata_props`` entries of an export (NaN metrics, e.g. an empty band, become null)."""
    values: dict[str, Any] = {
        "kind": ONNX_KIND, "schema_version": ONNX_SCHEMA_VERSION, "layout": layout,
        "normalization": normalization, "feature_channels": list(FEATURE_CHANNELS),
        "training_config": training_config, "best_epoch": best_epoch, "metrics": _jsonable(metrics),
    }
    return {META_PREFIX + key: (key_value if key == "kind" else json.dumps(key_value))
            for key, key_value in values.items()}


def read_metadata(props: Mapping[str, str]) -> dict[str, Any]:
    """The decoded ``heimdall.*`` metadata without ``kind`` (``layout``, ``normalization``, ...);
    InvalidInput unless the file is a neural localizer of a supported version for these channels."""
    if props.get(META_PREFIX + "kind") != ONNX_KIND:
        raise InvalidInput("the ONNX model is not a Heimdall neural localizer")
    version = props.get(META_PREFIX + "schema_version")
    if version not in {str(v) for v in SUPPORTED_SCHEMA_VERSIONS}:
        raise InvalidInput(f"unsupported neural localizer schema_version {version}")
    try:
        decoded = {key.removeprefix(META_PREFIX): json.loads(value)
                   for key, value in props.items() if key.startswith(META_PREFIX) and key != META_PREFIX + "kind"}
    except ValueError as exc:
        raise InvalidInput(f"the ONNX model's Heimdall metadata is not JSON: {exc}") from exc
    if tuple(decoded.get("feature_channels") or ()) != FEATURE_CHANNELS:
        raise InvalidInput("the ONNX model was made for other feature channels than this version builds")
    if not isinstance(decoded.get("layout"), dict):
        raise InvalidInput("the ONNX model has no receiver layout in its metadata")
    return decoded


def _jsonable(value: Any) -> Any:
    """JSON has no NaN: NaN floats become None, recursively."""
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
