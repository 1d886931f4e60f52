"""Export a checkpoint's best network to one self-contained ONNX file (format: ``heimdall.nn.onnx_format``)."""

from __future__ import annotations

import io
import warnings

import torch

from heimdall.errors import DependencyMissing
from heimdall.nn.features import CH, FEATURE_CHANNELS
from heimdall.nn.network import MetricLocalizer
from heimdall.nn.onnx_format import BATCH_AXIS, INPUT_NAME, OUTPUT_NAMES, metadata_props
from heimdall.training.checkpoints import load_checkpoint, network_from_checkpoint


def export_onnx(checkpoint_bytes: bytes) -> bytes:
    """ONNX bytes of the checkpoint's best weights (by validation loss), with self-describing metadata."""
    try:
        import onnx
    except ImportError as exc:
        raise DependencyMissing("exporting to ONNX needs the 'onnx' package: pip install 'heimdall[train]'") from exc
    payload = load_checkpoint(checkpoint_bytes)
    wrapper = MetricLocalizer(network_from_checkpoint(payload, best=True)).eval()
    example = torch.zeros(2, len(payload["layout"]["receivers"]), len(FEATURE_CHANNELS))
    example[..., CH["present"]] = 1.0
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice: no onnxscript here
        torch.onnx.export(
            wrapper, (example,), buffer, dynamo=False,  # type: ignore[arg-type]  # the stub knows paths only opset_version=ONNX_OPSET,
            input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
            dynamic_axes={name: {0: BATCH_AXIS} for name in (INPUT_NAME, *OUTPUT_NAMES)},
        )
    proto = onnx.load_from_string(buffer.getvalue())
    best = payload["best"]
    props = metadata_props(layout=payload["layout"], normalization=payload["normalization"],
                           training_config=payload["config"], best_epoch=best["epoch"], metrics=best["metrics"])
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "heimdall"
    onnx.checker.check_model(proto)
    return bytes(proto.SerializeToString())
