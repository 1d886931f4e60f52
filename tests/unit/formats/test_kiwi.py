"""KiwiSDR IQ WAV reader/writer: the real DCF77 fixture and synthetic files."""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.formats.kiwi import kiwi_file_name, read_kiwi_wav, write_kiwi_wav

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "kiwi-dcf77"
F1JEK = FIXTURE / "20171127T104156Z_77500_F1JEK_iq.wav"
START = datetime(2017, 11, 27, 10, 41, 56, tzinfo=UTC)
T0_GPS_S = 124934.25  # Monday 10:42:14 GPS = 10:41:56 UTC + 18 s, plus 0.25 s


def _synthetic(tmp_path: Path, rng: np.random.Generator, samples: int = 512 * 40, **kwargs) -> tuple[Path, np.ndarray]:
    iq = (0.1 * (rng.standard_normal(samples) + 1j * rng.standard_normal(samples))).astype(np.complex64)
    path = write_kiwi_wav(tmp_path / kiwi_file_name(START, 77500, "TEST"), iq, nominal_sample_rate_hz=12001,
                          true_sample_rate_hz=kwargs.pop("true_sample_rate_hz", 12001.3), t0_gps_s=T0_GPS_S, **kwargs)
    return path, iq


def test_real_f1jek_true_sample_rate_and_time() -> None:
    rec = read_kiwi_wav(F1JEK)
    assert rec.station == "F1JEK" and rec.frequency_hz == 77500.0
    assert rec.nominal_sample_rate_hz == 12001.0
    assert rec.sample_rate_hz == pytest.approx(12001.2, abs=0.02)
    assert rec.iq.size == 680 * 512 and rec.iq.dtype == np.complex64
    assert rec.timing.residual_rms_s < 1e-6
    assert rec.gps_week == 1977
    start = datetime.fromtimestamp(rec.start_utc_ns / 1e9, tz=UTC)
    assert 0.0 < (start - START).total_seconds() < 1.0  # first sample just after the file-name time
    assert rec.sample_gps_s[512] == pytest.approx(rec.block_gps_s[1], abs=1e-6)


def test_synthetic_round_trip_recovers_rate_time_and_samples(tmp_path: Path) -> None:
    path, iq = _synthetic(tmp_path, np.random.default_rng(1))
    rec = read_kiwi_wav(path)
    assert rec.sample_rate_hz == pytest.approx(12001.3, abs=1e-4)
    assert rec.timing.t0_gps_s == pytest.approx(T0_GPS_S, abs=5e-9)
    assert rec.timing.blocks_used == 39  # the first block's stamp is dropped
    assert np.max(np.abs(rec.iq - iq)) <= 1.0 / 32768
    assert rec.start_utc_ns == int(START.timestamp()) * 1_000_000_000 + 250_000_000


def test_outlier_stamp_is_rejected(tmp_path: Path) -> None:
    path, _ = _synthetic(tmp_path, np.random.default_rng(2))
    raw = bytearray(path.read_bytes())
    block = 36 + 17 * 2074  # block 17's kiwi chunk: gpssec at +10
    raw[block + 10:block + 14] = (int(T0_GPS_S) + 3).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    rec = read_kiwi_wav(path)
    assert rec.timing.blocks_rejected == 1
    assert rec.sample_rate_hz == pytest.approx(12001.3, abs=1e-4)


def test_without_gnss_there_is_no_timing(tmp_path: Path) -> None:
    path, _ = _synthetic(tmp_path, np.random.default_rng(3), gps_solution=255)
    rec = read_kiwi_wav(path)
    assert rec.timing is None and not rec.has_gnss_timing
    assert rec.sample_rate_hz == 12001.0 and rec.start_utc_ns is None


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda raw: raw[:-100], "truncated"),
        (lambda raw: raw[:36 + 2074 * 3 + 5], "truncated"),
        (lambda raw: b"JUNK" + raw[4:], "not a RIFF/WAVE"),
        (lambda raw: raw[:20] + (3).to_bytes(2, "little") + raw[22:], "2-channel 16-bit PCM"),
        (lambda raw: raw[:36], "no timestamped IQ blocks"),
        (lambda raw: raw[:12] + b"fmz " + raw[16:], "no 'fmt ' chunk"),
    ],
)
def test_corrupt_files_raise_invalid_input(tmp_path: Path, mangle, message: str) -> None:
    path, _ = _synthetic(tmp_path, np.random.default_rng(4), samples=512 * 5)
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(InvalidInput, match=message) as info:
        read_kiwi_wav(path)
    assert "\n" not in str(info.value)


def test_plain_wav_and_bad_names_are_rejected(tmp_path: Path) -> None:
    path, _ = _synthetic(tmp_path, np.random.default_rng(5), samples=512 * 3)
    raw = path.read_bytes()
    plain = raw[:36] + raw[36 + 18:]  # drop the first kiwi chunk: data before any timestamp
    path.write_bytes(plain)
    with pytest.raises(InvalidInput, match="without a preceding 'kiwi'"):
        read_kiwi_wav(path)
    other = tmp_path / "recording.wav"
    other.write_bytes(raw)
    with pytest.raises(InvalidInput, match="file name must look like"):
        read_kiwi_wav(other)
    with pytest.raises(InvalidInput, match="cannot read"):
        read_kiwi_wav(tmp_path / kiwi_file_name(START, 77500, "MISSING"))


def test_stamps_read_without_samples_match_the_full_reader() -> None:
    from heimdall.formats.kiwi import read_kiwi_stamps

    full, stamps = read_kiwi_wav(F1JEK), read_kiwi_stamps(F1JEK)
    np.testing.assert_array_equal(stamps.block_start_index, full.block_start_index)
    np.testing.assert_array_equal(stamps.block_gps_s, full.block_gps_s)
    np.testing.assert_array_equal(stamps.block_gps_solution, full.block_gps_solution)
    assert stamps.samples == full.iq.size
    assert set(np.unique(stamps.block_gps_solution)) <= set(range(6))  # a fresh fix every ~5 s


def test_a_file_padded_with_zeros_is_refused_at_the_first_junk_byte(tmp_path: Path) -> None:
    """Zeros after the last chunk used to be walked 8 bytes at a time (80 ms per MiB) and accepted;
    the reader now stops at the first byte that cannot start a chunk, and says where."""
    from heimdall.formats.kiwi import read_kiwi_stamps

    path, _ = _synthetic(tmp_path, np.random.default_rng(6), samples=512 * 5)
    size = path.stat().st_size
    path.write_bytes(path.read_bytes() + bytes(4 << 20))
    for reader in (read_kiwi_wav, read_kiwi_stamps):
        with pytest.raises(InvalidInput, match=f"{4 << 20} bytes of trailing junk at byte {size}"):
            reader(path)


def test_a_zero_sample_rate_is_reported_as_such(tmp_path: Path) -> None:
    path, _ = _synthetic(tmp_path, np.random.default_rng(7), samples=512 * 5)
    raw = path.read_bytes()
    path.write_bytes(raw[:24] + (0).to_bytes(4, "little") + raw[28:])  # fmt's sample rate
    with pytest.raises(InvalidInput, match="sample rate of 0 Hz"):
        read_kiwi_wav(path)


@pytest.mark.parametrize("length", [11, 16, 20, 35])
def test_a_wav_truncated_to_a_few_bytes_is_called_truncated(tmp_path: Path, length: int) -> None:
    from heimdall.capture.loading import recording_kind

    path, _ = _synthetic(tmp_path, np.random.default_rng(8), samples=512 * 5)
    path.write_bytes(path.read_bytes()[:length])
    with pytest.raises(InvalidInput, match=f"truncated: {length} bytes") as info:
        recording_kind(path)
    assert "GNSS" not in info.value.message
