"""Running localizations for the API: in worker threads, under a budget, stopped when their client
goes away or the server stops, and counted for ``/metrics``.

A localization is CPU work in a thread that asyncio cannot interrupt; it stops when its ``Budget``
is cancelled (the estimator checks it at every likelihood evaluation, i.e. within milliseconds).
The request waits for the work or for its client's ``http.disconnect``, whichever comes first; a
disconnect cancels the budget. So does the request task's own cancellation, and ``cancel_all``,
which ``heimdall serve`` calls on the first SIGTERM/SIGINT: the server then answers the
localizations in flight with 503 ``cancelled`` and exits at once, instead of waiting for them
(or, before, never: a thread the interpreter must join at exit kept it at 99 % CPU).

The pool has one thread per core: more concurrent localizations than cores would only share
them, and each one's deadline keeps running while it waits for a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.requests import Request

from heimdall.errors import BudgetExceeded, Cancelled, HeimdallError
from heimdall.locate.budget import Budget

log = logging.getLogger(__name__)
T = TypeVar("T")
OUTCOMES = ("completed", "refused", "budget_exceeded", "cancelled", "failed")


class LocalizationRunner:
    """Runs ``work(budget)`` in a bounded thread pool, each under a budget of ``budget_s``; one per app."""

    def __init__(self, budget_s: float, workers: int | None = None) -> None:
        self.budget_s = budget_s
        self._executor = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                                            thread_name_prefix="localize")
        self._lock = threading.RLock()  # reentrant: cancel_all may run in a signal handler
        self._running: set[Budget] = set()
        self._outcomes: Counter[str] = Counter()
        self._evaluations_done = 0

    async def run(self, request: Request, work: Callable[[Budget], T]) -> T:
        """``work(budget)`` in a worker thread; cancelled if the client disconnects first."""
        budget = Budget(self.budget_s)
        future = asyncio.get_running_loop().run_in_executor(self._executor, self._tracked, work, budget)
        future.add_done_callback(_consume)
        gone = asyncio.ensure_future(_disconnected(request))
        either: set[asyncio.Future[Any]] = {future, gone}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not future.done():
                budget.cancel("the client disconnected")
            return await future
        except asyncio.CancelledError:
            budget.cancel("the server is shutting down")
            future.cancel()  # not started yet: never starts
            raise
        finally:
            gone.cancel()

    def cancel_all(self, reason: str = "the server is shutting down") -> None:
        """Stop every localization in flight (thread-safe, signal-handler safe)."""
        with self._lock:
            for budget in list(self._running):
                budget.cancel(reason)

    def close(self) -> None:
        self.cancel_all()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _tracked(self, work: Callable[[Budget], T], budget: Budget) -> T:
        with self._lock:
            self._running.add(budget)
        outcome = "failed"
        try:
            result = work(budget)
            outcome = "completed"
            return result
        except BudgetExceeded:
            outcome = "budget_exceeded"
            raise
        except Cancelled as exc:
            outcome = "cancelled"
            log.info("localization stopped: %s", exc.message)
            raise
        except HeimdallError as exc:
            outcome = "failed" if exc.http_status >= 500 else "refused"
            raise
        finally:
            with self._lock:
                self._running.discard(budget)
                self._outcomes[outcome] += 1
                self._evaluations_done += budget.work["evaluations"]

    def collect(self) -> Iterator[Metric]:
        """Prometheus collector: in flight, outcomes, and the likelihood work done (CPU proxy)."""
        with self._lock:
            running = len(self._running)
            outcomes = dict(self._outcomes)
            evaluations = self._evaluations_done + sum(b.work["evaluations"] for b in self._running)
        in_flight = GaugeMetricFamily("heimdall_localizations_in_flight", "Localizations running now")
        in_flight.add_metric([], running)
        total = CounterMetricFamily("heimdall_localizations", "Localizations finished, by outcome",
                                    labels=["outcome"])
        for outcome in OUTCOMES:
            total.add_metric([outcome], outcomes.get(outcome, 0))
        work = CounterMetricFamily("heimdall_localization_evaluations",
                                   "Likelihood evaluations (positions x measurements) done by localizations")
        work.add_metric([], evaluations)
        yield from (in_flight, total, work)


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone (the body has been read: nothing else arrives before that)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _consume(future: asyncio.Future[Any]) -> None:
    """A localization abandoned by its request still ends with an exception: retrieve it (no warning)."""
    if not future.cancelled():
        future.exception()


def get_localization_runner(request: Request) -> LocalizationRunner:
    runner: LocalizationRunner = request.app.state.localization_runner
    return runner
