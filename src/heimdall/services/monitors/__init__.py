"""Monitors: a long-running watch over channels of a network that turns every transmission into a
fix, joins fixes into tracks, and sends them as Cursor-on-Target (docs/monitoring.md).

    config.py       the request: channels, squelch, min_receivers, CoT endpoints, tuning options
    store.py        the monitor, transmission, fix and exclusion rows
    tracks.py       tracks recomputed from the stored fixes and exclusions; the API's Track shape
    service.py      MonitorService: create (with its job), list, get, delete, tracks, exclusions
    adapters.py     one asyncio task per receiver (OpenWebRX S-meter, KrakenSDR bearings), reconnecting
    watch.py        readings -> detections -> transmissions -> one measurement set each
    monitor_job.py  ``@job_kind("monitor")``: the loop that ties them together
"""
