"""Localizations: locate a transmitter from a measurement set, store what was asked and answered,
publish ``localization.result`` on ``localizations``, and read stored results back (also as GeoJSON/KML).

The method is chosen by a ``MethodResolver``: ``method -> predictor(MeasurementSet) -> result dict``.
The default one sends ``auto`` and ``classical`` to the classical engine (``heimdall.locate``) and
answers ``neural`` with NoModelAvailable; the model registry supplies a resolver that knows the
deployed model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput, NoModelAvailable
from heimdall.locate.budget import Budget, current_budget
from heimdall.locate.estimator import locate
from heimdall.locate.measurement_set import MeasurementSet, parse_measurement_set
from heimdall.services.common import Publish, finite_json, iso_z, load_row, page
from heimdall.services.exports import localization_geojson, localization_kml
from heimdall.store.db import transaction
from heimdall.store.tables.localizations import LocalizationRow
from heimdall.store.tables.receivers import NetworkRow

TOPIC = "localizations"
Predictor = Callable[[MeasurementSet], dict[str, Any]]
# corrects a set for the receivers' known systematic errors: (corrected set, note for the result)
Corrector = Callable[[MeasurementSet], tuple[MeasurementSet, dict[str, Any]]]
MethodResolver = Callable[[str], Predictor]
# Kept in the stored result, answered by POST /localize and GET by id, but left out of lists and events.
HEAVY_FIELDS = ("posterior",)
EXPORT_MEDIA_TYPES = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
}


def classical_predictor(ms: MeasurementSet) -> dict[str, Any]:
    return locate(ms).to_dict()


def no_neural_predictor(_ms: MeasurementSet) -> dict[str, Any]:
    raise NoModelAvailable(
        "no deployed model: deploy one (POST /api/v1/models/{id}/deploy) or use method 'classical'",
        field="method",
    )


@dataclass(frozen=True)
class DefaultMethodResolver:
    """``auto``/``classical`` -> the classical engine; ``neural`` -> ``neural`` (default: none deployed)."""

    neural: Predictor = no_neural_predictor

    def __call__(self, method: str) -> Predictor:
        return self.neural if method == "neural" else classical_predictor


@dataclass(frozen=True)
class Export:
    content: str | dict[str, Any]
    media_type: str
    filename: str


class LocalizationService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        publish: Publish,
        method_resolver: MethodResolver | None = None,
        corrector: Corrector | None = None,
    ) -> None:
        self._sessions = session_factory
        self._publish = publish
        self._resolver = method_resolver or DefaultMethodResolver()
        self._corrector = corrector

    def localize(
        self,
        doc: dict[str, Any],
        *,
        network_id: str | None = None,
        method_resolver: MethodResolver | None = None,
        budget: Budget | None = None,
    ) -> dict[str, Any]:
        """Locate, store, publish; the §4.2 result plus ``id``, ``created_at`` and ``network_id``.

        ``budget`` (default: the ambient one, else none) bounds the predictor's time and can
        cancel it; it is made ambient so that any predictor a resolver picks runs under it.
        """
        budget = budget if budget is not None else current_budget()
        budget.enter("validation")
        ms = parse_measurement_set(doc)
        if network_id is not None:
            self._ensure_network(network_id)
        predictor = (method_resolver or self._resolver)(ms.method)
        ms, calibration = self._corrector(ms) if self._corrector is not None else (ms, None)
        with budget.active():
            result = finite_json(predictor(ms))
        if calibration is not None:
            result["calibration"] = calibration
        with _network_gone_as_invalid(network_id), transaction(self._sessions) as session:
            row = LocalizationRow(
                request=finite_json(doc),
                result=result,
                method=str(result.get("method", ms.method)),
                lat=result.get("lat"),
                lon=result.get("lon"),
                network_id=network_id,
            )
            session.add(row)
            session.flush()
            summary = _summary(row)
        self._publish(TOPIC, "localization.result", summary)
        return {**summary, **_heavy(result)}

    def _ensure_network(self, network_id: str) -> None:
        with self._sessions() as session:
            if session.get(NetworkRow, network_id) is None:
                raise InvalidInput(f"unknown network id {network_id!r}", field="network_id")

    def list(self, *, offset: int = 0, limit: int = 50, network_id: str | None = None) -> dict[str, Any]:
        """Newest first; items are results with their id (without the request)."""
        query = select(LocalizationRow)
        if network_id is not None:
            query = query.where(LocalizationRow.network_id == network_id)
        with self._sessions() as session:
            order = (LocalizationRow.created_at.desc(), LocalizationRow.id)
            return page(session, query, order, _summary, offset, limit)

    def get(self, localization_id: str) -> dict[str, Any]:
        """The stored result, its id, and the measurement set it answered (``request``)."""
        with self._sessions() as session:
            row = _load(session, localization_id)
            return {**_summary(row), **_heavy(row.result), "request": row.request}

    def export(self, localization_id: str, fmt: str = "json") -> Export:
        """The localization as JSON, GeoJSON (FeatureCollection) or KML."""
        if fmt not in EXPORT_MEDIA_TYPES:
            raise InvalidInput(f"format must be one of {', '.join(EXPORT_MEDIA_TYPES)}", field="format")
        localization = self.get(localization_id)
        renderers: dict[str, Callable[[], str | dict[str, Any]]] = {
            "json": lambda: localization,
            "geojson": lambda: localization_geojson(localization),
            "kml": lambda: localization_kml(localization),
        }
        return Export(renderers[fmt](), EXPORT_MEDIA_TYPES[fmt], f"localization-{localization_id}.{fmt}")


@contextmanager
def _network_gone_as_invalid(network_id: str | None) -> Iterator[None]:
    """The network was deleted while the estimator ran: the same answer as if it never existed."""
    try:
        yield
    except IntegrityError as exc:
        raise InvalidInput(f"unknown network id {network_id!r}", field="network_id") from exc


def _summary(row: LocalizationRow) -> dict[str, Any]:
    """The result without its heavy parts (the posterior grid), with id, time and network."""
    light = {key: value for key, value in row.result.items() if key not in HEAVY_FIELDS}
    return {**light, "id": row.id, "created_at": iso_z(row.created_at), "network_id": row.network_id}


def _heavy(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result[key] for key in HEAVY_FIELDS if key in result}


def _load(session: Session, localization_id: str) -> LocalizationRow:
    return load_row(session, LocalizationRow, localization_id, "localization")
