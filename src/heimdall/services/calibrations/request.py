"""The body of ``POST /calibrations``, read into what ``heimdall.calibrate`` fits from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from heimdall.calibrate import QUANTITIES, ZERO_MEAN
from heimdall.errors import InvalidInput, NotFound

BODY_FIELDS = frozenset({"references", "quantities", "gauge", "note"})
MAX_REFERENCES = 200
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class CalibrationRequest:
    references: list[dict[str, Any]]  # as heimdall.calibrate.parse_references reads them
    evidence: list[dict[str, Any]]
    quantities: list[str] | None
    gauge: str
    note: str


def read_request(body: Any, lookup_reference: Callable[[str], dict[str, Any]]) -> CalibrationRequest:
    """Check the body; a capture naming ``reference_id`` takes its position and EIRP from that reference."""
    if not isinstance(body, dict):
        raise InvalidInput("a calibration request must be an object", field="body")
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    captures = body.get("references")
    if not isinstance(captures, list) or not captures:
        raise InvalidInput("references must be a non-empty list of captures of known transmitters",
                           field="references")
    if len(captures) > MAX_REFERENCES:
        raise InvalidInput(f"at most {MAX_REFERENCES} references per calibration", field="references")
    resolved = [_resolve(capture, k, lookup_reference) for k, capture in enumerate(captures)]
    return CalibrationRequest(
        references=[doc for doc, _ in resolved], evidence=[ev for _, ev in resolved],
        quantities=_quantities(body.get("quantities")), gauge=_gauge(body.get("gauge", ZERO_MEAN)),
        note=_note(body.get("note", "")))


def _resolve(capture: Any, k: int, lookup_reference: Callable[[str], dict[str, Any]]
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    path = f"references[{k}]"
    if not isinstance(capture, dict):
        raise InvalidInput(f"{path} must be an object", field=path)
    doc = {key: value for key, value in capture.items() if key != "reference_id"}
    reference_id = capture.get("reference_id")
    evidence: dict[str, Any] = {"reference_id": None}
    if reference_id is not None:
        if not isinstance(reference_id, str):
            raise InvalidInput(f"{path}.reference_id must be a reference id", field=f"{path}.reference_id")
        reference = _known_reference(lookup_reference, reference_id, path)
        doc = {"lat": reference["lat"], "lon": reference["lon"], "alt_m": reference["alt_m"],
               **({"eirp_dbm": reference["eirp_dbm"]} if reference["eirp_dbm"] is not None else {}), **doc}
        evidence = {"reference_id": reference_id, "reference_name": reference["name"]}
    evidence.update(lat=doc.get("lat"), lon=doc.get("lon"), measurements=_count(doc.get("measurement_set")))
    return doc, evidence


def _known_reference(lookup: Callable[[str], dict[str, Any]], reference_id: str, path: str) -> dict[str, Any]:
    try:
        return lookup(reference_id)
    except NotFound as exc:
        raise InvalidInput(f"{path}.reference_id: no reference {reference_id!r}", field=f"{path}.reference_id") from exc


def _count(ms: Any) -> int:
    if not isinstance(ms, dict):
        return 0
    return sum(len(ms[key]) for key in ("toa", "tdoa", "rss", "aoa") if isinstance(ms.get(key), list))


def _quantities(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or any(q not in QUANTITIES for q in value):
        raise InvalidInput(f"quantities must be a non-empty list of {', '.join(QUANTITIES)}", field="quantities")
    return list(dict.fromkeys(value))


def _gauge(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput("gauge must be 'zero_mean' or the id of the receiver pinned at zero", field="gauge")
    return value


def _note(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_NOTE_CHARS:
        raise InvalidInput(f"note must be a string of at most {MAX_NOTE_CHARS} characters", field="note")
    return value
