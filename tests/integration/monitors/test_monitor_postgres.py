"""The monitor's rows on PostgreSQL (the scaled database): transmissions, fixes and exclusions written
idempotently, tracks recomputed, and a deleted monitor taking its rows along (ON DELETE CASCADE)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from heimdall.services.monitors.store import MonitorStore, to_datetime
from heimdall.store.tables.monitors import MonitorFixRow, MonitorTransmissionRow

pytestmark = pytest.mark.scaled
T0 = 1.8e9


def test_monitor_rows_on_postgres(make_platform: Any, postgres_url: str) -> None:
    platform = make_platform(database_url=postgres_url)
    ids = [platform.receivers.create({"name": f"k{i}", "kind": "kraken", "url": f"http://k{i}/", "lat": 45.0 + i / 10,
                                      "lon": 7.5})["id"] for i in range(3)]
    network = platform.networks.create({"name": "df", "receiver_ids": ids})
    store = MonitorStore(platform.session_factory)
    config = {"channels": [{"frequency_hz": 145.5e6, "passband_hz": 12_500.0, "threshold_db": 10.0}],
              "min_receivers": 2, "cot": [], "options": {}}
    monitor = store.insert("watch", network["id"], config, [])
    for index in range(3):
        tx_id = f"00000000-0000-4000-8000-{index:012d}"
        values = {"id": tx_id, "frequency_hz": 145.5e6, "start": to_datetime(T0 + index), "end": to_datetime(T0 + index + 2),
                  "receiver_ids": ids, "localization_id": tx_id, "track_id": "00000000-0000-4000-8000-00000000000a",
                  "reason": None}
        assert store.add_transmission(monitor["id"], values) is not None
        assert store.add_transmission(monitor["id"], values) is None  # a replay stores nothing
        fix = {"localization_id": tx_id, "transmission_id": tx_id, "track_id": values["track_id"], "frequency_hz": 145.5e6,
               "time_s": T0 + 30 * index, "lat": 45.0, "lon": 7.5 + 0.001 * index,
               "covariance_enu_m2": [[1e4, 0.0], [0.0, 1e4]], "request": {"frequency_hz": 145.5e6}}
        assert store.add_fix(monitor["id"], fix) and not store.add_fix(monitor["id"], fix)
    assert platform.monitors.get(monitor["id"])["counts"] == {"transmissions": 3, "fixes": 3}
    first = store.fixes(monitor["id"])[0].localization_id
    track = platform.monitors.exclude(monitor["id"], {"localization_id": first, "note": "multipath"})
    assert track["points"][0]["excluded"] and len(track["points"]) == 3
    assert platform.monitors.transmissions(monitor["id"])["items"][0]["start"].endswith("Z")
    platform.monitors.delete(monitor["id"])
    with platform.session_factory() as session:
        for table in (MonitorFixRow, MonitorTransmissionRow):
            assert session.scalar(select(func.count()).select_from(table)) == 0
