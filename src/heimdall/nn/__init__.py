"""Neural localizer: feature building (numpy only) and the set network (torch).

Import ``heimdall.nn.features`` and ``heimdall.nn.config`` freely: they never import torch, so the
ONNX inference path can share them. The network itself lives in ``heimdall.nn.network`` and needs
the ``train`` extra (torch).
"""
