"""Calibration references from simulated samples (``heimdall.synth``): each sample's truth is a known
transmitter, and the dataset metadata holds the offsets the simulator injected (``systematic_offsets``)."""

from __future__ import annotations

from typing import Any

from heimdall.calibrate.references import Reference
from heimdall.locate.measurement_set import parse_measurement_set
from heimdall.synth.batch import SampleBatch


def references_from_batch(batch: SampleBatch, *, known_eirp: bool = False) -> list[Reference]:
    """One reference per sample: its measurement set, at its true position (and EIRP if ``known_eirp``)."""
    references = []
    for sample in batch.to_dicts():
        truth = sample["truth"]
        ms = parse_measurement_set(sample["measurement_set"], check_unknowns=False)
        references.append(Reference(ms, truth["lat"], truth["lon"], alt_m=truth["alt_m"],
                                    eirp_dbm=truth["eirp_dbm"] if known_eirp else None))
    return references


def injected_offsets(meta: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The simulator's per-receiver truth by quantity (empty when the dataset has none)."""
    return dict(meta.get("systematic_offsets", {}))
