"""Whether this process can train: torch is an optional extra (``heimdall[train]``)."""

from __future__ import annotations

from heimdall.errors import DependencyMissing


def require_torch() -> None:
    """DependencyMissing naming the extra to install when torch cannot be imported here."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise DependencyMissing("training needs torch on this worker: pip install 'heimdall[train]'") from exc
