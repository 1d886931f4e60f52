"""The window of a capture: fixed at start_at, or right after every receiver still in the race is ready."""

from __future__ import annotations

import asyncio
import time

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.kiwisdr.network_recorder import CaptureSpec, StartGate


class Clock:
    def __init__(self) -> None:
        self.now_ns = 1_000_000_000_000

    def __call__(self) -> int:
        return self.now_ns


async def test_a_fixed_start_is_the_window_and_the_retry_deadline() -> None:
    clock = Clock()
    gate = StartGate(CaptureSpec(77_500, 10_000, 5.0, start_utc_ns=clock.now_ns + 3_000_000_000), ["a", "b"], clock)
    window = await gate.window()
    assert window.start_utc_ns == clock.now_ns + 3_000_000_000 and window.duration_s == 5.0
    assert gate.deadline_ns == window.start_utc_ns


async def test_the_window_starts_a_margin_after_the_last_receiver_is_ready_or_gone() -> None:
    clock = Clock()
    gate = StartGate(CaptureSpec(77_500, 10_000, 5.0, start_margin_s=0.25), ["a", "b", "c"], clock)
    waiting = asyncio.create_task(gate.window())
    gate.leave("a")
    gate.leave("b")
    await asyncio.sleep(0.01)
    assert not waiting.done()  # "c" is still connecting
    clock.now_ns += 2_000_000_000
    gate.leave("c")  # ready, or failed: nobody waits for it any longer
    window = await asyncio.wait_for(waiting, 5)
    assert window.start_utc_ns == clock.now_ns + 250_000_000
    assert (await gate.window()) is window  # one window for all
    assert gate.deadline_ns == window.start_utc_ns


async def test_a_late_receiver_is_not_waited_for_beyond_the_ready_timeout() -> None:
    gate = StartGate(CaptureSpec(77_500, 10_000, 5.0, ready_timeout_s=0.05), ["a", "late"], time.time_ns)
    gate.leave("a")
    window = await asyncio.wait_for(gate.window(), 5)
    assert window.duration_s == 5.0


def test_the_duration_is_checked() -> None:
    with pytest.raises(InvalidInput):
        CaptureSpec(77_500, 10_000, 0.0)
