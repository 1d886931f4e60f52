"""How large a measurement set may be: the one place these limits live (docs/localization.md, "Size limits").

``parse_measurement_set`` enforces the entry counts for every caller (API, CLI, jobs) before it
looks at a single entry: ``InvalidInput`` (422) naming the list and the limit. The API and the CLI
also refuse a document over ``MAX_DOCUMENT_BYTES`` before parsing it (413 ``PayloadTooLarge``).

The numbers come from the cost model: a localization costs a handful of evaluations of the whole
likelihood on the 48 x 48 seed grid (two global solves at most, the outlier refits, the posterior),
i.e. O(grid x measurements), 10-80 ns per grid point and measurement on one core depending on the
modality (TDoA cheapest, AoA dearest). The largest set allowed, 1000 receivers and 4 x 2048
measurements of random (maximally inconsistent) values, takes ~5 s of CPU, well inside the default
budget (docs/benchmarks.md, "Localization cost").
"""

from __future__ import annotations

from typing import Any

from heimdall.errors import InvalidInput

MAX_RECEIVERS = 1000
# Per modality. TDoA is the one that can grow with receivers squared: 2048 holds every pair of 64
# receivers, or one reference against all 1000 (independent errors, CONTRACT 4.1, favour the latter).
MAX_MEASUREMENTS = {"rss": 2048, "tdoa": 2048, "toa": 2048, "aoa": 2048}
# A maximal set with 40-character receiver ids is ~1.2 MB of JSON; a document over this is refused unread.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024


def check_entry_counts(doc: dict[str, Any]) -> None:
    """Refuse a document whose lists are longer than the limits (before any entry is parsed)."""
    limits = {"receivers": MAX_RECEIVERS, **MAX_MEASUREMENTS}
    for name, limit in limits.items():
        entries = doc.get(name)
        if isinstance(entries, list) and len(entries) > limit:
            raise InvalidInput(
                f"{name} has {len(entries)} entries, more than the limit of {limit} per measurement set",
                field=name, details={"limit": limit, "count": len(entries)},
            )
