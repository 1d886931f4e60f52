"""Starting training jobs: check the request, then create a job of kind ``training``.

Request: ``{"name", "dataset_ids", "warm_start_model_id"?, ...training options}``, the options being
the fields of ``heimdall.training.TrainingConfig`` (``epochs``, ``batch_size``, ``learning_rate``,
``seed``, ``network: {...}``, ...; all optional with the defaults documented there). Everything that
can be checked without loading samples is checked here, so a bad request is refused at once rather
than failing later as a job: unknown options and impossible values (422 naming the field), an empty
``dataset_ids`` (422), unknown datasets (404), datasets not ready (409), datasets of different
networks (422), too few samples for a train/validation split (422), an unknown warm-start model
(404) or one of another network shape (422).

Torch is not imported here (the API process creates jobs; a worker runs them).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput
from heimdall.jobs.service import JobService
from heimdall.nn.config import NetworkConfig
from heimdall.services.models.registry import ModelRegistry, check_name
from heimdall.services.models.training_data import DatasetInfo, check_dataset_ids, describe_datasets
from heimdall.training.config import TrainingConfig

TRAINING_KIND = "training"
REQUEST_FIELDS = ("name", "dataset_ids", "warm_start_model_id")


def training_config_from(options: dict[str, Any]) -> TrainingConfig:
    """A TrainingConfig from request options; InvalidInput names the unknown or bad field."""
    try:
        return TrainingConfig.from_dict(options)
    except InvalidInput:
        raise
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"bad training options: {exc}") from exc


def training_params(request: dict[str, Any]) -> tuple[dict[str, Any], TrainingConfig]:
    """The job params of a request (not yet checked against the database) and its config."""
    if not isinstance(request, dict):
        raise InvalidInput("a training request must be an object")
    name = check_name(request.get("name"))
    dataset_ids = check_dataset_ids(request.get("dataset_ids"))
    warm_start = request.get("warm_start_model_id")
    if warm_start is not None and (not isinstance(warm_start, str) or not warm_start):
        raise InvalidInput("warm_start_model_id must be a model id", field="warm_start_model_id")
    config = training_config_from({k: v for k, v in request.items() if k not in REQUEST_FIELDS})
    params = {"name": name, "dataset_ids": dataset_ids, "warm_start_model_id": warm_start,
              "config": config.to_dict()}
    return params, config


class TrainingService:
    def __init__(self, session_factory: sessionmaker[Session], jobs: JobService, registry: ModelRegistry) -> None:
        self._sessions = session_factory
        self._jobs = jobs
        self._registry = registry

    def start(self, request: dict[str, Any]) -> dict[str, Any]:
        """Check the request and create the training job (queued); returns the job."""
        params, _config = self.check(request)
        return self._jobs.create(TRAINING_KIND, params, name=params["name"])

    def check(self, request: dict[str, Any]) -> tuple[dict[str, Any], TrainingConfig]:
        params, config = training_params(request)
        datasets = describe_datasets(self._sessions, params["dataset_ids"])
        _check_split(datasets, config)
        if params["warm_start_model_id"] is not None:
            config = self._with_parent(params["warm_start_model_id"], config, inherit="network" not in request)
            params["config"] = config.to_dict()
        params["network_id"] = datasets[0].network_id
        return params, config

    def _with_parent(self, model_id: str, config: TrainingConfig, *, inherit: bool) -> TrainingConfig:
        """The config checked against the warm-start model (whose network shape it takes if none was asked)."""
        parent = self._registry.get(model_id)  # NotFound -> 404
        parent_network = (parent.get("training_config") or {}).get("network")
        if inherit and isinstance(parent_network, dict):
            config = dataclasses.replace(config, network=NetworkConfig.from_dict(parent_network))
        if parent_network != config.network.to_dict():
            raise InvalidInput("the warm-start model has another network shape than this config asks for "
                               "(leave 'network' out to use the defaults, or copy the parent's)",
                               field="network", details={"parent_network": parent_network})
        if parent["files"].get("checkpoint.pt") is None:
            raise InvalidInput("the warm-start model has no training checkpoint to start from",
                               field="warm_start_model_id")
        return config


def _check_split(datasets: list[DatasetInfo], config: TrainingConfig) -> None:
    total = sum(d.num_samples for d in datasets)
    # The split hashes sample ids; below this many samples one side is likely to come out empty.
    needed = math.ceil(3.0 / min(config.val_fraction, 1.0 - config.val_fraction))
    if total < needed:
        raise InvalidInput(f"{total} samples are too few for a validation fraction of {config.val_fraction} "
                           f"(at least {needed})", field="dataset_ids")
