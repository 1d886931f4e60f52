"""A checked ONNX export, used by training jobs before they register a model.

``export_checked_onnx`` exports the checkpoint's best network and runs the same random inputs through
PyTorch and ONNX Runtime; a file whose answers differ is never registered. (Warm starts:
``heimdall.training.warm_start_checkpoint``.)

Import this module only where torch is installed (the ``train`` extra): it is never on the serving path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import OnnxExportMismatch
from heimdall.nn.features import CH, CHANNEL_KIND, FEATURE_CHANNELS, channel_gate_index

CHECK_SAMPLES = 64
# float32 graphs, rewritten by the exporter: agreement to a part in 1e4 of the layout's length scale.
MEAN_TOLERANCE = 1e-4
RELATIVE_TOLERANCE = 1e-3


def export_checked_onnx(checkpoint: bytes, *, seed: int = 0,
                        export: Callable[[bytes], bytes] | None = None) -> bytes:
    """ONNX bytes of the checkpoint's best weights, checked against PyTorch on random raw features.

    ``export`` replaces ``heimdall.training.export_onnx`` (a seam for tests of the check itself)."""
    import torch

    from heimdall.inference import OnnxPredictor
    from heimdall.nn.network import MetricLocalizer
    from heimdall.training import export_onnx, load_checkpoint, network_from_checkpoint

    onnx_bytes = (export or export_onnx)(checkpoint)
    payload = load_checkpoint(checkpoint)
    features = random_features(payload["normalization"], len(payload["layout"]["receivers"]),
                               np.random.default_rng(seed), CHECK_SAMPLES)
    with torch.no_grad():
        outputs = MetricLocalizer(network_from_checkpoint(payload, best=True)).eval()(torch.from_numpy(features))
    torch_mean, torch_cov = (t.double().numpy() for t in outputs[:2])
    onnx_mean, onnx_cov = OnnxPredictor(onnx_bytes).predict_features(features)
    scale_m = float(payload["normalization"]["length_scale_m"])
    mean_ok = np.allclose(onnx_mean, torch_mean, rtol=RELATIVE_TOLERANCE, atol=MEAN_TOLERANCE * scale_m)
    cov_ok = np.allclose(onnx_cov, torch_cov, rtol=RELATIVE_TOLERANCE, atol=(MEAN_TOLERANCE * scale_m) ** 2)
    if not (mean_ok and cov_ok):
        worst_m = float(np.max(np.abs(onnx_mean - torch_mean)))
        raise OnnxExportMismatch(f"the ONNX export differs from PyTorch by up to {worst_m:.3g} m on random inputs",
                                 details={"max_mean_difference_m": worst_m})
    return onnx_bytes


def random_features(normalization: Mapping[str, Any], n_receivers: int, rng: np.random.Generator,
                    n: int) -> NDArray[np.float32]:
    """Raw features (n, R, C) of the kind ``build_features`` makes: masks of 0/1, values about the
    training statistics where their mask is on, zeros where it is off, at least one receiver present."""
    offset = np.asarray(normalization["offset"], dtype=float)
    scale = np.asarray(normalization["scale"], dtype=float)
    raw = np.zeros((n, n_receivers, len(FEATURE_CHANNELS)))
    present = rng.random((n, n_receivers)) < 0.8
    present[np.arange(n), rng.integers(n_receivers, size=n)] = True
    raw[..., CH["present"]] = present
    for name in FEATURE_CHANNELS:
        if CHANNEL_KIND[name] == "mask" and name != "present":
            raw[..., CH[name]] = present & (rng.random((n, n_receivers)) < 0.7)
    values = offset + scale * rng.standard_normal(raw.shape)
    gates = raw[..., list(channel_gate_index())]
    value_channels = [CH[name] for name in FEATURE_CHANNELS if CHANNEL_KIND[name] != "mask"]
    raw[..., value_channels] = (values * gates)[..., value_channels]
    return raw.astype(np.float32)
