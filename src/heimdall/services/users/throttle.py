"""Failed sign-ins per key (a client address, a user name) in a sliding window: past the limit, 429."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

MAX_KEYS = 10_000


class LoginThrottle:
    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after_s(self, *keys: str) -> float:
        """0 when every key may try again now; else the seconds until the oldest failure ages out."""
        now = self._clock()
        with self._lock:
            waits = [self._wait(key, now) for key in keys]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                self._failures.clear()  # memory bound under a spray of addresses; limits restart
            for key in keys:
                self._failures[key].append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _wait(self, key: str, now: float) -> float:
        failures = self._failures.get(key)
        if not failures:
            return 0.0
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        if len(failures) < self.max_failures:
            return 0.0
        return self.window_s - (now - failures[0])
