"""``/api/v1/terrain``: the terrain folder's elevation files (SRTM .hgt, GeoTIFF) that dataset configs name.

Upload: ``POST /terrain`` multipart with one ``file`` (its file name, or the ``name`` field, names it);
the body may be as large as ``max_terrain_upload_bytes``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from heimdall.api.deps import Terrain
from heimdall.api.routes.receivers import Timestamp

router = APIRouter(prefix="/terrain", tags=["terrain"])
UPLOAD_PATH = "/terrain"


class TerrainFile(BaseModel):
    name: str
    kind: str
    size_bytes: int
    modified_at: Timestamp


class TerrainPage(BaseModel):
    items: list[TerrainFile]
    total: int


@router.get("", response_model=TerrainPage)
def list_terrain(terrain: Terrain) -> dict[str, Any]:
    return terrain.list()


@router.post("", response_model=TerrainFile, status_code=201)
async def upload_terrain(terrain: Terrain, file: Annotated[UploadFile, File(description=".hgt, .tif or .tiff")],
                         name: Annotated[str | None, Form(max_length=130)] = None) -> dict[str, Any]:
    return await run_in_threadpool(terrain.save, name or file.filename or "", file.file)


@router.delete("/{name}", status_code=204)
def delete_terrain(name: str, terrain: Terrain) -> None:
    terrain.delete(name)
