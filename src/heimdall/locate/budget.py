"""What one localization may spend, and how another thread stops it.

A ``Budget`` holds a deadline (seconds after its creation, on a monotonic clock) and a cancellation
flag that any thread may raise. The estimator calls ``enter(stage)`` between its stages and
``spend(...)`` at every likelihood evaluation, which is where all its time goes (grid chunks,
Levenberg-Marquardt iterations, posterior rounds), so a localization stops within one evaluation
(milliseconds) of its deadline or of ``cancel()``: ``BudgetExceeded`` or ``Cancelled``, never a
thread left running.

It also counts the work done (``work``: likelihood evaluations as points x measurements, global
solves, fits, outlier refits), which is what tests bound instead of timings.

Layers that do not know about budgets (method resolvers, model serving) are crossed by making the
budget ambient: ``with budget.active(): ...``. ``locate`` takes an explicit budget first, then the
ambient one, else an unlimited one (benchmarks, library use).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from heimdall.errors import BudgetExceeded, Cancelled

_CURRENT: ContextVar[Budget | None] = ContextVar("heimdall_locate_budget", default=None)


class Budget:
    """A deadline of ``seconds`` (None: none) from now, a cancellation flag and work counters."""

    def __init__(self, seconds: float | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._started = clock()
        self._cancelled = threading.Event()
        self._reason = ""
        self.stage = "start"
        self.work: Counter[str] = Counter()

    @property
    def elapsed_s(self) -> float:
        return self._clock() - self._started

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self, reason: str) -> None:
        """Ask the work to stop at its next check (thread-safe; the first reason is kept)."""
        if not self._cancelled.is_set():
            self._reason = reason
            self._cancelled.set()

    def enter(self, stage: str) -> None:
        """A new stage begins (named in errors); stops here if cancelled or out of time."""
        self.stage = stage
        self.check()

    def spend(self, kind: str, amount: int = 1) -> None:
        """Count ``amount`` of ``kind`` of work, then check."""
        self.work[kind] += amount
        self.check()

    def check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled(f"localization cancelled during {self.stage}: {self._reason}",
                            details={"stage": self.stage, "reason": self._reason})
        if self.seconds is not None and self.elapsed_s > self.seconds:
            raise BudgetExceeded(
                f"localization ran past its budget of {self.seconds:g} s (during {self.stage}); "
                "the server is overloaded or its budget is set too low",
                details={"budget_s": self.seconds, "stage": self.stage, "work": dict(self.work)},
            )

    @contextmanager
    def active(self) -> Iterator[Budget]:
        """Make this the ambient budget of the current thread (context) for the ``with`` block."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)


def current_budget() -> Budget:
    """The ambient budget, else a new unlimited one."""
    budget = _CURRENT.get()
    return budget if budget is not None else Budget()
