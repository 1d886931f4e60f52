"""A batch of simulated samples, held column-wise (numpy arrays) and turned into the per-sample
dicts of the dataset format (``sample_id``, ``truth``, ``measurement_set``, ``snr_db``, ``gdop``)
only on demand, so generation and shard writing never build Python objects per sample. Training
reads the columns themselves (``measurement_columns``), never the dicts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.locate.measurement_columns import MeasurementColumns
from heimdall.locate.measurement_set import Receivers

# Per-sample scalars and per-sample-per-receiver matrices, in shard column order.
SCALAR_COLUMNS = (
    "sample_id", "truth_lat", "truth_lon", "truth_alt_m", "truth_eirp_dbm", "signal_type",
    "duration_s", "tdoa_reference", "gdop", "crlb_rms_m",
)
MATRIX_COLUMNS = (
    "snr_db", "rss_power_dbm", "rss_sigma_db", "toa_s", "toa_sigma_s",
    "tdoa_s", "tdoa_sigma_s", "aoa_bearing_deg", "aoa_sigma_deg",
)


@dataclass
class SampleBatch:
    """``n`` samples over the ``R`` receivers of ``meta["receivers"]``; NaN marks "not measured"."""

    meta: dict[str, Any]
    sample_id: NDArray[np.int64]
    truth_lat: NDArray[np.float64]
    truth_lon: NDArray[np.float64]
    truth_alt_m: NDArray[np.float64]
    truth_eirp_dbm: NDArray[np.float64]
    signal_type: NDArray[np.int8]  # index into meta["signal_types"]
    duration_s: NDArray[np.float64]
    tdoa_reference: NDArray[np.int16]  # receiver index of the TDoA reference, -1 if none
    gdop: NDArray[np.float64]
    crlb_rms_m: NDArray[np.float64]
    snr_db: NDArray[np.float64]  # (n, R)
    rss_power_dbm: NDArray[np.float64]
    rss_sigma_db: NDArray[np.float64]
    toa_s: NDArray[np.float64]
    toa_sigma_s: NDArray[np.float64]
    tdoa_s: NDArray[np.float64]
    tdoa_sigma_s: NDArray[np.float64]
    aoa_bearing_deg: NDArray[np.float64]
    aoa_sigma_deg: NDArray[np.float64]
    iq: dict[str, NDArray[np.float64]] | None = field(default=None)  # IQ-level samples only; see synth.iq

    def __len__(self) -> int:
        return int(self.sample_id.shape[0])

    def slice(self, start: int, stop: int) -> SampleBatch:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in (*SCALAR_COLUMNS, *MATRIX_COLUMNS):
            values[name] = values[name][start:stop]
        if self.iq is not None:
            values["iq"] = {k: v[start:stop] for k, v in self.iq.items()}
        return SampleBatch(**values)

    def to_dicts(self) -> list[dict[str, Any]]:
        """One dict per sample, in the dataset format (measurement sets per CONTRACT section 4.1)."""
        columns = {name: getattr(self, name).tolist() for name in (*SCALAR_COLUMNS, *MATRIX_COLUMNS)}
        ids = [r["id"] for r in self.meta["receivers"]]
        return [_sample_dict(self.meta, ids, columns, i) for i in range(len(self))]

    def sample(self, index: int) -> dict[str, Any]:
        return self.slice(index, index + 1).to_dicts()[0]

    def receivers(self) -> Receivers:
        rx = self.meta["receivers"]
        return Receivers(ids=tuple(str(r["id"]) for r in rx), lat_deg=np.array([float(r["lat"]) for r in rx]),
                         lon_deg=np.array([float(r["lon"]) for r in rx]),
                         alt_m=np.array([float(r.get("alt_m") or 0.0) for r in rx]))

    def measurement_columns(self) -> MeasurementColumns:
        """The batch's measurement sets as columns (every set lists every receiver, as ``to_dicts`` does).

        TDoA: one pair per receiver with a value, against the sample's ``tdoa_reference``.
        """
        n, r = self.rss_power_dbm.shape
        paired = ~np.isnan(self.tdoa_s)
        reference = np.broadcast_to(np.asarray(self.tdoa_reference, dtype=np.intp)[:, None], (n, r))
        return MeasurementColumns(
            receivers=self.receivers(), present=np.ones((n, r), dtype=bool),
            rss_power_dbm=self.rss_power_dbm, rss_sigma_db=self.rss_sigma_db,
            toa_s=self.toa_s, toa_sigma_s=self.toa_sigma_s,
            tdoa_receiver=np.where(paired, np.arange(r, dtype=np.intp)[None, :], -1),
            tdoa_reference=np.where(paired, reference, -1), tdoa_s=self.tdoa_s, tdoa_sigma_s=self.tdoa_sigma_s,
            aoa_bearing_deg=self.aoa_bearing_deg, aoa_sigma_deg=self.aoa_sigma_deg,
        )


def _present(values: list[float]) -> list[int]:
    return [r for r, v in enumerate(values) if not math.isnan(v)]


def _sample_dict(meta: dict[str, Any], ids: list[str], c: dict[str, list[Any]], i: int) -> dict[str, Any]:
    measurement_set: dict[str, Any] = {
        "frequency_hz": meta["frequency_hz"],
        "receivers": meta["receivers"],
        "rss": [{"receiver": ids[r], "power_dbm": c["rss_power_dbm"][i][r], "sigma_db": c["rss_sigma_db"][i][r]}
                for r in _present(c["rss_power_dbm"][i])],
        "toa": [{"receiver": ids[r], "toa_s": c["toa_s"][i][r], "sigma_s": c["toa_sigma_s"][i][r]}
                for r in _present(c["toa_s"][i])],
        "tdoa": [{"receiver": ids[r], "reference": ids[c["tdoa_reference"][i]], "tdoa_s": c["tdoa_s"][i][r],
                  "sigma_s": c["tdoa_sigma_s"][i][r]} for r in _present(c["tdoa_s"][i])],
        "aoa": [{"receiver": ids[r], "bearing_deg": c["aoa_bearing_deg"][i][r], "sigma_deg": c["aoa_sigma_deg"][i][r]}
                for r in _present(c["aoa_bearing_deg"][i])],
        "propagation": meta["propagation"],
        "search_area": meta["search_area"],
    }
    gdop = c["gdop"][i]
    return {
        "sample_id": c["sample_id"][i],
        "truth": {"lat": c["truth_lat"][i], "lon": c["truth_lon"][i], "alt_m": c["truth_alt_m"][i],
                  "eirp_dbm": c["truth_eirp_dbm"][i], "signal_type": meta["signal_types"][c["signal_type"][i]],
                  "duration_s": c["duration_s"][i]},
        "measurement_set": measurement_set,
        "snr_db": {ids[r]: v for r, v in enumerate(c["snr_db"][i])},
        "gdop": gdop if math.isfinite(gdop) else None,
        "crlb_rms_m": c["crlb_rms_m"][i] if np.isfinite(c["crlb_rms_m"][i]) else None,
    }


def concatenate(batches: list[SampleBatch]) -> SampleBatch:
    if not batches:
        raise ValueError("nothing to concatenate")
    values: dict[str, Any] = {"meta": batches[0].meta}
    for name in (*SCALAR_COLUMNS, *MATRIX_COLUMNS):
        values[name] = np.concatenate([getattr(b, name) for b in batches])
    if batches[0].iq is not None:
        iqs = [b.iq for b in batches if b.iq is not None]
        values["iq"] = {k: np.concatenate([iq[k] for iq in iqs]) for k in batches[0].iq}
    return SampleBatch(**values)
