"""Calibrations: fit each receiver's systematic offsets from captures of reference transmitters, store
them with their evidence, let a user reject one, and correct every localization with the newest one
that applies (docs/calibration.md, "Calibrations as a resource")."""

from heimdall.services.calibrations.service import TOPIC, CalibrationService

__all__ = ["TOPIC", "CalibrationService"]
