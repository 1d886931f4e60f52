"""``/api/v1/datasets/{id}/samples/{sample_id}/spectrogram``: the web app's IQ waterfall.

Reads one receiver's stored capture of one sample of an IQ-level dataset (the ``.iq.npz`` shard next
to the sample's Arrow shard, docs/datasets.md) and answers its spectrogram (``heimdall.rf.spectrogram``).
404 for an unknown dataset, sample or receiver; 409 ``conflict`` when the dataset was generated
without IQ (``iq.enabled``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, cast

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel

from heimdall.api.deps import Blobs, Datasets
from heimdall.errors import Conflict, NotFound
from heimdall.rf.spectrogram import MAX_NFFT, MIN_NFFT, spectrogram
from heimdall.services.datasets.shards import IQ_FULL_SCALE_DBM, load_batch, load_iq

router = APIRouter(prefix="/datasets", tags=["datasets"])

NO_IQ_MESSAGE = "this dataset has no IQ samples (generate with iq.enabled)"


class Spectrogram(BaseModel):
    dataset_id: str
    sample_id: int
    receiver: str
    nfft: int
    hop: int
    sample_rate_hz: float
    start_time_s: float
    full_scale_dbm: float
    time_s: list[float]
    frequency_hz: list[float]
    power_db: list[list[float]]


@router.get("/{dataset_id}/samples/{sample_id}/spectrogram", response_model=Spectrogram)
def sample_spectrogram(
    dataset_id: str, sample_id: int, service: Datasets, blobs: Blobs,
    receiver: Annotated[str, Query(min_length=1, description="Receiver id, as in the sample's measurement set")],
    nfft: Annotated[int, Query(ge=MIN_NFFT, le=MAX_NFFT, description="FFT size, a power of two")] = 256,
) -> dict[str, Any]:
    """Power (dB relative to full scale per bin) over time x frequency offset of one receiver's capture;
    ``time_s`` counts from the capture's start, itself at ``start_time_s`` in the sample's timeline."""
    dataset = service.get(dataset_id)
    shard = _shard_of(dataset, sample_id)
    if not shard.get("iq_key"):
        raise Conflict(NO_IQ_MESSAGE)
    iq = load_iq(blobs, shard)
    if iq is None:
        raise Conflict(NO_IQ_MESSAGE)
    receiver_ids = [r["id"] for r in load_batch(blobs, shard).meta["receivers"]]
    if receiver not in receiver_ids:
        raise NotFound(f"receiver {receiver!r} is not in sample {sample_id} of dataset {dataset_id}")
    row = _row_of(iq, shard, sample_id)
    column = receiver_ids.index(receiver)
    start_time_s = float(iq["start_time_s"][row][column])
    result = spectrogram(iq["iq"][row][column], float(iq["sample_rate_hz"]), nfft)
    return {"dataset_id": dataset_id, "sample_id": sample_id, "receiver": receiver,
            "start_time_s": start_time_s, "full_scale_dbm": IQ_FULL_SCALE_DBM, **result.to_dict()}


def _shard_of(dataset: Mapping[str, Any], sample_id: int) -> Mapping[str, Any]:
    for shard in dataset["shards"]:
        if shard["start_index"] <= sample_id < shard["start_index"] + shard["count"]:
            return cast(Mapping[str, Any], shard)
    raise NotFound(f"sample {sample_id} not found in dataset {dataset['id']} ({dataset['num_samples']} samples)")


def _row_of(iq: Mapping[str, np.ndarray], shard: Mapping[str, Any], sample_id: int) -> int:
    rows = np.flatnonzero(iq["sample_id"] == sample_id)
    return int(rows[0]) if rows.size else sample_id - int(shard["start_index"])
