"""Trust after a capture: a receiver whose reported position disagrees with the stored one is excluded."""

from __future__ import annotations

from pathlib import Path

from heimdall.capture.trust import position_disagreements, trusted_measurement_set


def test_a_position_off_by_more_than_the_tolerance_is_excluded_with_the_distance() -> None:
    stored = {"a": (50.0, 8.0), "b": (51.0, 9.0), "c": (49.0, 7.0)}
    reported = {"a": (50.001, 8.001), "b": (51.2, 9.0), "c": None}
    out = position_disagreements(stored, reported, tolerance_m=2_000.0)
    assert set(out) == {"b"} and "22.2 km" in out["b"]


def test_fewer_than_three_trusted_receivers_give_no_measurement_set_and_say_why() -> None:
    paths = {"a": Path("a.sigmf-meta"), "b": Path("b.sigmf-meta"), "c": Path("c.sigmf-meta")}
    result = trusted_measurement_set(paths, {"c": "moved"})
    assert result.measurement_set is None and result.used == ["a", "b"]
    assert result.excluded == {"c": "moved"} and "needs 3" in (result.reason or "")


def test_a_receiver_that_heard_nothing_has_no_correlation_peak_and_is_excluded(tmp_path: Path) -> None:
    """The DCF77 fixture plus a fourth 'receiver' recording only noise at the same GNSS time."""
    import json

    import numpy as np

    from heimdall.capture.recordings import analyse_recordings
    from heimdall.capture.trust import weak_pairs
    from heimdall.formats.kiwi import kiwi_file_name, read_kiwi_wav, write_kiwi_wav

    folder = Path(__file__).resolve().parents[2] / "fixtures" / "kiwi-dcf77"
    receivers = {r["id"]: r for r in json.loads((folder / "receivers.json").read_text())["receivers"]}
    receivers["NOISE"] = {"id": "NOISE", "lat": 48.0, "lon": 11.0, "alt_m": 0.0}
    files = sorted(folder.glob("*_iq.wav"))
    first = read_kiwi_wav(files[0])
    assert first.timing is not None
    rng = np.random.default_rng(5)
    noise = 0.05 * (rng.standard_normal(120_320) + 1j * rng.standard_normal(120_320))
    noise_path = write_kiwi_wav(tmp_path / kiwi_file_name(first.file_utc, 77_500, "NOISE"), noise,
                                nominal_sample_rate_hz=12001, true_sample_rate_hz=first.timing.sample_rate_hz,
                                t0_gps_s=first.timing.t0_gps_s + 5.0)
    weak = weak_pairs(analyse_recordings([*files, noise_path], receivers))
    assert set(weak) == {"NOISE"} and "correlation peak" in weak["NOISE"]
