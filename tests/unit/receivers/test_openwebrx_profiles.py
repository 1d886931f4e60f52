"""Profile choice: keep the current one when it covers the channel, never switch under other users."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx.messages import WsProfile
from heimdall.receivers.openwebrx.profiles import USABLE_FRACTION, Profile, choose_profile, join_profiles
from heimdall.receivers.openwebrx.status import StatusProfile
from heimdall.receivers.states import ReceiverRefused, RefusalReason

TWO_M = Profile("rtl|2m", "RTL 2m", 145_000_000, 2_400_000)
SEVENTY = Profile("rtl|70cm", "RTL 70cm", 433_500_000, 2_400_000)
WIDE_70 = Profile("airspy|70", "Airspy 70", 434_000_000, 10_000_000)


def test_coverage_uses_the_middle_of_the_band() -> None:
    edge = TWO_M.center_frequency_hz + USABLE_FRACTION * TWO_M.sample_rate_hz / 2
    assert TWO_M.covers(edge - 6_250, 12_500)
    assert not TWO_M.covers(edge - 6_000, 12_500)
    assert not TWO_M.covers(145_000_000 + 1_190_000, 12_500)  # inside the sampled band, in the roll-off


def test_join_by_name_and_skip_what_cannot_be_placed() -> None:
    status = [StatusProfile("RTL", "RtlSdrSource", "2m", 145e6, 2.4e6), StatusProfile("RTL", "x", "70cm", 433.5e6, 2.4e6),
              StatusProfile("Dup", "x", "a", 1e8, 1e6), StatusProfile("Dup", "x", "a", 2e8, 1e6)]
    ws = [WsProfile("rtl|2m", "RTL 2m"), WsProfile("rtl|70cm", "RTL 70cm"), WsProfile("d|a", "Dup a"),
          WsProfile("q|q", "Unknown")]
    assert join_profiles(ws, status) == [TWO_M, SEVENTY]


def test_current_profile_is_kept_even_with_others_listening() -> None:
    choice = choose_profile(TWO_M, [TWO_M, SEVENTY], 145_500_000, 12_500, other_users=None)
    assert choice.profile == TWO_M and not choice.switch


def test_switch_when_alone_to_the_profile_with_most_margin() -> None:
    choice = choose_profile(TWO_M, [TWO_M, SEVENTY], 433_600_000, 12_500, other_users=0)
    assert choice.switch and choice.profile == SEVENTY
    # 4.09 MHz of room to the nearer usable edge in WIDE_70 against 0.97 MHz in SEVENTY
    choice = choose_profile(TWO_M, [TWO_M, SEVENTY, WIDE_70], 433_600_000, 12_500, other_users=0)
    assert choice.switch and choice.profile == WIDE_70
    choice = choose_profile(None, [SEVENTY, WIDE_70], 436_000_000, 25_000, other_users=0)
    assert choice.switch and choice.profile == WIDE_70


@pytest.mark.parametrize("others", [1, 4, None])
def test_never_switch_while_others_may_listen(others: int | None) -> None:
    with pytest.raises(ReceiverRefused) as caught:
        choose_profile(TWO_M, [TWO_M, SEVENTY], 433_600_000, 12_500, other_users=others)
    assert caught.value.reason is RefusalReason.PROFILE_IN_USE and caught.value.reason.retryable
    assert "RTL 70cm" in caught.value.message


def test_out_of_range() -> None:
    with pytest.raises(ReceiverRefused) as caught:
        choose_profile(TWO_M, [TWO_M, SEVENTY], 1_296_000_000, 12_500, other_users=0)
    assert caught.value.reason is RefusalReason.OUT_OF_RANGE and not caught.value.reason.retryable
    with pytest.raises(InvalidInput):
        choose_profile(TWO_M, [TWO_M], -1.0, 12_500, other_users=0)
