"""One error tree for the whole package.

Every error Heimdall raises on purpose derives from ``HeimdallError`` and carries a stable ``code``
and the HTTP status the API answers with. Third-party exceptions are translated at the boundary
(``raise InvalidInput(...) from exc``); nothing else should reach a user.

    HeimdallError (500, "internal")
    ├── InvalidInput (422, "invalid_input")          bad values, impossible configs, corrupt files
    │   ├── InsufficientData (422, "insufficient_data")  fewer measurements than unknowns
    │   ├── CorruptShard (422, "corrupt_shard")      a dataset shard that fails its sha256, schema or length
    │   └── IncompatibleCheckpoint (422, "incompatible_checkpoint")  resume or warm start that does not fit
    ├── NotFound (404, "not_found")
    ├── Conflict (409, "conflict")                   forbidden state transition, name clash
    │   └── NoModelAvailable (409, "no_model")       method "neural" without a fitting deployed model
    ├── Unauthorized (401, "unauthorized")          no, wrong, expired or revoked credentials
    ├── Forbidden (403, "forbidden")                 a role too small, a cross-site request
    ├── TooManyRequests (429, "too_many_requests")   sign-in attempts past the limit
    ├── PayloadTooLarge (413, "payload_too_large")
    ├── DependencyMissing (503, "dependency_missing")  optional package not installed
    ├── BudgetExceeded (503, "budget_exceeded")      a localization ran past its time budget
    ├── Cancelled (503, "cancelled")                 work stopped: the client left or the server is stopping
    ├── StorageError (503, "storage_error")          database or blob store failed
    ├── TrainingFailed (422, "training_failed")      a training run that cannot go on
    │   └── TrainingDiverged (422, "training_diverged")  non-finite loss or gradient; keeps the last good checkpoint
    ├── OnnxExportMismatch (500, "onnx_export_mismatch")  an ONNX export that answers unlike its network
    ├── IdentityProviderFailed (502, "identity_provider_failed")  the OpenID Connect provider failed
    └── ReceiverFailed (502, "receiver_failed")      a real receiver refused, dropped or spoke garbage
        └── ReceiverRefused (heimdall.receivers.states: carries a RefusalReason)
"""

from __future__ import annotations

from typing import Any


class HeimdallError(Exception):
    code = "internal"
    http_status = 500

    def __init__(self, message: str, *, details: Any = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape of CONTRACT section 2."""
        details = self.details
        if self.field is not None:
            details = {"field": self.field, **(details if isinstance(details, dict) else {})}
        return {"error": {"code": self.code, "message": self.message, "details": details}}


class InvalidInput(HeimdallError):
    code = "invalid_input"
    http_status = 422


class InsufficientData(InvalidInput):
    code = "insufficient_data"


class NotFound(HeimdallError):
    code = "not_found"
    http_status = 404


class Conflict(HeimdallError):
    code = "conflict"
    http_status = 409


class NoModelAvailable(Conflict):
    code = "no_model"


class Unauthorized(HeimdallError):
    code = "unauthorized"
    http_status = 401


class Forbidden(HeimdallError):
    code = "forbidden"
    http_status = 403


class TooManyRequests(HeimdallError):
    code = "too_many_requests"
    http_status = 429


class PayloadTooLarge(HeimdallError):
    code = "payload_too_large"
    http_status = 413


class DependencyMissing(HeimdallError):
    code = "dependency_missing"
    http_status = 503


class BudgetExceeded(HeimdallError):
    """The server's budget, not the input, ran out: sets within the documented limits fit the default
    budget on an idle core, so this means an overloaded server or a budget set too low (503)."""

    code = "budget_exceeded"
    http_status = 503


class Cancelled(HeimdallError):
    """Work abandoned on purpose: its client went away or the server is shutting down."""

    code = "cancelled"
    http_status = 503


class StorageError(HeimdallError):
    code = "storage_error"
    http_status = 503


class CorruptShard(InvalidInput):
    """A dataset shard whose bytes fail their sha256, are not a readable shard, or hold other samples
    than its entry says. Corrupt files are bad input (422), not a storage outage: retrying won't help."""

    code = "corrupt_shard"


class IncompatibleCheckpoint(InvalidInput):
    """A checkpoint that cannot continue here: other samples, another config, a finished run, a warm
    start of another network shape or receiver layout."""

    code = "incompatible_checkpoint"


class TrainingFailed(HeimdallError):
    code = "training_failed"
    http_status = 422


class TrainingDiverged(TrainingFailed):
    """The loss or gradient went non-finite; ``last_checkpoint`` holds the last good state (or None)."""

    code = "training_diverged"

    def __init__(self, message: str, *, last_checkpoint: bytes | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.last_checkpoint = last_checkpoint


class OnnxExportMismatch(HeimdallError):
    """The exported ONNX file does not answer like the PyTorch network it came from (a bug: 500)."""

    code = "onnx_export_mismatch"
    http_status = 500


class IdentityProviderFailed(HeimdallError):
    code = "identity_provider_failed"
    http_status = 502


class ReceiverFailed(HeimdallError):
    code = "receiver_failed"
    http_status = 502
