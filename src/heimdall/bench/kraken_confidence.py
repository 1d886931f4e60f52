"""Does a KrakenSDR's confidence predict its bearing error? Simulated 5-element UCA, MUSIC and Bartlett.

Each trial draws a true direction, an SNR per element and a short coherent processing interval,
forms the array covariance, computes the DSP's 360-bin pseudo-spectrum (MUSIC or Bartlett), takes
its peak as the bearing and ``10 log10(max / mean)`` as the confidence, exactly as
``kraken_sdr_signal_processor.py`` does, and compares the error with the sigma that
:class:`heimdall.receivers.kraken.ConfidenceModel` derives from that confidence. Optional per-element
phase errors (a calibration that drifted) show what no spectrum can reveal: that is what the model's
floor is for.

    python -m heimdall.bench.kraken_confidence [--trials 4000] [--seed 0] [--phase-error-deg 0] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.receivers.kraken.confidence import ConfidenceModel

ELEMENTS = 5
SPACING_WAVELENGTHS = 0.4  # neighbour spacing of the UCA (KrakenSDR: 0.21 m at ~570 MHz)
SNAPSHOTS = 256
SNRS_DB = (-10.0, -5.0, 0.0, 5.0, 10.0, 20.0)
CONFIDENCE_EDGES_DB = (0.0, 4.0, 6.0, 8.0, 10.0, 13.0, 16.0, 20.0, 26.0)


def steering(angles_deg: NDArray[np.float64]) -> NDArray[np.complex128]:
    """UCA steering vectors (elements, angles); angle counter-clockwise from element 0, as the DSP's theta."""
    radius = SPACING_WAVELENGTHS / (2 * np.sin(np.pi / ELEMENTS))
    element = 2 * np.pi * np.arange(ELEMENTS) / ELEMENTS
    phase = 2 * np.pi * radius * np.cos(np.radians(angles_deg)[None, :] - element[:, None])
    return np.asarray(np.exp(1j * phase))


GRID = steering(np.arange(360.0))


def spectra(covariance: NDArray[np.complex128]) -> dict[str, NDArray[np.float64]]:
    """MUSIC (one source) and Bartlett pseudo-spectra on the 1-degree grid."""
    _, vectors = np.linalg.eigh(covariance)
    noise = vectors[:, :-1]  # eigh sorts ascending: the largest eigenvector is the signal
    music = 1.0 / np.maximum(np.sum(np.abs(noise.conj().T @ GRID) ** 2, axis=0), 1e-12)
    bartlett = np.real(np.sum(GRID.conj() * (covariance @ GRID), axis=0))
    return {"MUSIC": music, "Bartlett": bartlett}


@dataclass(frozen=True)
class Outcome:
    algorithm: str
    snr_db: float
    confidence_db: float
    error_deg: float


def run_trial(rng: np.random.Generator, snr_db: float, phase_error_deg: float) -> list[Outcome]:
    truth = rng.uniform(0.0, 360.0)
    a = steering(np.array([truth]))[:, 0] * np.exp(1j * np.radians(rng.normal(0.0, phase_error_deg, ELEMENTS)))
    signal = (rng.standard_normal(SNAPSHOTS) + 1j * rng.standard_normal(SNAPSHOTS)) / np.sqrt(2)
    noise = (rng.standard_normal((ELEMENTS, SNAPSHOTS)) + 1j * rng.standard_normal((ELEMENTS, SNAPSHOTS))) / np.sqrt(2)
    x = 10 ** (snr_db / 20) * a[:, None] * signal[None, :] + noise
    covariance = x @ x.conj().T / SNAPSHOTS
    outcomes = []
    for name, spectrum in spectra(covariance).items():
        peak = float(np.argmax(spectrum))
        confidence = float(10 * np.log10(spectrum.max() / spectrum.mean()))
        error = abs((peak - truth + 180.0) % 360.0 - 180.0)
        outcomes.append(Outcome(name, snr_db, confidence, error))
    return outcomes


def summarise(outcomes: list[Outcome], model: ConfidenceModel) -> list[dict[str, Any]]:
    """Per algorithm and confidence bin: predicted sigma (spectrum only, no floor) against the error."""
    rows = []
    for algorithm in sorted({o.algorithm for o in outcomes}):
        mine = [o for o in outcomes if o.algorithm == algorithm]
        for low, high in itertools.pairwise(CONFIDENCE_EDGES_DB):
            chosen = [o for o in mine if low <= o.confidence_db < high]
            if len(chosen) < 20:
                continue
            errors = np.array([o.error_deg for o in chosen])
            predicted = np.array([model.spectrum_sigma_deg(o.confidence_db) for o in chosen])
            rows.append({
                "algorithm": algorithm, "confidence_db": f"{low:g}-{high:g}", "trials": len(chosen),
                "predicted_sigma_deg": round(float(np.median(predicted)), 2),
                "rms_error_deg": round(float(np.sqrt(np.mean(errors**2))), 2),
                "p68_error_deg": round(float(np.percentile(errors, 68)), 2),
                "within_1_sigma": round(float(np.mean(errors <= predicted)), 3),
                "within_1_sigma_with_floor": round(float(np.mean(
                    errors <= np.hypot(predicted, model.floor_deg))), 3),
            })
    return rows


def run(trials: int, seed: int, phase_error_deg: float) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    outcomes = [o for i in range(trials) for o in run_trial(rng, SNRS_DB[i % len(SNRS_DB)], phase_error_deg)]
    return {"trials": trials, "seed": seed, "phase_error_deg": phase_error_deg, "elements": ELEMENTS,
            "snapshots": SNAPSHOTS, "rows": summarise(outcomes, ConfidenceModel())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phase-error-deg", type=float, default=0.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.trials, args.seed, args.phase_error_deg)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    columns = list(report["rows"][0]) if report["rows"] else []
    print(" | ".join(columns))
    for row in report["rows"]:
        print(" | ".join(str(row[c]) for c in columns))


if __name__ == "__main__":
    main()
