"""``/api/v1/models``: the model registry (CONTRACT section 2), deployment, and portable bundles.

``GET /models/{id}/export`` answers one zip bundle (docs/registry.md); ``POST /models/import`` takes
one, either as the raw request body (``application/zip`` or ``application/octet-stream``) or as the
``file`` field of a ``multipart/form-data`` upload, and answers 201 with the new model.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from heimdall.api.deps import AppSettings, Registry
from heimdall.api.pagination import Page, page_params
from heimdall.api.routes.receivers import Timestamp
from heimdall.errors import InvalidInput
from heimdall.services.models.bundle import BundleLimits, export_bundle, import_bundle

router = APIRouter(prefix="/models", tags=["models"])
BUNDLE_MEDIA_TYPE = "application/zip"


class ModelFile(BaseModel):
    sha256: str
    bytes: int


class RegisteredModel(BaseModel):
    """A registered neural localizer: its lineage, what it needs, how it did, whether it serves."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())
    id: str
    name: str
    network_id: str | None
    job_id: str | None
    parent_model_id: str | None
    dataset_ids: list[str]
    training_config: dict[str, Any]
    layout: dict[str, Any]
    normalization: dict[str, Any]
    metrics: dict[str, Any]
    best_epoch: int | None
    origin: dict[str, Any] | None
    files: dict[str, ModelFile | None]
    deployed: bool
    deployed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class RegisteredModelPage(BaseModel):
    items: list[RegisteredModel]
    total: int


class RegisteredModelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


@router.get("", response_model=RegisteredModelPage)
def list_models(registry: Registry, page: Annotated[Page, Depends(page_params)], network_id: str | None = None,
                deployed: bool | None = Query(None, description="only deployed (true) or undeployed (false) models"),
                ) -> dict[str, Any]:
    return registry.list(offset=page.offset, limit=page.limit, network_id=network_id, deployed=deployed)


@router.post("/import", response_model=RegisteredModel, status_code=201)
async def import_model(request: Request, registry: Registry, settings: AppSettings,
                       name: str | None = None) -> dict[str, Any]:
    """Register the model of a bundle made by ``GET /models/{id}/export`` (raw body or multipart ``file``)."""
    data = await _bundle_bytes(request)
    limits = BundleLimits.of(settings.max_bundle_bytes, settings.max_bundle_compression_ratio)
    # Checking and registering block (ONNX Runtime, the database): keep them off the event loop.
    return await run_in_threadpool(import_bundle, registry, data, name=name, limits=limits)


@router.get("/{model_id}", response_model=RegisteredModel)
def get_model(model_id: str, registry: Registry) -> dict[str, Any]:
    return registry.get(model_id)


@router.patch("/{model_id}", response_model=RegisteredModel)
def update_model(model_id: str, body: RegisteredModelUpdate, registry: Registry) -> dict[str, Any]:
    return registry.update(model_id, body.model_dump(exclude_unset=True))


@router.delete("/{model_id}", status_code=204)
def delete_model(model_id: str, registry: Registry) -> Response:
    registry.delete(model_id)
    return Response(status_code=204)


@router.post("/{model_id}/deploy", response_model=RegisteredModel)
def deploy_model(model_id: str, registry: Registry) -> dict[str, Any]:
    """Make this the model ``/localize`` uses for its network; the one it replaces is undeployed."""
    return registry.deploy(model_id)


@router.post("/{model_id}/undeploy", response_model=RegisteredModel)
def undeploy_model(model_id: str, registry: Registry) -> dict[str, Any]:
    return registry.undeploy(model_id)


@router.get("/{model_id}/export", response_class=Response,
            responses={200: {"content": {BUNDLE_MEDIA_TYPE: {}}, "description": "the model bundle (zip)"}})
def export_model(model_id: str, registry: Registry) -> Response:
    data = export_bundle(registry, model_id)
    headers = {"Content-Disposition": f'attachment; filename="heimdall-model-{model_id}.zip"'}
    return Response(data, media_type=BUNDLE_MEDIA_TYPE, headers=headers)


async def _bundle_bytes(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await request.body()
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput("a multipart import needs the bundle in a 'file' field", field="file")
    return await upload.read()
