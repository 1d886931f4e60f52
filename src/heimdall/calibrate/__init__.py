"""Calibration against known transmitters: per-receiver systematic offsets (timing, gain, bearing).

    from heimdall.calibrate import Reference, calibrate, apply_calibration
    calibration = calibrate([Reference(ms, lat, lon), ...])     # InvalidInput / InsufficientData
    corrected = apply_calibration(ms, calibration)               # what every localizer is given
    calibration.to_dict()                                        # stored; calibration_from_dict reads it

The model, the gauge of relative offsets and how uncertainties propagate: docs/calibration.md.
"""

from heimdall.calibrate.apply import apply_calibration, independent_variances
from heimdall.calibrate.design import BEARING, GAIN, QUANTITIES, TIMING
from heimdall.calibrate.fit import calibrate
from heimdall.calibrate.model import ZERO_MEAN, Calibration, OffsetCalibration, calibration_from_dict
from heimdall.calibrate.references import Reference, parse_references

__all__ = [
    "BEARING",
    "GAIN",
    "QUANTITIES",
    "TIMING",
    "ZERO_MEAN",
    "Calibration",
    "OffsetCalibration",
    "Reference",
    "apply_calibration",
    "calibrate",
    "calibration_from_dict",
    "independent_variances",
    "parse_references",
]
