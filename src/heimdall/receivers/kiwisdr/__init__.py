"""KiwiSDR: the sound WebSocket (IQ with GNSS time), the ``/status`` page, GNSS-timed recording.

    protocol.py     server -> client frames and messages (MSG, SND with its GNSS header), refusals
    commands.py     client -> server ``SET`` commands
    endpoints.py    a receiver's URL -> its status and sound URLs
    client.py       KiwiClient: connect, authenticate, tune to IQ, stream IqBlocks, hang up
    recorder.py     record a GNSS-time window: fresh-stamp lock, gaps, true sample rate
    storage.py      a recording as SigMF with per-block GNSS time, inside a data directory
    status.py       ``/status`` -> KiwiStatus, receiver info (name, position, capabilities), health
"""
