"""Delays of several receivers against a reference from several segments checked against each other.

The common record is cut into K segments (about one per second, 4 to 12). Each segment gives its own
delay and first-order sigma (``spectral_model``'s coherence model); a segment whose delay is
inconsistent with the others (interference, a glitch, a wrong peak at low SNR) is rejected, and the
delay is the peak of the coherent sum of the accepted segments' cross spectra (the whole record's
correlation when none is rejected: no information is lost by cutting). The scatter of the accepted
segments about it is evidence for the sigma: their chi-square per degree of freedom (the Birge ratio)
scales the summed record's model sigma when it is above 1. A signal whose delay wanders (multipath
that changes within seconds, a drifting clock) shows it there even when the model cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sfft

from heimdall.errors import InvalidInput
from heimdall.rf.measure.delay import Peaks, check_weighting, correlate_pairs
from heimdall.rf.measure.spectral_model import CrossSpectra
from heimdall.rf.phasor import unit_phasor

SEGMENT_S = 1.0
MIN_SEGMENTS, MAX_SEGMENTS = 4, 12
Z_REJECT = 4.0  # |z| beyond 4 has probability ~6e-5 per Gaussian segment
TIMING_BINS = 128  # frequency bins of the coarse timing spectrum handed to the propagation model


@dataclass(frozen=True)
class SegmentedDelay:
    delay_s: float  # arrival at the row minus arrival at the reference, from the accepted segments
    sigma_s: float  # model_sigma_s scaled by max(1, scatter_ratio)
    model_sigma_s: float  # first-order sigma of the accepted segments' summed correlation
    scatter_ratio: float  # sqrt(chi-square / dof) of the accepted segments about delay_s (nan: < 2)
    peak_ratio: float
    segment_delay_s: NDArray[np.float64]  # (K,)
    segment_sigma_s: NDArray[np.float64]  # (K,)
    accepted: NDArray[np.bool_]  # (K,)
    timing_frequency_hz: NDArray[np.float64]  # (TIMING_BINS,) centre of each coarse bin
    timing_weight: NDArray[np.float64]  # (TIMING_BINS,) share of weighting x coherent power: what sets the delay
    weighting: str = "plain"


def segment_count(samples: int, lag_limit: int, sample_rate_hz: float) -> int:
    """About one segment per second, 4 to 12, each at least 16 search windows long (1: too short)."""
    wanted = int(np.clip(round(samples / sample_rate_hz / SEGMENT_S), MIN_SEGMENTS, MAX_SEGMENTS))
    longest = samples // max(64, 16 * (2 * lag_limit + 1))
    return wanted if longest >= wanted else (longest if longest >= MIN_SEGMENTS else 1)


def segmented_delays(aligned: NDArray[np.complexfloating], sample_rate_hz: float, *, max_delay_s: float,
                     reference: int = 0, weighting: str = "auto") -> list[SegmentedDelay | None]:
    """Delay of every row of ``aligned`` (R, N: one time grid) against row ``reference`` (None for
    it), each searched within +-``max_delay_s``.

    ``weighting``: any of ``gcc_delay``'s, or ``"auto"``: per pair, whichever of ``"plain"`` and
    ``"band"`` ends with the smaller sigma after the segments' check. Plain correlation keeps every
    bin, so a spread spectrum too weak per bin to stand out (DCF77's phase modulation at the noisy
    DF0KL) still adds up; but a narrow signal in a wide band correlates mostly noise, whose wiggles
    then decide the peak (50 Hz in a Kiwi's 6 kHz: ~9x the CRLB, and a first-order sigma 4x short).
    ``"band"`` keeps only the bins whose coherence stands out: at the CRLB there, and on DCF77 10-14
    us worse with segments that disagree (Birge ratio ~3.5). The segments' own evidence chooses."""
    iq = np.asarray(aligned)
    if iq.ndim != 2 or iq.shape[0] < 2 or iq.shape[1] < 64 or not np.all(np.isfinite(iq)):
        raise InvalidInput("aligned recordings must be (rows >= 2, samples >= 64) of finite samples")
    if weighting != "auto":
        check_weighting(weighting, "coherence")
    if not (sample_rate_hz > 0 and max_delay_s > 0):
        raise InvalidInput("sample_rate_hz and max_delay_s must be positive")
    rows, n = iq.shape
    lag = int(min(np.ceil(max_delay_s * sample_rate_hz), n // 8))
    count = segment_count(n - 2 * lag, lag, sample_rate_hz)
    others = [r for r in range(rows) if r != reference]
    pairs = _segment_spectra(iq, reference, others, lag, count)
    out: list[SegmentedDelay | None] = [None] * rows
    for mode in ("plain", "band") if weighting == "auto" else (weighting,):
        per_segment = correlate_pairs(pairs, mode, np.full(len(others) * count, lag), "coherence")
        for index, row in enumerate(others):
            block = slice(index * count, (index + 1) * count)
            found = _combine(pairs, block, per_segment, mode, lag, sample_rate_hz)
            current = out[row]
            if current is None or found.sigma_s < current.sigma_s:
                out[row] = found
    return out


def _segment_spectra(iq: NDArray[np.complexfloating], reference: int, others: list[int], lag: int,
                     count: int) -> CrossSpectra:
    """Each pair's segment cross spectra, (len(others) * count) rows: the reference's segment of L
    samples against the other's reaching ``lag`` samples further on both sides, so that every lag
    within +-lag sums all L products (no taper towards the ends of the window, whatever the
    weighting), shifted so that index tau holds lag tau."""
    length = (iq.shape[1] - 2 * lag) // count
    size = sfft.next_fast_len(length + 2 * lag + 1)
    starts = lag + np.arange(count) * length
    reference_fft = sfft.fft(iq[reference][starts[:, None] + np.arange(length)], size, axis=-1)  # (K, size)
    extended = (starts - lag)[:, None] + np.arange(length + 2 * lag)
    others_fft = sfft.fft(iq[others][:, extended], size, axis=-1).reshape(-1, size)  # (len(others) * K, size)
    omega = 2.0 * np.pi * sfft.fftfreq(size)
    cycles = np.arange(size) * lag % size / size  # exp(j omega lag), wrapped before the phasor
    centred = others_fft * unit_phasor(2.0 * np.pi * cycles)
    tiled = np.tile(reference_fft, (len(others), 1))
    return CrossSpectra(np.conj(tiled) * centred, tiled.real**2 + tiled.imag**2,
                        others_fft.real**2 + others_fft.imag**2, omega, length, np.ones(tiled.shape[0]), lag)


def _combine(pairs: CrossSpectra, block: slice, per_segment: Peaks, weighting: str, lag: int,
             sample_rate_hz: float) -> SegmentedDelay:
    """Reject inconsistent segments and correlate the sum of the accepted ones."""
    delays = per_segment.delay_samples[block]
    sigmas = per_segment.sigma_samples[block]
    accepted = np.isfinite(sigmas)
    if accepted.sum() < 2:
        accepted[:] = True
    # rejection against the segments' median, not their sum (a strong interferer in one segment can
    # own the sum's peak), and against their own robust spread as well as their sigmas: where a
    # segment holds little signal its first-order sigma is no guide. Only a minority may go (at most
    # a quarter): when half the segments disagree with the other half, no majority says which is right
    centre = float(np.median(delays[accepted]))
    spread = 1.4826 * float(np.median(np.abs(delays[accepted] - centre)))
    finite = np.isfinite(sigmas) & accepted
    typical = max(float(np.median(sigmas[finite])) if finite.any() else np.inf, spread)
    z = np.abs(_z_scores(delays, sigmas, centre, typical))
    worst = np.argsort(np.where(accepted, -z, np.inf))[: delays.size // 4]
    accepted[worst[z[worst] > Z_REJECT]] = False
    summed = _correlate_sum(pairs, block, accepted, weighting, lag)
    # the summed record's sigma scaled to one segment is the steadier floor once the segments are chosen
    typical = float(summed.sigma_samples[0]) * np.sqrt(accepted.sum())
    z = _z_scores(delays, sigmas, float(summed.delay_samples[0]), typical)
    dof = int(accepted.sum()) - 1
    ratio = float(np.sqrt(np.sum(z[accepted] ** 2) / dof)) if dof >= 1 else float("nan")
    model_sigma = float(summed.sigma_samples[0])
    frequency_hz, weight = _timing_spectrum(summed.timing_weight[0], pairs.omega, sample_rate_hz)
    return SegmentedDelay(
        delay_s=float(summed.delay_samples[0]) / sample_rate_hz,
        sigma_s=model_sigma * max(1.0, ratio if np.isfinite(ratio) else 1.0) / sample_rate_hz,
        model_sigma_s=model_sigma / sample_rate_hz, scatter_ratio=ratio, peak_ratio=float(summed.peak_ratio[0]),
        segment_delay_s=delays / sample_rate_hz, segment_sigma_s=sigmas / sample_rate_hz, accepted=accepted,
        timing_frequency_hz=frequency_hz, timing_weight=weight, weighting=weighting,
    )


def _z_scores(delays: NDArray[np.float64], sigmas: NDArray[np.float64], centre: float,
              typical: float) -> NDArray[np.float64]:
    """Each segment's offset from ``centre`` over its sigma, never below a ``typical`` segment's: a
    single segment's first-order sigma is noisy at a few dB of SNR (its measured curvature holds the
    noise's too) and would otherwise reject or inflate on noise."""
    return (delays - centre) / np.maximum(np.where(np.isfinite(sigmas), sigmas, np.inf), typical)


def _correlate_sum(pairs: CrossSpectra, block: slice, accepted: NDArray[np.bool_], weighting: str, lag: int) -> Peaks:
    chosen = np.flatnonzero(accepted) + block.start
    summed = CrossSpectra(pairs.cross[chosen].sum(axis=0)[None], pairs.power_a[chosen].sum(axis=0)[None],
                          pairs.power_b[chosen].sum(axis=0)[None], pairs.omega, pairs.independent_bins,
                          np.array([float(chosen.size)]), pairs.extension)
    return correlate_pairs(summed, weighting, np.array([lag]), "coherence")


def _timing_spectrum(weight: NDArray[np.float64], omega: NDArray[np.float64],
                     sample_rate_hz: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """|weight| summed into TIMING_BINS bins across (-fs/2, fs/2], normalised to a sum of 1."""
    frequency_hz = omega * sample_rate_hz / (2.0 * np.pi)
    edges = np.linspace(-sample_rate_hz / 2.0, sample_rate_hz / 2.0, TIMING_BINS + 1)
    index = np.clip(np.searchsorted(edges, frequency_hz, side="right") - 1, 0, TIMING_BINS - 1)
    binned = np.bincount(index, weights=np.abs(weight), minlength=TIMING_BINS).astype(np.float64)
    total = binned.sum()
    return 0.5 * (edges[1:] + edges[:-1]), binned / total if total > 0 else binned
