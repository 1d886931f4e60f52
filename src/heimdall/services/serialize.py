"""Rows -> the JSON objects the API answers with and the events carry (one shape for both)."""

from __future__ import annotations

from typing import Any

from heimdall.services.common import iso_z
from heimdall.store.tables.receivers import NetworkRow, ReceiverRow


def receiver_to_dict(row: ReceiverRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "url": row.url,
        "lat": row.lat,
        "lon": row.lon,
        "alt_m": row.alt_m,
        "capabilities": list(row.capabilities),
        "timing": row.timing,
        "noise_figure_db": row.noise_figure_db,
        "antenna": row.antenna,
        "enabled": row.enabled,
        "health": row.health,
        "created_at": iso_z(row.created_at),
        "updated_at": iso_z(row.updated_at),
    }


def network_to_dict(row: NetworkRow) -> dict[str, Any]:
    """A network with its receivers in the user's order, both as ids and as full receivers."""
    receivers = [receiver_to_dict(member.receiver) for member in row.members]
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "receiver_ids": [receiver["id"] for receiver in receivers],
        "receivers": receivers,
        "created_at": iso_z(row.created_at),
        "updated_at": iso_z(row.updated_at),
    }
