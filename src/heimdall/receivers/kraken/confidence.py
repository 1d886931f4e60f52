"""A KrakenSDR's confidence (dB) as a bearing standard deviation (degrees).

The DSP's confidence is ``10 log10(max P / mean P)`` of its linear pseudo-spectrum P over 360
one-degree bins (``calculate_doa_papr``). ``360 / 10^(confidence / 10)`` is then the spectrum's
*equivalent width*: the width, in degrees, of a rectangle as tall as the peak holding the whole
spectrum's area. A Gaussian peak of standard deviation s on no floor has equivalent width
``s sqrt(2 pi)``, so

    sigma_spectrum = 360 / (sqrt(2 pi) 10^(confidence / 10))     degrees

and any floor (noise, multipath, a second source) widens it, as it should. The bearing's sigma
adds, in quadrature, a floor for what no spectrum shows (array calibration residuals, scattering
near the antennas, the 1-degree DoA grid) and the heading's own uncertainty; it is capped at
``max_sigma_deg``, and a capped bearing is flagged as carrying no usable direction. The reasoning,
its limits (for a beamformer such as Bartlett the spectrum's width is the array's beam, wider than
its error at high SNR, so the mapping is conservative there) and the numbers that check it are in
docs/receivers.md, "KrakenSDR: confidence to sigma".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from heimdall.errors import InvalidInput

SQRT_2PI = math.sqrt(2.0 * math.pi)
FULL_CIRCLE_DEG = 360.0


@dataclass(frozen=True)
class ConfidenceModel:
    floor_deg: float = 3.0
    max_sigma_deg: float = 60.0
    unknown_confidence_sigma_deg: float = 15.0  # formats that carry no confidence (RDF Mapper)
    spectral_scale: float = 1.0  # < 1 for a station whose bearings were checked against known transmitters

    def __post_init__(self) -> None:
        values = (self.floor_deg, self.max_sigma_deg, self.unknown_confidence_sigma_deg, self.spectral_scale)
        if not all(math.isfinite(v) and v >= 0 for v in values) or self.max_sigma_deg <= 0:
            raise InvalidInput("confidence model values must be finite and >= 0, max_sigma_deg > 0", field="floor_deg")

    def spectrum_sigma_deg(self, confidence_db: float) -> float:
        """The spread of the pseudo-spectrum's peak implied by its peak-to-average ratio."""
        ratio = math.pow(10.0, max(confidence_db, 0.0) / 10.0)
        return self.spectral_scale * FULL_CIRCLE_DEG / (SQRT_2PI * ratio)

    def sigma_deg(self, confidence_db: float | None, heading_sigma_deg: float = 0.0) -> tuple[float, bool]:
        """The bearing's 1-sigma in degrees, and whether it hit the cap (no usable direction)."""
        spectral = (self.unknown_confidence_sigma_deg if confidence_db is None
                    else self.spectrum_sigma_deg(confidence_db))
        sigma = math.sqrt(spectral**2 + self.floor_deg**2 + heading_sigma_deg**2)
        if sigma >= self.max_sigma_deg:
            return self.max_sigma_deg, True
        return sigma, False
