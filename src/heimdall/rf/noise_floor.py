"""The noise floor of a power stream: a quantile of the recent readings taken while the channel is idle."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque


class NoiseFloor:
    """The ``quantile`` of the readings of the last ``window_s`` of idle time.

    Time only counts while idle (``add``'s ``idle_dt_s``), so after a long transmission the window
    still holds the readings from before it rather than none. A sorted list keeps each update at a
    bisection plus a short memmove.
    """

    def __init__(self, window_s: float, quantile: float, min_readings: int) -> None:
        self.window_s = window_s
        self.quantile = quantile
        self.min_readings = min_readings
        self.reset()

    def reset(self) -> None:
        self._clock_s = 0.0
        self._fifo: deque[tuple[float, float]] = deque()
        self._sorted: list[float] = []

    def add(self, power_db: float, idle_dt_s: float) -> None:
        self._clock_s += idle_dt_s
        self._fifo.append((self._clock_s, power_db))
        insort(self._sorted, power_db)
        while self._fifo[0][0] < self._clock_s - self.window_s:
            _, old = self._fifo.popleft()
            del self._sorted[bisect_left(self._sorted, old)]

    @property
    def level_db(self) -> float | None:
        """The floor, or None while fewer than ``min_readings`` idle readings are known."""
        n = len(self._sorted)
        if n < self.min_readings:
            return None
        position = self.quantile * (n - 1)
        low = int(position)
        high = min(low + 1, n - 1)
        return self._sorted[low] + (self._sorted[high] - self._sorted[low]) * (position - low)
