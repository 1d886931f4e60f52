"""Dataset configs from what users give: a stored network plus simulator options, or a YAML file
plus ``--set a.b=value`` overrides. Both end in ``heimdall.synth.load_config`` (InvalidInput naming
the dotted field of anything impossible)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from heimdall.errors import InvalidInput
from heimdall.synth import SCHEMA_VERSION, DatasetConfig, load_config

# The simulator's options a client may send with ``POST /datasets`` (docs/simulator.md, "Config").
SIMULATOR_OPTIONS = (
    "seed", "num_samples", "frequency_hz", "realism", "transmitters", "propagation", "observation",
    "impairments", "iq",
)
# Receiver kinds whose public web interfaces report a quantised S-meter rather than a calibrated power.
S_METER_KINDS = ("openwebrx", "websdr")


def receiver_spec(receiver: Mapping[str, Any]) -> dict[str, Any]:
    """A stored receiver (``receiver_to_dict``) as the simulator's receiver spec; its id is the receiver's id."""
    antenna = receiver.get("antenna") or {}
    spec = {
        "id": receiver["id"], "name": receiver.get("name"), "kind": receiver.get("kind", "simulated"),
        "lat": receiver["lat"], "lon": receiver["lon"], "alt_m": receiver.get("alt_m", 0.0),
        "capabilities": list(receiver.get("capabilities") or ["rss"]), "timing": receiver.get("timing", "none"),
        "antenna_gain_dbi": float(antenna.get("gain_dbi", 0.0)),
        "s_meter": receiver.get("kind") in S_METER_KINDS,
    }
    if receiver.get("noise_figure_db") is not None:
        spec["noise_figure_db"] = receiver["noise_figure_db"]
    return spec


def config_from_network(network: Mapping[str, Any], options: Mapping[str, Any]) -> DatasetConfig:
    """The config that simulates ``network``'s enabled receivers (in the network's order) with ``options``."""
    unknown = sorted(set(options) - set(SIMULATOR_OPTIONS))
    if unknown:
        raise InvalidInput(f"unknown simulator option {unknown[0]!r}", field=unknown[0])
    receivers = [receiver for receiver in network.get("receivers", []) if receiver.get("enabled", True)]
    if not receivers:
        raise InvalidInput(f"network {network.get('name')!r} has no enabled receivers to simulate",
                           field="network_id")
    raw = {"schema_version": SCHEMA_VERSION, **options, "network": [receiver_spec(r) for r in receivers]}
    return load_config(raw)


def config_to_json(config: DatasetConfig) -> dict[str, Any]:
    """The full resolved config (defaults filled in) as stored with the dataset; ``load_config`` reads it back."""
    return config.model_dump(mode="json")


def parse_override(item: str) -> tuple[list[str], Any]:
    """``"a.b=3"`` -> (["a", "b"], 3); the value is YAML (``[1, 2]``, ``true``, ``{k: v}``, strings)."""
    key, sep, text = item.partition("=")
    parts = key.strip().split(".")
    if not sep or any(not part.strip() for part in parts):
        raise InvalidInput(f"--set expects key.path=value, got {item!r}", field="--set")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"--set {key}: the value is not valid YAML: {exc}", field="--set") from exc
    return [part.strip() for part in parts], value


def apply_overrides(raw: Mapping[str, Any], items: Iterable[str]) -> dict[str, Any]:
    """A deep copy of ``raw`` with each ``key.path=value`` set (missing mappings are created)."""
    result = copy.deepcopy(dict(raw))
    for item in items:
        path, value = parse_override(item)
        node: Any = result
        for depth, part in enumerate(path[:-1]):
            node = _child(node, part, ".".join(path[: depth + 1]))
        _assign(node, path[-1], value, ".".join(path))
    return result


def _child(node: Any, part: str, where: str) -> Any:
    if isinstance(node, dict):
        if node.get(part) is None:
            node[part] = {}
        if not isinstance(node[part], (dict, list)):
            raise InvalidInput(f"--set {where}: {where} is a value, not a mapping", field="--set")
        return node[part]
    if isinstance(node, list):
        return node[_list_index(node, part, where)]
    raise InvalidInput(f"--set {where}: cannot descend into a {type(node).__name__}", field="--set")


def _assign(node: Any, part: str, value: Any, where: str) -> None:
    if isinstance(node, dict):
        node[part] = value
    elif isinstance(node, list):
        node[_list_index(node, part, where)] = value
    else:
        raise InvalidInput(f"--set {where}: cannot set a key on a {type(node).__name__}", field="--set")


def _list_index(node: list[Any], part: str, where: str) -> int:
    try:
        index = int(part)
    except ValueError:
        raise InvalidInput(f"--set {where}: {part!r} is not an index into a list", field="--set") from None
    if not -len(node) <= index < len(node):
        raise InvalidInput(f"--set {where}: index {index} is out of range (list of {len(node)})", field="--set")
    return index
