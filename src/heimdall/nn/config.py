"""Versioned configuration of the set network (plain data, no torch)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from heimdall.config_fields import refuse_boolean_numbers
from heimdall.errors import InvalidInput

NETWORK_SCHEMA_VERSION = 2
# Version 1 had no refinement: its configs (and checkpoints) load as ``refine_steps = 0``.
_MIGRATIONS = {1: {"refine_steps": 0}}


@dataclass(frozen=True)
class NetworkConfig:
    """Shape of the permutation-invariant set network.

    ``mixture_components`` = 1 gives one Gaussian with a full 2x2 covariance; K > 1 a mixture of K.
    ``refine_steps`` > 0 adds that many unrolled Gauss-Newton steps on the timing measurements (TOA,
    TDoA) after the head (``heimdall.nn.refine``); sets without timing keep the head's answer.
    """

    schema_version: int = NETWORK_SCHEMA_VERSION
    hidden_size: int = 64
    encoder_layers: int = 2
    attention_blocks: int = 1
    attention_heads: int = 4
    head_layers: int = 2
    mixture_components: int = 1
    dropout: float = 0.0
    refine_steps: int = 5

    def __post_init__(self) -> None:
        if self.schema_version != NETWORK_SCHEMA_VERSION:
            raise InvalidInput(f"unsupported network schema_version {self.schema_version}", field="schema_version")
        for name in ("hidden_size", "encoder_layers", "head_layers", "mixture_components", "attention_heads"):
            if int(getattr(self, name)) < 1:
                raise InvalidInput(f"{name} must be >= 1", field=name)
        if isinstance(self.refine_steps, bool) or not isinstance(self.refine_steps, int) or not 0 <= self.refine_steps <= 20:
            raise InvalidInput("refine_steps must be an integer in [0, 20]", field="refine_steps")
        if self.attention_blocks < 0:
            raise InvalidInput("attention_blocks must be >= 0", field="attention_blocks")
        if self.hidden_size % self.attention_heads:
            raise InvalidInput("hidden_size must be a multiple of attention_heads", field="attention_heads")
        if not 0.0 <= self.dropout < 1.0:
            raise InvalidInput("dropout must be in [0, 1)", field="dropout")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> NetworkConfig:
        data = dict(data or {})
        version = data.get("schema_version")
        if version in _MIGRATIONS and version != NETWORK_SCHEMA_VERSION:
            if "refine_steps" in data:
                raise InvalidInput(f"network schema_version {version} has no refine_steps", field="refine_steps")
            data = {**data, **_MIGRATIONS[version], "schema_version": NETWORK_SCHEMA_VERSION}
        return dataclass_from_dict(cls, data)


def dataclass_from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Build a frozen config dataclass, rejecting unknown keys and ill-typed values as InvalidInput."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{cls.__name__} must be a mapping")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(f"unknown {cls.__name__} keys: {', '.join(unknown)}", field=unknown[0])
    refuse_boolean_numbers(cls, data)
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"bad {cls.__name__}: {exc}") from exc
