"""KrakenSDR stations: the bearings the KrakenSDR DoA software publishes, made true, with a sigma.

    formats.py     every output format of krakenrf/krakensdr_doa, parsed as published
    confidence.py  confidence (dB, the pseudo-spectrum's peak-to-average ratio) -> bearing sigma
    bearing.py     KrakenStation (what the user registered), resolve() -> BearingReading (true bearing)
    poller.py      KrakenPoller: asyncio HTTP polling, news only, stopped_publishing detection

Design and numbers: docs/receivers.md, section "KrakenSDR".
"""

from heimdall.receivers.kraken.bearing import (
    BearingFlag,
    BearingReading,
    BearingRejected,
    KrakenStation,
    resolve,
)
from heimdall.receivers.kraken.confidence import ConfidenceModel
from heimdall.receivers.kraken.formats import (
    BearingReference,
    KrakenFormat,
    ParsedDocument,
    PublishedBearing,
    parse_doa_document,
    parse_full_post,
    parse_kraken_app,
    parse_kraken_pro,
    parse_rdf_mapper,
)
from heimdall.receivers.kraken.poller import KrakenPoller

__all__ = [
    "BearingFlag", "BearingReading", "BearingReference", "BearingRejected", "ConfidenceModel", "KrakenFormat",
    "KrakenPoller", "KrakenStation", "ParsedDocument", "PublishedBearing", "parse_doa_document", "parse_full_post",
    "parse_kraken_app", "parse_kraken_pro", "parse_rdf_mapper", "resolve",
]
