"""Export a checkpoint's best network to one self-contained ONNX file.

Input ``features``: float32 (N, R, C) raw features from ``heimdall.nn.features.build_features`` (the
normalisation is inside the graph). Outputs: ``mean_en_m`` (N, 2) east/north metres about the layout
centre, ``covariance_en_m2`` (N, 2, 2), and the mixture ``mixture_weights`` (N, K),
``mixture_mean_en_m`` (N, K, 2), ``mixture_covariance_en_m2`` (N, K, 2, 2). The metadata_props hold
what a predictor needs (layout, normalisation, channels) and what a registry shows (config, metrics).
"""

from __future__ import annotations

import io
import json
import math
import warnings
from typing import Any

import torch

from heimdall.errors import DependencyMissing
from heimdall.nn.features import CH, FEATURE_CHANNELS
from heimdall.nn.network import MetricLocalizer
from heimdall.training.loop import load_checkpoint, network_from_checkpoint

ONNX_KIND = "heimdall.neural_localizer.onnx"
ONNX_SCHEMA_VERSION = 1
ONNX_OPSET = 17
INPUT_NAME = "features"
OUTPUT_NAMES = ("mean_en_m", "covariance_en_m2", "mixture_weights", "mixture_mean_en_m", "mixture_covariance_en_m2")


def export_onnx(checkpoint_bytes: bytes) -> bytes:
    """ONNX bytes of the checkpoint's best weights (by validation loss), with self-describing metadata."""
    try:
        import onnx
    except ImportError as exc:
        raise DependencyMissing("exporting to ONNX needs the 'onnx' package: pip install 'heimdall[train]'") from exc
    payload = load_checkpoint(checkpoint_bytes)
    wrapper = MetricLocalizer(network_from_checkpoint(payload, best=True)).eval()
    n_receivers = len(payload["layout"]["receivers"])
    example = torch.zeros(2, n_receivers, len(FEATURE_CHANNELS))
    example[..., CH["present"]] = 1.0
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice: no onnxscript here
        torch.onnx.export(
            wrapper, (example,), buffer, dynamo=False, opset_version=ONNX_OPSET,
            input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
            dynamic_axes={name: {0: "batch"} for name in (INPUT_NAME, *OUTPUT_NAMES)},
        )
    proto = onnx.load_from_string(buffer.getvalue())
    for key, value in _metadata(payload).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "heimdall"
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def _metadata(payload: dict[str, Any]) -> dict[str, str]:
    best = payload["best"]
    return {
        "heimdall.kind": ONNX_KIND,
        "heimdall.schema_version": str(ONNX_SCHEMA_VERSION),
        "heimdall.layout": json.dumps(payload["layout"]),
        "heimdall.normalization": json.dumps(payload["normalization"]),
        "heimdall.feature_channels": json.dumps(list(FEATURE_CHANNELS)),
        "heimdall.training_config": json.dumps(payload["config"]),
        "heimdall.best_epoch": json.dumps(best["epoch"]),
        "heimdall.metrics": json.dumps(_jsonable(best["metrics"])),
    }


def _jsonable(value: Any) -> Any:
    """Metrics may hold NaN (an empty band); JSON has no NaN, so those become null."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
