"""ONNX Runtime predictor for deployed neural localizers. Never imports torch."""

from heimdall.inference.predictor import OnnxPredictor
from heimdall.inference.regions import ellipses_from_covariance

__all__ = ["OnnxPredictor", "ellipses_from_covariance"]
