"""Which OpenWebRX profile to listen on, and whether we may switch to it.

A profile (one SDR, one centre frequency and sample rate) is shared by everyone on that SDR:
switching it retunes every other listener. So we take the current profile whenever it covers the
channel, switch only when nobody else is connected (the ``clients`` count, which includes us, is
1), and refuse with ``profile_in_use`` otherwise; an unknown count counts as "others may listen".

Coverage: the channel ``frequency_hz +- bandwidth_hz / 2`` must lie inside the middle
``USABLE_FRACTION`` of the sampled band. The outer edges are the SDR's anti-alias roll-off (a
channel there reads low by an amount nobody calibrated) and OpenWebRX+ greys them out as well.
Among several covering profiles the one with the most room between the channel and the nearer
usable edge wins (the flattest part of the SDR's response, and room for a drifting transmitter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx.messages import WsProfile
from heimdall.receivers.openwebrx.status import StatusProfile
from heimdall.receivers.states import ReceiverRefused, RefusalReason

USABLE_FRACTION = 0.9


@dataclass(frozen=True)
class Profile:
    key: str  # "<sdr id>|<profile id>", what selectprofile takes
    name: str
    center_frequency_hz: float
    sample_rate_hz: float

    def margin_hz(self, frequency_hz: float, bandwidth_hz: float) -> float:
        """How far the channel's nearer edge lies inside the usable band (negative: outside)."""
        half_usable = USABLE_FRACTION * self.sample_rate_hz / 2
        return half_usable - abs(frequency_hz - self.center_frequency_hz) - bandwidth_hz / 2

    def covers(self, frequency_hz: float, bandwidth_hz: float) -> bool:
        return self.margin_hz(frequency_hz, bandwidth_hz) >= 0


@dataclass(frozen=True)
class ProfileChoice:
    profile: Profile
    switch: bool  # False: the current profile already covers the channel


def join_profiles(ws_profiles: Sequence[WsProfile], status_profiles: Sequence[StatusProfile]) -> list[Profile]:
    """The WebSocket's selectable profiles with the frequency range the status gives each.

    Joined by name (``"<sdr name> <profile name>"`` on both sides); a WebSocket profile whose name
    the status lacks, or that two status profiles share, is left out: we cannot tell what it covers.
    """
    by_label: dict[str, list[StatusProfile]] = {}
    for profile in status_profiles:
        by_label.setdefault(profile.label, []).append(profile)
    joined = []
    for ws in ws_profiles:
        matches = by_label.get(ws.name, [])
        if len(matches) == 1:
            joined.append(Profile(ws.key, ws.name, matches[0].center_frequency_hz, matches[0].sample_rate_hz))
    return joined


def choose_profile(current: Profile | None, profiles: Sequence[Profile], frequency_hz: float, bandwidth_hz: float,
                   other_users: int | None) -> ProfileChoice:
    """The profile to measure ``frequency_hz`` on; ReceiverRefused ``out_of_range`` when none covers it,
    ``profile_in_use`` when only a switch would do and others are (or may be) listening."""
    if frequency_hz <= 0 or bandwidth_hz <= 0:
        raise InvalidInput("frequency_hz and bandwidth_hz must be positive", field="frequency_hz")
    if current is not None and current.covers(frequency_hz, bandwidth_hz):
        return ProfileChoice(current, switch=False)
    covering = [p for p in profiles if p.covers(frequency_hz, bandwidth_hz)]
    if not covering:
        raise ReceiverRefused(RefusalReason.OUT_OF_RANGE,
                              f"no profile covers {frequency_hz:.0f} Hz +- {bandwidth_hz / 2:.0f} Hz")
    best = max(covering, key=lambda p: p.margin_hz(frequency_hz, bandwidth_hz))
    if other_users is None or other_users > 0:
        who = "an unknown number of users" if other_users is None else f"{other_users} other user(s)"
        raise ReceiverRefused(RefusalReason.PROFILE_IN_USE,
                              f"{frequency_hz:.0f} Hz needs profile {best.name!r}, but {who} listen on this receiver")
    return ProfileChoice(best, switch=True)
