"""The confidence benchmark's simulator does what the DSP does (a few trials; the numbers live in docs)."""

from __future__ import annotations

import numpy as np

from heimdall.bench.kraken_confidence import run, run_trial, spectra, steering


def test_a_clean_strong_signal_peaks_at_its_direction_with_high_music_confidence() -> None:
    rng = np.random.default_rng(0)
    for outcome in run_trial(rng, snr_db=30.0, phase_error_deg=0.0):
        assert outcome.error_deg <= 1.0
    music, bartlett = run_trial(np.random.default_rng(1), 30.0, 0.0)
    assert music.confidence_db > 15.0 > bartlett.confidence_db  # Bartlett's ratio is bounded by the 5 elements


def test_spectra_of_a_known_covariance() -> None:
    a = steering(np.array([123.0]))[:, 0]
    covariance = 100 * np.outer(a, a.conj()) + np.eye(5)
    for spectrum in spectra(covariance).values():
        assert int(np.argmax(spectrum)) == 123


def test_report_rows() -> None:
    report = run(trials=120, seed=3, phase_error_deg=0.0)
    assert report["rows"] and {row["algorithm"] for row in report["rows"]} <= {"MUSIC", "Bartlett"}
    for row in report["rows"]:
        assert row["trials"] >= 20 and 0.0 <= row["within_1_sigma"] <= 1.0
