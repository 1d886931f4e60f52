"""Serving deployed models to ``POST /localize``: the method resolver behind ``neural`` and ``auto``.

Per request the resolver asks the database which models are deployed (one small indexed query), so
every API process follows a deployment made anywhere, without a restart. ONNX Runtime sessions are
cached per model id (a registered model's files never change) and dropped once the model is no
longer deployed.

Which deployed model answers: the one whose receiver layout fits the measurement set (its receivers
known, at the same places within the layout's tolerance, its modalities trained); when several fit,
the one with the smallest recorded validation median error. None fits: ``NoModelAvailable`` (409
``no_model``) for ``neural``.

``auto`` (the rule, also in docs/registry.md): neural answers only when a deployed model fits *and*
its recorded validation median error is smaller than ``classical_margin`` times the classical
expected error for this very set, taken as the median error of the Cramer-Rao bound at the neural
estimate (``heimdall.locate.bounds``); otherwise the classical estimator answers. The bound is what
an efficient unbiased classical estimator reaches at best, so with the default margin of 1 the
network is chosen only where it is expected to beat the best the classical estimator could do.

Never imports torch.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from heimdall.errors import HeimdallError, InvalidInput, NoModelAvailable
from heimdall.inference import OnnxPredictor
from heimdall.locate.measurement_set import MODALITIES, MeasurementSet
from heimdall.services.localizations import classical_predictor
from heimdall.services.models.registry import ModelRegistry

log = logging.getLogger(__name__)

Predictor = Callable[[MeasurementSet], dict[str, Any]]


@dataclass(frozen=True)
class _Loaded:
    sha256: str
    predictor: OnnxPredictor


class ModelServing:
    """``ModelServing(registry)(method) -> predictor``: a ``MethodResolver`` for ``LocalizationService``."""

    def __init__(self, registry: ModelRegistry, *, classical: Predictor = classical_predictor,
                 classical_margin: float = 1.0) -> None:
        self._registry = registry
        self._classical = classical
        self.classical_margin = classical_margin
        self._cache: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def __call__(self, method: str) -> Predictor:
        if method == "neural":
            return self.neural
        if method == "auto":
            return self.auto
        return self._classical

    def neural(self, ms: MeasurementSet) -> dict[str, Any]:
        deployed = self._registry.deployed()
        if not deployed:
            raise NoModelAvailable(
                "no deployed model: deploy one (POST /api/v1/models/{id}/deploy) or use method 'classical'",
                field="method",
            )
        return self._first_fitting(deployed, ms, explicit=True)

    def auto(self, ms: MeasurementSet) -> dict[str, Any]:
        deployed = self._registry.deployed()
        if not deployed:
            return self._classical(ms)
        try:
            result = self._first_fitting(deployed, ms, explicit=False)
        except (NoModelAvailable, InvalidInput):
            return self._classical(ms)
        neural_m = result["registered_model"].get("validation_median_error_m")
        classical_m = classical_expected_error_m(ms, result["lat"], result["lon"])
        choice = {"rule": "neural if validation median error < margin x CRLB median error at the estimate",
                  "neural_expected_error_m": neural_m, "classical_expected_error_m": classical_m,
                  "classical_margin": self.classical_margin}
        if neural_m is not None and neural_m < self.classical_margin * classical_m:
            return {**result, "method_choice": {**choice, "chosen": "neural"}}
        return {**self._classical(ms), "method_choice": {**choice, "chosen": "classical"}}

    def _first_fitting(self, deployed: list[dict[str, Any]], ms: MeasurementSet, *, explicit: bool) -> dict[str, Any]:
        """The result of the best fitting deployed model (smallest validation median error first)."""
        ranked = sorted(deployed, key=lambda m: (_or_inf(m["median_error_m"]), m["id"]))
        predictors = self._predictors(deployed)
        refusals = []
        for model in ranked:
            predictor = predictors.get(model["id"])
            if predictor is None:
                continue
            try:
                result = predictor.predict(ms)
            except NoModelAvailable as exc:
                refusals.append({"model_id": model["id"], "reason": exc.message})
                continue
            return _labelled(result, model)
        raise NoModelAvailable(
            "no deployed model fits this measurement set (its receivers, their positions or its modalities)"
            + ("" if explicit else "; answered classically"),
            field="method", details={"refusals": refusals},
        )

    def _predictors(self, deployed: list[dict[str, Any]]) -> dict[str, OnnxPredictor]:
        """Predictors of the deployed models, loading new ones and forgetting undeployed ones."""
        with self._lock:
            wanted = {m["id"]: m for m in deployed}
            for stale in set(self._cache) - set(wanted):
                del self._cache[stale]
            for model_id, model in wanted.items():
                loaded = self._cache.get(model_id)
                if loaded is None or loaded.sha256 != model["onnx_sha256"]:
                    try:
                        self._cache[model_id] = _Loaded(model["onnx_sha256"], self._load(model_id))
                    except HeimdallError as exc:
                        # One unreadable file must not take the other deployed models down with it.
                        log.error("deployed model %s cannot be loaded: %s", model_id, exc.message)
            return {model_id: loaded.predictor for model_id, loaded in self._cache.items()}

    def _load(self, model_id: str) -> OnnxPredictor:
        return OnnxPredictor(self._registry.onnx_bytes(model_id))

    @property
    def cached_model_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._cache)


def classical_expected_error_m(ms: MeasurementSet, lat_deg: float, lon_deg: float) -> float:
    """Median error (m) of the Cramer-Rao bound of ``ms`` at the given position (inf where unobservable)."""
    from heimdall.locate.bounds import bound_median_m, crlb_enu_m2

    cov = crlb_enu_m2(ms, lat_deg, lon_deg)
    if not bool(math.isfinite(float(cov[0, 0])) and math.isfinite(float(cov[1, 1]))):
        return math.inf
    return float(bound_median_m(cov))


def _labelled(result: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    used = result.get("used") or {}
    modalities = "+".join(m for m in MODALITIES if used.get(m))
    return {
        **result,
        "method": f"neural:{modalities}" if modalities else "neural",
        "registered_model": {"id": model["id"], "name": model["name"], "network_id": model["network_id"],
                  "validation_median_error_m": model["median_error_m"]},
    }


def _or_inf(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else math.inf
