"""Every localization runs under a Budget: past its deadline it ends with BudgetExceeded, cancelled
from another thread it ends with Cancelled, in both cases at its next check (no thread left behind)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from heimdall.bench.scaling import largest_document
from heimdall.errors import BudgetExceeded, Cancelled, HeimdallError
from heimdall.locate import locate, parse_measurement_set
from heimdall.locate.budget import Budget, current_budget


class SteppingClock:
    """A clock that advances one second per reading, and can run a callback at a given reading."""

    def __init__(self, at: int | None = None, action=None) -> None:
        self.readings = 0
        self._at, self._action = at, action

    def __call__(self) -> float:
        self.readings += 1
        if self.readings == self._at:
            self._action()
        return float(self.readings)


def test_a_localization_past_its_budget_ends_with_budget_exceeded(make_noiseless) -> None:
    clock = SteppingClock()
    budget = Budget(10.0, clock=clock)  # 10 checks
    with pytest.raises(BudgetExceeded) as caught:
        locate(parse_measurement_set(make_noiseless(("toa", "rss"))), budget=budget)
    error = caught.value
    assert (error.code, error.http_status) == ("budget_exceeded", 503)
    assert "budget of 10 s" in error.message and error.details["stage"] in error.message
    assert error.details["work"]["evaluations"] > 0
    # it stopped at the first check past the deadline: the start, 11 checks, nothing after
    assert clock.readings == 12


def test_a_budget_cancelled_mid_run_stops_at_the_next_check(make_noiseless) -> None:
    budget: Budget
    clock = SteppingClock(at=10, action=lambda: budget.cancel("the client disconnected"))
    budget = Budget(1e9, clock=clock)
    with pytest.raises(Cancelled, match="the client disconnected") as caught:
        locate(parse_measurement_set(make_noiseless(("tdoa",))), budget=budget)
    assert caught.value.details["reason"] == "the client disconnected"
    assert clock.readings == 10


def test_a_long_localization_cancelled_from_another_thread_ends_promptly() -> None:
    """Liveness: the largest set allowed takes seconds; cancelled once it is working, its thread ends."""
    ms = parse_measurement_set(largest_document(np.random.default_rng(0)))
    budget = Budget()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            locate(ms, budget=budget)
        except HeimdallError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while not budget.work["evaluations"] and worker.is_alive():
        worker.join(0.005)
    budget.cancel("test")
    worker.join(60.0)  # generous: one likelihood evaluation takes milliseconds
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)


def test_the_ambient_budget_reaches_locate_through_layers_that_do_not_pass_it(make_noiseless) -> None:
    budget = Budget()
    ms = parse_measurement_set(make_noiseless(("toa",)))
    with budget.active():
        assert current_budget() is budget
        locate(ms)
    assert budget.work["solves"] == 1 and budget.work["evaluations"] > 0
    assert current_budget() is not budget


def test_an_unlimited_budget_never_expires() -> None:
    budget = Budget(None, clock=SteppingClock())
    for _ in range(1000):
        budget.check()
