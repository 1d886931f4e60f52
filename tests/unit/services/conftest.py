"""Services of the test platform (the composition root over a real, migrated SQLite file), with a
recorder listening to everything they publish."""

from __future__ import annotations

from typing import Any

import pytest

from heimdall.services.networks import NetworkService
from heimdall.services.receivers import ReceiverService
from support.events import EventRecorder


@pytest.fixture
def session_factory(platform):
    return platform.session_factory


@pytest.fixture
def events(platform) -> EventRecorder:
    """What the platform's services publish, as (topic, event, data), in order."""
    recorder = EventRecorder()
    platform.publish.add_listener(recorder)
    return recorder


@pytest.fixture
def receivers(platform, events) -> ReceiverService:
    return platform.receivers


@pytest.fixture
def networks(platform, events) -> NetworkService:
    return platform.networks


def kiwi_fields(name: str = "kiwi-a", **overrides: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "kiwisdr",
        "url": "http://kiwi.example:8073",
        "lat": 45.1,
        "lon": 7.6,
        "alt_m": 250.0,
        **overrides,
    }


@pytest.fixture
def kiwi():
    """A factory of valid KiwiSDR receiver fields, with overrides."""
    return kiwi_fields


def g7_tdoa_measurement_set(
    truth_lat: float = 45.12, truth_lon: float = 7.43, **extra: Any
) -> dict[str, Any]:
    """Noiseless TDoA of G7 rx1..rx6 against rx0 for a transmitter at ground level (RF_NOTES section 3)."""
    import numpy as np

    from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
    from heimdall.services.networks import g7_receiver_fields

    positions = np.array([[r["lat"], r["lon"], r["alt_m"]] for r in g7_receiver_fields()])
    receiver_ecef = geodetic_to_ecef(positions[:, 0], positions[:, 1], positions[:, 2])
    range_m = np.linalg.norm(receiver_ecef - geodetic_to_ecef(truth_lat, truth_lon, 0.0), axis=-1)
    ids = [f"rx{index}" for index in range(len(positions))]
    return {
        "frequency_hz": 145_500_000,
        "receivers": [
            {"id": rid, "lat": lat, "lon": lon, "alt_m": alt}
            for rid, (lat, lon, alt) in zip(ids, positions.tolist(), strict=True)
        ],
        "tdoa": [
            {
                "receiver": ids[i],
                "reference": "rx0",
                "tdoa_s": float((range_m[i] - range_m[0]) / SPEED_OF_LIGHT_M_S),
                "sigma_s": 2.05e-7,
            }
            for i in range(1, len(ids))
        ],
        **extra,
    }


@pytest.fixture
def g7_tdoa():
    """A factory of noiseless G7 TDoA measurement sets: ``g7_tdoa(truth_lat, truth_lon, **extra)``."""
    return g7_tdoa_measurement_set
