"""Path-loss models, one module per model.

- ``free_space``: Friis free-space loss.
- ``log_distance``: the log-distance model of CONTRACT section 4.1.
- ``shadowing``: spatially correlated log-normal shadowing (Gudmundson).
- ``itm``: Longley-Rice / ITM point-to-point over a terrain profile (via ``itmlogic``).
"""

from heimdall.rf.propagation.free_space import free_space_path_loss_db
from heimdall.rf.propagation.log_distance import log_distance_path_loss_db, received_power_dbm
from heimdall.rf.propagation.shadowing import ShadowingField, gudmundson_correlation

__all__ = [
    "ShadowingField",
    "free_space_path_loss_db",
    "gudmundson_correlation",
    "log_distance_path_loss_db",
    "received_power_dbm",
]
