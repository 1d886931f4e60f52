"""Checks on the fields of a reference transmitter: each failure is one line naming the field."""

from __future__ import annotations

import math
from typing import Any

from heimdall.errors import InvalidInput
from heimdall.store.tables.references import REFERENCE_KINDS

EDITABLE_FIELDS = ("name", "kind", "lat", "lon", "alt_m", "frequencies_hz", "eirp_dbm", "eirp_sigma_db",
                   "position_sigma_m", "source", "notes", "enabled")
REQUIRED_FIELDS = ("name", "lat", "lon", "frequencies_hz")
MAX_FREQUENCIES = 32
MAX_FREQUENCY_HZ = 300e9
MAX_TEXT_CHARS = 2000
DEFAULTS: dict[str, Any] = {"kind": "other", "alt_m": 0.0, "eirp_dbm": None, "eirp_sigma_db": None,
                            "position_sigma_m": 0.0, "source": "", "notes": "", "enabled": True}


def validate_reference(fields: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The checked values of ``fields`` (all required ones unless ``partial``), defaults filled when not."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown or read-only reference field {unknown[0]!r}", field=unknown[0])
    if not partial:
        missing = [name for name in REQUIRED_FIELDS if name not in fields]
        if missing:
            raise InvalidInput(f"{missing[0]} is required", field=missing[0])
        fields = {**DEFAULTS, **fields}
    return {name: _CHECKS[name](value, name) for name, value in fields.items()}


def _name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name must be a non-empty string", field=field)
    if len(value.strip()) > 200:
        raise InvalidInput("name must be at most 200 characters", field=field)
    return value.strip()


def _kind(value: Any, field: str) -> str:
    if value not in REFERENCE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(REFERENCE_KINDS)}", field=field)
    return str(value)


def _number(value: Any, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a finite number", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"{field} must be between {low:g} and {high:g}", field=field)
    return float(value)


def _optional_number(low: float, high: float) -> Any:
    def check(value: Any, field: str) -> float | None:
        return None if value is None else _number(value, field, low, high)
    return check


def _frequencies(value: Any, field: str) -> list[float]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("frequencies_hz must be a non-empty list of frequencies in Hz", field=field)
    if len(value) > MAX_FREQUENCIES:
        raise InvalidInput(f"frequencies_hz holds at most {MAX_FREQUENCIES} frequencies", field=field)
    checked = [_number(item, field, 1.0, MAX_FREQUENCY_HZ) for item in value]
    if len(set(checked)) != len(checked):
        raise InvalidInput("frequencies_hz must not repeat a frequency", field=field)
    return sorted(checked)


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        raise InvalidInput(f"{field} must be a string of at most {MAX_TEXT_CHARS} characters", field=field)
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


_CHECKS: dict[str, Any] = {
    "name": _name, "kind": _kind,
    "lat": lambda v, f: _number(v, f, -90.0, 90.0), "lon": lambda v, f: _number(v, f, -180.0, 180.0),
    "alt_m": lambda v, f: _number(v, f, -500.0, 100_000.0),
    "frequencies_hz": _frequencies,
    "eirp_dbm": _optional_number(-50.0, 120.0), "eirp_sigma_db": _optional_number(0.0, 60.0),
    "position_sigma_m": lambda v, f: _number(v, f, 0.0, 100_000.0),
    "source": _text, "notes": _text, "enabled": _flag,
}
