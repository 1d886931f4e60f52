"""``test.count``: a tiny job for tests and demos that counts to ``params.total``.

It checkpoints its counter after every step, and its result lists the steps each run actually
executed (``runs``), so a test can prove that a resumed job continued from its checkpoint instead of
starting over. ``fail_at`` makes it raise at that step; ``emit_metrics`` stores one metrics row per step.
"""

from __future__ import annotations

import json
import time
from typing import Any

from heimdall.errors import InvalidInput
from heimdall.jobs.context import JobContext
from heimdall.jobs.registry import job_kind


@job_kind("test.count", queue="cpu")
def count(ctx: JobContext) -> dict[str, Any]:
    total, step_delay_s, fail_at = _params(ctx.params)
    raw = ctx.load_checkpoint()
    state: dict[str, Any] = json.loads(raw) if raw else {"count": 0, "runs": []}
    state["runs"].append([])
    while state["count"] < total:
        # The checkpoint written after each step already holds the exact position: on_pause has nothing to add.
        ctx.check()
        time.sleep(step_delay_s)
        step = state["count"] + 1
        if fail_at is not None and step == fail_at:
            raise RuntimeError(f"asked to fail at step {step}")
        state["count"] = step
        state["runs"][-1].append(step)
        ctx.save_checkpoint(json.dumps(state).encode())
        if ctx.params.get("emit_metrics"):
            ctx.metrics(step, {"count": step, "fraction": step / total})
        ctx.progress(step, total, phase="counting", message=f"{step}/{total}")
    executed = [step for run in state["runs"] for step in run]
    return {"count": state["count"], "executed": executed, "runs": state["runs"]}


def _params(params: dict[str, Any]) -> tuple[int, float, int | None]:
    try:
        total = int(params.get("total", 10))
        step_delay_s = float(params.get("step_delay_s", 0.05))
        fail_at = params.get("fail_at")
        fail_at = None if fail_at is None else int(fail_at)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"bad test.count params: {exc}") from exc
    if total < 0 or step_delay_s < 0:
        raise InvalidInput("test.count needs total >= 0 and step_delay_s >= 0")
    return total, step_delay_s, fail_at
