"""Classical localization: measurement sets, likelihoods, estimator, uncertainty and bounds.

    from heimdall.locate import parse_measurement_set, locate
    result = locate(parse_measurement_set(doc))
    result.to_dict()  # CONTRACT section 4.2
"""

from heimdall.locate.estimator import locate
from heimdall.locate.measurement_set import MeasurementSet, measurement_set_to_dict, parse_measurement_set
from heimdall.locate.result import Ellipse, LocationResult, Mode, Posterior

__all__ = [
    "Ellipse",
    "LocationResult",
    "MeasurementSet",
    "Mode",
    "Posterior",
    "locate",
    "measurement_set_to_dict",
    "parse_measurement_set",
]
