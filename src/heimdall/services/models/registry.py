"""The model registry: register, list, show, rename, delete and deploy neural localizers.

A registered model is one row (``registered_models``) plus two blobs under ``models/<id>/``: the
ONNX file (self-contained: the layout and normalisation it needs travel in its metadata) and the
training checkpoint (kept for warm starts and audits). Whatever registers a model (a training job,
a bundle import) goes through ``ModelRegistry.register``, which loads the ONNX with ONNX Runtime
first, so a file that cannot serve is never registered. Blobs are written before the row and
removed again if the row cannot be written: nothing is ever half-registered.

Deploying makes a model the one ``/localize`` uses for its network (one per network; see
``heimdall.store.tables.models``). Events on topic ``models``: ``model.registered``,
``model.updated``, ``model.deployed``, ``model.undeployed``, ``model.deleted``, each with the model.

Torch is never imported here: the API process serves models without it.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, HeimdallError, InvalidInput, NotFound
from heimdall.services.common import Publish, finite_json, iso_z, load_row, page
from heimdall.store.blob import BlobStore
from heimdall.store.db import new_id, transaction, utcnow
from heimdall.store.tables.models import RegisteredModelRow
from heimdall.store.tables.receivers import NetworkRow

log = logging.getLogger(__name__)

TOPIC = "models"
ONNX_FILE = "model.onnx"
CHECKPOINT_FILE = "checkpoint.pt"
EDITABLE_FIELDS = ("name",)


@dataclass(frozen=True)
class OnnxDescription:
    """What a registry keeps from an ONNX file's own metadata."""

    layout: dict[str, Any]
    normalization: dict[str, Any]
    training_config: dict[str, Any]
    metrics: dict[str, Any]
    best_epoch: int | None


@dataclass(frozen=True)
class Provenance:
    """Where a model comes from: everything register() records besides the files."""

    network_id: str | None = None
    job_id: str | None = None
    parent_model_id: str | None = None
    dataset_ids: tuple[str, ...] = ()
    origin: dict[str, Any] | None = None


def describe_onnx(onnx_bytes: bytes) -> OnnxDescription:
    """Load the file with ONNX Runtime (InvalidInput if it cannot serve) and read its metadata."""
    from heimdall.inference import OnnxPredictor

    predictor = OnnxPredictor(onnx_bytes)
    meta = predictor.metadata
    try:
        return OnnxDescription(
            layout=predictor.layout.to_dict(), normalization=dict(meta["normalization"]),
            training_config=dict(meta.get("training_config") or {}),
            metrics=finite_json(dict(meta.get("metrics") or {})), best_epoch=meta.get("best_epoch"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"the ONNX file lacks Heimdall metadata: {exc!r}", field="model.onnx") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def deployment_slot(network_id: str | None, layout: dict[str, Any]) -> str:
    """One deployed model per network; a model without a network gets the slot of its receiver layout."""
    if network_id:
        return network_id
    return "layout:" + sha256_hex(json.dumps(layout, sort_keys=True).encode())


class ModelRegistry:
    def __init__(self, session_factory: sessionmaker[Session], blobs: BlobStore, publish: Publish) -> None:
        self._sessions = session_factory
        self._blobs = blobs
        self._publish = publish

    # --- registering ---

    def register(self, name: str, onnx_bytes: bytes, checkpoint_bytes: bytes | None = None,
                 provenance: Provenance | None = None) -> dict[str, Any]:
        """Register a model (idempotent per training job: a job's second call returns its first model)."""
        provenance = provenance or Provenance()
        name = check_name(name)
        if provenance.job_id is not None:
            existing = self.find_by_job(provenance.job_id)
            if existing is not None:
                return existing
        description = describe_onnx(onnx_bytes)
        model_id = new_id()
        keys = self._write_files(model_id, onnx_bytes, checkpoint_bytes)
        try:
            with transaction(self._sessions) as session:
                row = _new_row(session, model_id, name, description, provenance, keys, onnx_bytes, checkpoint_bytes)
                session.add(row)
                session.flush()
                model = model_to_dict(row)
        except BaseException:
            self._remove_files(model_id)
            raise
        self._publish(TOPIC, "model.registered", model)
        return model

    def _write_files(self, model_id: str, onnx_bytes: bytes, checkpoint_bytes: bytes | None) -> dict[str, str | None]:
        onnx_key = f"models/{model_id}/{ONNX_FILE}"
        keys: dict[str, str | None] = {"onnx": onnx_key, "checkpoint": None}
        try:
            self._blobs.put_bytes(onnx_key, onnx_bytes)
            if checkpoint_bytes is not None:
                keys["checkpoint"] = checkpoint_key = f"models/{model_id}/{CHECKPOINT_FILE}"
                self._blobs.put_bytes(checkpoint_key, checkpoint_bytes)
        except BaseException:
            self._remove_files(model_id)
            raise
        return keys

    def _remove_files(self, model_id: str) -> None:
        try:
            self._blobs.delete_prefix(f"models/{model_id}/")
        except HeimdallError as exc:
            # The row is what makes a model exist; stray files are only wasted space.
            log.warning("could not remove the files of model %s: %s", model_id, exc.message)

    # --- reading ---

    def list(self, *, offset: int = 0, limit: int = 50, network_id: str | None = None,
             deployed: bool | None = None) -> dict[str, Any]:
        """Newest first."""
        query = select(RegisteredModelRow)
        if network_id is not None:
            query = query.where(RegisteredModelRow.network_id == network_id)
        if deployed is not None:
            column = RegisteredModelRow.deployed_slot
            query = query.where(column.is_not(None) if deployed else column.is_(None))
        with self._sessions() as session:
            order = (RegisteredModelRow.created_at.desc(), RegisteredModelRow.id)
            return page(session, query, order, model_to_dict, offset, limit)

    def get(self, model_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            return model_to_dict(_load(session, model_id))

    def find_by_job(self, job_id: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.scalar(select(RegisteredModelRow).where(RegisteredModelRow.job_id == job_id))
            return None if row is None else model_to_dict(row)

    def onnx_bytes(self, model_id: str) -> bytes:
        return self._blobs.get_bytes(self._file_key(model_id, "onnx"))

    def checkpoint_bytes(self, model_id: str) -> bytes:
        """The training checkpoint; NotFound when the model was registered without one."""
        return self._blobs.get_bytes(self._file_key(model_id, "checkpoint"))

    def _file_key(self, model_id: str, which: str) -> str:
        with self._sessions() as session:
            row = _load(session, model_id)
            key = row.onnx_key if which == "onnx" else row.checkpoint_key
        if key is None:
            raise NotFound(f"model {model_id} has no {which} file", details={"resource": "model", "id": model_id})
        return key

    def deployed(self) -> builtins.list[dict[str, Any]]:
        """The deployed models, lightly (id, name, network, ONNX key and hash, validation median error).

        Cheap enough to ask on every request: this is how every API process notices a new deployment.
        """
        columns = (RegisteredModelRow.id, RegisteredModelRow.name, RegisteredModelRow.network_id,
                   RegisteredModelRow.onnx_key, RegisteredModelRow.onnx_sha256, RegisteredModelRow.metrics)
        with self._sessions() as session:
            rows = session.execute(select(*columns).where(RegisteredModelRow.deployed_slot.is_not(None))).all()
        return [
            {"id": r.id, "name": r.name, "network_id": r.network_id, "onnx_key": r.onnx_key,
             "onnx_sha256": r.onnx_sha256, "median_error_m": (r.metrics or {}).get("median_error_m")}
            for r in rows
        ]

    # --- changing ---

    def update(self, model_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Rename (the only editable field)."""
        if not isinstance(changes, dict):
            raise InvalidInput("changes must be an object")
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise InvalidInput(f"unknown or read-only model field {unknown[0]!r}", field=unknown[0])
        with transaction(self._sessions) as session:
            row = _load(session, model_id)
            if "name" in changes:
                row.name = check_name(changes["name"])
            row.updated_at = utcnow()
            session.flush()
            model = model_to_dict(row)
        self._publish(TOPIC, "model.updated", model)
        return model

    def delete(self, model_id: str) -> dict[str, Any]:
        """Remove the model and its files; a deployed model is undeployed by going."""
        with transaction(self._sessions) as session:
            row = _load(session, model_id)
            model = {**model_to_dict(row), "deployed": False, "deployed_at": None}
            session.delete(row)
        self._remove_files(model_id)
        self._publish(TOPIC, "model.deleted", model)
        return model

    def deploy(self, model_id: str) -> dict[str, Any]:
        """Make this the deployed model of its network (the one it replaces is undeployed)."""
        with _deploy_race_as_conflict(model_id), transaction(self._sessions) as session:
            row = _load(session, model_id)
            slot = deployment_slot(row.network_id, row.layout)
            replaced = session.scalars(
                select(RegisteredModelRow.id).where(RegisteredModelRow.deployed_slot == slot,
                                                    RegisteredModelRow.id != row.id)
            ).all()
            session.execute(
                update(RegisteredModelRow).where(RegisteredModelRow.id.in_(replaced))
                .values(deployed_slot=None, deployed_at=None, updated_at=utcnow())
            )
            if row.deployed_slot != slot:
                row.deployed_slot, row.deployed_at, row.updated_at = slot, utcnow(), utcnow()
            session.flush()
            model = model_to_dict(row)
            undeployed = [model_to_dict(r) for r in _load_many(session, replaced)]
        for other in undeployed:
            self._publish(TOPIC, "model.undeployed", other)
        self._publish(TOPIC, "model.deployed", {**model, "replaced_model_ids": list(replaced)})
        return model

    def undeploy(self, model_id: str) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = _load(session, model_id)
            row.deployed_slot, row.deployed_at, row.updated_at = None, None, utcnow()
            session.flush()
            model = model_to_dict(row)
        self._publish(TOPIC, "model.undeployed", model)
        return model


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name must be a non-empty string", field="name")
    if len(value.strip()) > 200:
        raise InvalidInput("name must be at most 200 characters", field="name")
    return value.strip()


def model_to_dict(row: RegisteredModelRow) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "network_id": row.network_id, "job_id": row.job_id,
        "parent_model_id": row.parent_model_id, "dataset_ids": list(row.dataset_ids or []),
        "training_config": row.training_config, "layout": row.layout, "normalization": row.normalization,
        "metrics": row.metrics, "best_epoch": row.best_epoch, "origin": row.origin,
        "files": {
            ONNX_FILE: {"sha256": row.onnx_sha256, "bytes": row.onnx_bytes},
            CHECKPOINT_FILE: None if row.checkpoint_key is None
            else {"sha256": row.checkpoint_sha256, "bytes": row.checkpoint_bytes},
        },
        "deployed": row.deployed_slot is not None,
        "deployed_at": iso_z(row.deployed_at) if row.deployed_at else None,
        "created_at": iso_z(row.created_at), "updated_at": iso_z(row.updated_at),
    }


def _new_row(session: Session, model_id: str, name: str, description: OnnxDescription, provenance: Provenance,
             keys: dict[str, str | None], onnx_bytes: bytes, checkpoint_bytes: bytes | None) -> RegisteredModelRow:
    network_id = provenance.network_id
    if network_id is not None and session.get(NetworkRow, network_id) is None:
        network_id = None  # the network is gone (or unknown here): the model keeps its layout's slot
    parent_id = provenance.parent_model_id
    if parent_id is not None and session.get(RegisteredModelRow, parent_id) is None:
        parent_id = None
    return RegisteredModelRow(
        id=model_id, name=name, network_id=network_id, job_id=provenance.job_id, parent_model_id=parent_id,
        dataset_ids=list(provenance.dataset_ids), training_config=description.training_config,
        layout=description.layout, normalization=description.normalization, metrics=description.metrics,
        best_epoch=description.best_epoch, origin=provenance.origin,
        onnx_key=keys["onnx"], onnx_sha256=sha256_hex(onnx_bytes), onnx_bytes=len(onnx_bytes),
        checkpoint_key=keys["checkpoint"],
        checkpoint_sha256=None if checkpoint_bytes is None else sha256_hex(checkpoint_bytes),
        checkpoint_bytes=None if checkpoint_bytes is None else len(checkpoint_bytes),
    )


@contextmanager
def _deploy_race_as_conflict(model_id: str) -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"another deployment for the network of model {model_id} happened at the same moment; "
                       "try again") from exc


def _load(session: Session, model_id: str) -> RegisteredModelRow:
    return load_row(session, RegisteredModelRow, model_id, "model")


def _load_many(session: Session, model_ids: Sequence[str]) -> list[RegisteredModelRow]:
    if not model_ids:
        return []
    return list(session.scalars(select(RegisteredModelRow).where(RegisteredModelRow.id.in_(model_ids))))
