"""The power model: per-band offsets to dBm, honest sigma when uncalibrated, refusal of what cannot compare."""

from __future__ import annotations

import math

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx.power import (
    UNCALIBRATED_OFFSET_DB,
    UNCALIBRATED_SIGMA_DB,
    BandOffset,
    GainMode,
    GainState,
    PowerFlag,
    PowerModel,
    PowerReading,
)

GAIN = GainState(GainMode.MANUAL, "rtl|2m", 145e6, 2.4e6, -95.0, 0.2)


def reading(power_dbfs: float = -60.0, frequency_hz: float = 145.5e6, *flags: PowerFlag) -> PowerReading:
    return PowerReading("rx", 1.7e9, frequency_hz, 12_500.0, power_dbfs, GAIN, frozenset(flags))


def test_calibrated_band() -> None:
    model = PowerModel([BandOffset(144e6, 146e6, -62.0, 1.5)])
    power = model.to_dbm(reading(-60.0))
    assert power.calibrated
    assert power.power_dbm == pytest.approx(-122.0)
    assert power.sigma_db == pytest.approx(math.hypot(1.5, 0.5))


def test_narrowest_band_wins_and_others_fall_back_to_the_prior() -> None:
    model = PowerModel([BandOffset(30e6, 1e9, -50.0, 4.0), BandOffset(144e6, 146e6, -62.0, 1.0)])
    assert model.to_dbm(reading(frequency_hz=145.5e6)).power_dbm == pytest.approx(-122.0)
    assert model.to_dbm(reading(frequency_hz=433.6e6)).power_dbm == pytest.approx(-110.0)
    prior = model.to_dbm(reading(frequency_hz=1.3e9))
    assert not prior.calibrated
    assert prior.power_dbm == pytest.approx(-60.0 + UNCALIBRATED_OFFSET_DB)
    assert prior.sigma_db == pytest.approx(math.hypot(UNCALIBRATED_SIGMA_DB, 0.5))


def test_unknown_gain_widens_sigma() -> None:
    model = PowerModel([BandOffset(144e6, 146e6, -62.0, 1.0)])
    known = model.to_dbm(reading()).sigma_db
    unknown = model.to_dbm(reading(-60.0, 145.5e6, PowerFlag.GAIN_UNKNOWN)).sigma_db
    assert unknown == pytest.approx(math.sqrt(known**2 + 1.7**2))


@pytest.mark.parametrize("flag", [PowerFlag.AGC, PowerFlag.GAIN_CHANGED, PowerFlag.CLIPPED, PowerFlag.SETTLING])
def test_incomparable_readings_are_refused(flag: PowerFlag) -> None:
    r = reading(-60.0, 145.5e6, flag, PowerFlag.GAIN_UNKNOWN)
    assert not r.comparable
    with pytest.raises(InvalidInput, match=flag.value):
        PowerModel().to_dbm(r)


def test_band_validation() -> None:
    for bad in [(146e6, 144e6, -60.0, 1.0), (144e6, 146e6, math.nan, 1.0), (144e6, 146e6, -60.0, 0.0),
                (-1.0, 146e6, -60.0, 1.0)]:
        with pytest.raises(InvalidInput):
            BandOffset(*bad)
    with pytest.raises(InvalidInput):
        PowerModel().to_dbm(reading(math.inf))
