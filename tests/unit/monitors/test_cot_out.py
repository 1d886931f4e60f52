"""A monitor's CoT output over TCP: each fix and its track update arrive, parse, and carry the monitor."""

from __future__ import annotations

import asyncio

import numpy as np

from heimdall.cot.event import CotEvent
from heimdall.cot.transport import CotListener
from heimdall.services.monitors.cot_out import CotOut
from heimdall.tracking.fixes import Fix
from heimdall.tracking.tracks import Tracker

RESULT = {"lat": 45.01, "lon": 7.53, "alt_m": None, "covariance_enu_m2": [[4.0e4, 0.0], [0.0, 2.5e4]],
          "method": "classical:aoa"}


async def test_fixes_and_tracks_reach_a_tak_server_over_tcp() -> None:
    received: list[CotEvent] = []
    errors: list[object] = []
    listener = CotListener(lambda event, _peer: received.append(event), lambda error, _peer: errors.append(error))
    port = await listener.listen_tcp("127.0.0.1", 0)
    out = CotOut([{"url": f"tcp://127.0.0.1:{port}"}, {"url": "udp://no-such-host.invalid:9"}], {}, "monitor-7")
    await out.start()
    assert len(out.senders) == 1  # an endpoint that cannot be opened (.invalid never resolves) is left out
    tracker = Tracker(namespace="monitor-7")
    for index in range(2):
        fix = Fix(f"fix-{index}", 1.8e9 + 60 * index, 45.01 + 0.001 * index, 7.53, np.array(RESULT["covariance_enu_m2"]),
                  "145500000")
        point = tracker.update(fix)
        out.send_fix({**RESULT, "lat": fix.lat}, fix_id=fix.fix_id, time_s=fix.time_s,
                     track=tracker.get(point.track_id), channel="145500000")
    await out.close()
    async with asyncio.timeout(30):
        while len(received) < 4:
            await asyncio.sleep(0.05)
    await listener.close()
    assert not errors
    uids = [event.uid for event in received]
    assert uids[0] == "heimdall.fix.fix-0" and uids[2] == "heimdall.fix.fix-1"
    assert uids[1] == uids[3] and uids[1].startswith("heimdall.track.")
    for event in received:
        assert event.to_dict()["detail"]["__heimdall"]["monitor_id"] == "monitor-7" and event.ce > 0
