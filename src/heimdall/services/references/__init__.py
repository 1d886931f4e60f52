"""Reference transmitters: emitters whose position, frequencies and perhaps power are known.

Calibration (docs/calibration.md) captures them to estimate each receiver's systematic errors. The
resource is ``/api/v1/references``; changes are published on the ``references`` topic
(``reference.created|updated|deleted``, data: the reference). A starter list of standard-time stations
ships with Heimdall (``starter.json`` beside this module) and is added to a database that lacks them.
"""

from heimdall.services.references.service import (
    STARTER_LIST_PATH,
    TOPIC,
    ReferenceService,
    load_starter_list,
    seed_starter_references,
)

__all__ = ["STARTER_LIST_PATH", "TOPIC", "ReferenceService", "load_starter_list", "seed_starter_references"]
