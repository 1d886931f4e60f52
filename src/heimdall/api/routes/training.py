"""``POST /api/v1/training-jobs``: start training a neural localizer on datasets (CONTRACT section 2).

The body is ``{"name", "dataset_ids"}`` plus, optionally, ``warm_start_model_id`` and any field of
the training config (``epochs``, ``batch_size``, ``learning_rate``, ``seed``, ``network: {...}``,
...; see docs/registry.md). The answer is 202 ``{"job": {...}}``; the job (kind ``training``) is then
watched and controlled like every other job (``/jobs/{id}``, ``/jobs/{id}/metrics``, ``job:<id>``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import Training
from heimdall.config_fields import NumbersNotBooleans

router = APIRouter(prefix="/training-jobs", tags=["training"])
NULL_MEANS_DEFAULT = ("warm_start_model_id", "epochs", "batch_size", "learning_rate", "seed", "network")


class TrainingJobCreate(NumbersNotBooleans):
    """Training options beyond these fields are passed to the training config (unknown ones are refused)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"name": "g7 rss", "dataset_ids": ["<dataset id>"], "epochs": 20,
                                         "batch_size": 256, "learning_rate": 0.002, "seed": 1,
                                         "network": {"hidden_size": 64, "mixture_components": 3}}]},
    )
    name: str = Field(min_length=1, max_length=200)
    dataset_ids: list[str]
    warm_start_model_id: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    seed: int | None = None
    network: dict[str, Any] | None = None


class TrainingJobCreated(BaseModel):
    job: dict[str, Any]


@router.post("", response_model=TrainingJobCreated, status_code=202)
def create_training_job(body: TrainingJobCreate, service: Training) -> dict[str, Any]:
    # The typed shortcuts sent as null take the config's defaults; other nulls mean what the config says
    # (``grad_clip_norm: null`` = no clipping, ``early_stopping_patience: null`` = never stop early).
    request = {key: value for key, value in body.model_dump(exclude_unset=True).items()
               if value is not None or key not in NULL_MEANS_DEFAULT}
    return {"job": service.start(request)}
