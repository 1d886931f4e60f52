"""Many measurement sets at once, column-wise: the stacked form of ``MeasurementSet``.

``MeasurementColumns`` holds N sets over one list of R receivers: one (N, R) array per measured
quantity, NaN where a receiver has no such measurement, and the TDoA pairs as (N, P) receiver and
reference indices (-1 where a set has fewer than P pairs), since a TDoA set may pair any receivers.
The simulator's batches turn into it without a copy per sample (``SampleBatch.measurement_columns``)
and parsed sets stack into it (``stack_sets``), so nothing goes back through a JSON dict on the way
from the simulator, or from the API, to the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.locate.measurement_set import MeasurementSet, Receivers

PER_RECEIVER = ("rss_power_dbm", "rss_sigma_db", "toa_s", "toa_sigma_s", "aoa_bearing_deg", "aoa_sigma_deg")
# The (N, R) column that says whether a receiver measured each modality (TDoA: see ``tdoa_receiver``).
VALUE_COLUMN = {"rss": "rss_power_dbm", "toa": "toa_s", "aoa": "aoa_bearing_deg"}
# Per-receiver modalities: (modality, MeasurementSet value and sigma fields, column value and sigma).
_FROM_SET = (
    ("rss", "power_dbm", "sigma_db", "rss_power_dbm", "rss_sigma_db"),
    ("toa", "toa_s", "sigma_s", "toa_s", "toa_sigma_s"),
    ("aoa", "bearing_deg", "sigma_deg", "aoa_bearing_deg", "aoa_sigma_deg"),
)


@dataclass(frozen=True, eq=False)
class MeasurementColumns:
    """N measurement sets over the R receivers of ``receivers`` (see the module docstring)."""

    receivers: Receivers
    present: NDArray[np.bool_]  # (N, R): the receiver is listed in the set
    rss_power_dbm: NDArray[np.float64]
    rss_sigma_db: NDArray[np.float64]
    toa_s: NDArray[np.float64]
    toa_sigma_s: NDArray[np.float64]
    tdoa_receiver: NDArray[np.intp]  # (N, P) receiver index, -1: no pair
    tdoa_reference: NDArray[np.intp]
    tdoa_s: NDArray[np.float64]  # arrival at the receiver minus arrival at the reference
    tdoa_sigma_s: NDArray[np.float64]
    aoa_bearing_deg: NDArray[np.float64]
    aoa_sigma_deg: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.present.shape[0])

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_] | slice) -> MeasurementColumns:
        """The sets at ``rows`` (indices, a boolean mask or a slice)."""
        return replace(self, **{f.name: getattr(self, f.name)[rows] for f in fields(self) if f.name != "receivers"})

    def counts(self) -> dict[str, NDArray[np.intp]]:
        """Measurements per set and modality, (N,) each, in CONTRACT order (rss, toa, tdoa, aoa)."""
        count = {m: np.sum(~np.isnan(getattr(self, column)), axis=1) for m, column in VALUE_COLUMN.items()}
        return {"rss": count["rss"], "toa": count["toa"], "tdoa": np.sum(self.tdoa_receiver >= 0, axis=1),
                "aoa": count["aoa"]}

    def on_receivers(self, index: NDArray[np.intp], receivers: Receivers) -> MeasurementColumns:
        """The same sets over another receiver list, in which this list's receiver r is ``index[r]``."""
        n, r = len(self), len(receivers)
        moved: dict[str, NDArray[Any]] = {"present": np.zeros((n, r), dtype=bool)}
        moved["present"][:, index] = self.present
        for name in PER_RECEIVER:
            moved[name] = np.full((n, r), np.nan)
            moved[name][:, index] = getattr(self, name)
        for name in ("tdoa_receiver", "tdoa_reference"):
            old = getattr(self, name)
            moved[name] = np.where(old >= 0, index[np.maximum(old, 0)], -1)
        return replace(self, receivers=receivers, **moved)


def empty_columns(receivers: Receivers, n: int, n_pairs: int) -> MeasurementColumns:
    """N sets over ``receivers`` with no receiver listed and nothing measured (to be filled in)."""
    r = len(receivers)
    return MeasurementColumns(
        receivers=receivers, present=np.zeros((n, r), dtype=bool),
        **{name: np.full((n, r), np.nan) for name in PER_RECEIVER},
        tdoa_receiver=np.full((n, n_pairs), -1, dtype=np.intp), tdoa_reference=np.full((n, n_pairs), -1, dtype=np.intp),
        tdoa_s=np.full((n, n_pairs), np.nan), tdoa_sigma_s=np.full((n, n_pairs), np.nan),
    )


def stack_sets(sets: Sequence[MeasurementSet], receivers: Receivers,
               index: Sequence[NDArray[np.intp]]) -> MeasurementColumns:
    """Parsed sets as columns over ``receivers``; ``index[k][i]`` is where set k's receiver i goes.

    InvalidInput when a set has two measurements of one modality at one receiver (columns hold one).
    """
    n_pairs = max((ms.tdoa.receiver.size for ms in sets), default=0)
    out = empty_columns(receivers, len(sets), n_pairs)
    for row, (ms, where) in enumerate(zip(sets, index, strict=True)):
        out.present[row, where] = True
        for modality, value, sigma, value_column, sigma_column in _FROM_SET:
            part = getattr(ms, modality)
            slots = where[part.receiver]
            if np.unique(slots).size != slots.size:
                raise InvalidInput(f"a receiver has two {modality} measurements", field=modality)
            getattr(out, value_column)[row, slots] = getattr(part, value)
            getattr(out, sigma_column)[row, slots] = getattr(part, sigma)
        pairs = ms.tdoa.receiver.size
        out.tdoa_receiver[row, :pairs] = where[ms.tdoa.receiver]
        out.tdoa_reference[row, :pairs] = where[ms.tdoa.reference]
        out.tdoa_s[row, :pairs] = ms.tdoa.tdoa_s
        out.tdoa_sigma_s[row, :pairs] = ms.tdoa.sigma_s
    return out
