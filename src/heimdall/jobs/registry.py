"""Job kinds: ``@job_kind("name", queue="cpu")`` registers ``fn(ctx) -> dict | None``.

Kinds register when their module is imported; the API and every worker import the modules listed
in ``settings.job_modules`` at start (``import_job_modules``), so a kind exists only where named.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from heimdall.errors import InvalidInput

if TYPE_CHECKING:
    from heimdall.jobs.context import JobContext

JobFunction = Callable[["JobContext"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class JobKind:
    name: str
    queue: str
    fn: JobFunction
    # None: pause works (the kind checkpoints); else why the kind cannot pause (pause answers 409 with it).
    no_pause_reason: str | None = None


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, queue: str = "cpu", no_pause_reason: str | None = None
             ) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the job kind ``name`` running on ``queue``; a kind that cannot
    pause says why in ``no_pause_reason``."""
    if not name or not isinstance(name, str):
        raise ValueError("a job kind needs a non-empty name")

    def register(fn: JobFunction) -> JobFunction:
        existing = _KINDS.get(name)
        # Re-importing the same module (e.g. under a reloader) re-registers the same function.
        if existing is not None and existing.fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"job kind {name!r} is already registered by {existing.fn.__module__}")
        _KINDS[name] = JobKind(name=name, queue=queue, fn=fn, no_pause_reason=no_pause_reason)
        return fn

    return register


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        known = ", ".join(sorted(_KINDS)) or "none"
        raise InvalidInput(f"unknown job kind {name!r} (registered: {known})", field="kind") from None


def registered_kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


def import_job_modules(modules: Iterable[str]) -> list[str]:
    """Import each module (registering its kinds); InvalidInput names the one that failed."""
    imported = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise InvalidInput(f"cannot import job module {module!r}: {exc}", field="job_modules") from exc
        imported.append(module)
    return imported
