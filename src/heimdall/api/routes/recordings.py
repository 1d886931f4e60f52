"""``POST /api/v1/localize/recordings``: locate from uploaded recordings (multipart/form-data).

Fields: ``recordings`` (two or more files: KiwiSDR IQ WAV, or SigMF ``.sigmf-meta`` + ``.sigmf-data``
pairs), ``receivers`` (optional JSON, the CLI's ``--receivers`` document, for files without
positions), ``network_id`` (optional). The answer is the stored result, as ``POST /localize``
answers, plus the pipeline's diagnostics under ``recordings``. The body may be as large as
``max_upload_bytes`` (the app's body limit is raised for this path alone).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from heimdall.api.deps import Uploads
from heimdall.api.routes.localizations import LocalizationResult
from heimdall.services.recording_uploads import Upload

router = APIRouter(tags=["localization"])
UPLOAD_PATH = "/localize/recordings"


class RecordingsLocalization(LocalizationResult):
    recordings: dict[str, Any]


@router.post(UPLOAD_PATH, response_model=RecordingsLocalization)
async def localize_recordings(
    service: Uploads,
    recordings: Annotated[list[UploadFile], File(description="KiwiSDR IQ WAV files or SigMF meta + data pairs")],
    receivers: Annotated[str | None, Form(description='{"receivers": [{"id", "lat", "lon", "alt_m"}]}')] = None,
    network_id: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    uploads = [Upload(f.filename or "", f.file) for f in recordings]
    return await run_in_threadpool(service.localize, uploads, receivers, network_id)
