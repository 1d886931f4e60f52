"""Protocol clients for real receivers, one subpackage per kind, pure asyncio and no database.

    receivers/states.py      the states and refusal reasons every client reports
    receivers/kiwisdr/       KiwiSDR: /status, the WebSocket SND stream (IQ with GNSS time)
    receivers/openwebrx/     OpenWebRX(+): status, profiles, S-meter power
    receivers/kraken/        KrakenSDR DoA output: bearings with the station's position and heading
    receivers/simulated/     protocol-faithful fake servers of each kind, for tests, demos and benchmarks

Services (captures, monitors, calibration) drive these clients; the clients never import services,
the store or the settings: they take plain values (URLs, passwords, identities, timeouts).
"""
