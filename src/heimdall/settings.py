"""Typed settings: HEIMDALL_ environment variables, an optional config file, then CLI flags.

Precedence rises in that order. With nothing set, everything is embedded: SQLite and files under
the data directory, local worker processes, in-process events.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from heimdall.errors import InvalidInput

DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
# Job kinds every Heimdall process knows; tests add their own through ``job_modules``.
BUILTIN_JOB_MODULES: tuple[str, ...] = ("heimdall.services.datasets.generation_job", "heimdall.services.models.training_job",
                                         "heimdall.services.captures.capture_job",
                                         "heimdall.services.monitors.monitor_job")


class TileSource(BaseModel):
    """An operator's tile server: ``raster``/``vector`` take a ``{z}/{x}/{y}`` URL template, ``style`` a
    MapLibre style JSON URL. The attribution is shown on the map whenever the source is."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)
    kind: Literal["raster", "vector", "style"] = "raster"
    url: str = Field(pattern=r"^https?://")
    attribution: str = Field(min_length=1)
    tile_size: int = Field(default=256, ge=64, le=1024)
    min_zoom: int = Field(default=0, ge=0, le=30)
    max_zoom: int = Field(default=19, ge=0, le=30)
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _template(cls, url: str, info: Any) -> str:
        if info.data.get("kind", "raster") != "style" and not all(k in url for k in ("{z}", "{x}", "{y}")):
            raise ValueError("a raster or vector tile URL needs {z}, {x} and {y}")
        return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEIMDALL_", extra="forbid")

    data_dir: Path = Path("./heimdall-data")
    host: str = "127.0.0.1"
    port: int = 8000
    # Empty means embedded: sqlite:///<data_dir>/heimdall.db
    database_url: str = ""
    # Empty means files under <data_dir>/blobs; s3://bucket/prefix for S3 (endpoint below).
    blob_url: str = ""
    s3_endpoint_url: str = ""
    # Empty means local worker processes; redis://... or amqp://... means Celery.
    broker_url: str = ""
    # Empty means in-process events (plus the database event log); redis://... for fan-out.
    events_url: str = ""
    local_workers: int = Field(default=2, ge=0, le=64)
    heartbeat_interval_s: float = Field(default=2.0, gt=0)
    heartbeat_timeout_s: float = Field(default=15.0, gt=0)
    # Extra modules that register job kinds (@job_kind), on top of BUILTIN_JOB_MODULES; the API and
    # every worker import them at start. Env: a comma list or a JSON list.
    job_modules: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # A worker that dies this many times on one job (heartbeat lapsed) fails the job instead of requeuing.
    job_max_attempts: int = Field(default=3, ge=1)
    # A job `queued` this long without a claim is submitted again by the reaper (Celery): its message may
    # have died with a worker. Duplicates are harmless (one claim wins), so this errs on the short side.
    job_resubmit_after_s: float = Field(default=120.0, gt=0)
    # "module:function" called as function(settings, session_factory) -> publish in Celery workers.
    job_event_publisher: str = "heimdall.events:make_publisher"
    # Prepended to every Celery queue name (cpu, gpu), to share one broker between deployments.
    job_queue_prefix: str = ""
    event_retention_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # Wall-clock seconds one localization may run (POST /localize, heimdall locate); past it: 503
    # budget_exceeded. Sets within the size limits need < 5 s of one core (docs/localization.md).
    localize_budget_s: float = Field(default=30.0, gt=0)
    # Recordings uploaded for localization (POST /localize/recordings): the whole upload, and files per upload.
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    max_upload_files: int = Field(default=32, ge=2)
    # Captures from real receivers (docs/captures.md; manners on shared receivers: docs/receivers.md).
    capture_max_duration_s: float = Field(default=60.0, gt=0, le=3600)
    # Without start_at, the window starts as soon as every receiver streams with GNSS time, or after this
    # long without the late ones (docs/captures.md).
    capture_ready_timeout_s: float = Field(default=20.0, ge=1.0, le=600)
    # Sent to every receiver as our contact (ident_user, User-Agent), so its operator can reach us.
    kiwi_contact: str = Field(default="", max_length=120)
    # Per receiver host (host:port): connections at once, and minutes of recording per rolling hour.
    kiwi_host_max_connections: int = Field(default=2, ge=1, le=16)
    kiwi_host_max_minutes_per_hour: float = Field(default=30.0, gt=0, le=600)
    # Model bundles (POST /models/import, heimdall models import): the members' inflated total, and the
    # compression ratio past which a member is refused as a zip bomb (docs/registry.md).
    max_bundle_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    max_bundle_compression_ratio: float = Field(default=100.0, ge=1.0)
    # Receiver health (docs/receivers.md, "Health"): the API process polls every enabled KiwiSDR and
    # OpenWebRX receiver's status page every ``receiver_health_interval_s`` (0: never; a check on demand
    # still works), at most ``receiver_health_concurrency`` hosts at once, one request at a time per host
    # with ``receiver_health_host_gap_s`` between them; each fetch gives up after ``receiver_health_timeout_s``
    # and reads at most ``receiver_health_max_bytes``.
    receiver_health_interval_s: float = Field(default=300.0, ge=0)
    receiver_health_timeout_s: float = Field(default=5.0, gt=0, le=60)
    receiver_health_concurrency: int = Field(default=4, ge=1, le=64)
    receiver_health_host_gap_s: float = Field(default=1.0, ge=0, le=60)
    receiver_health_max_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    log_level: str = "INFO"
    demo_network: bool = True
    # The standard-time stations of services/references/starter.json, added at start when missing.
    starter_references: bool = True
    # A calibration older than this is stale: shown as such and no longer applied to localizations.
    calibration_max_age_days: float = Field(default=30.0, gt=0)
    # Map base layers (docs/frontend.md, "Base layers"): the bundled Natural Earth outlines; public
    # online tiles (OpenStreetMap, OpenTopoMap), off so a fresh install fetches nothing from outside;
    # the operator's own tile sources; PMTiles/MBTiles archives in ``map_tiles_dir`` (default <data_dir>/tiles).
    map_offline_basemap: bool = True
    map_online_tiles: bool = False
    map_tile_sources: list[TileSource] = Field(default_factory=list)
    map_tile_archives: bool = True
    map_tiles_dir: Path | None = None
    map_default_layer: str = ""
    # --- security (docs/security.md) ---
    # Users, roles and tokens on every route and on /ws. Off only on loopback (serve refuses otherwise).
    auth_enabled: bool = True
    # Host header names the server answers (DNS-rebinding defence); "*" allows any. `host`, when it is
    # a specific address, is added. Env: a comma list or a JSON list.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS))
    # Origins (scheme://host[:port]) allowed besides the server's own, for writes and /ws (a dev server).
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    session_ttl_s: float = Field(default=12 * 3600.0, gt=0)
    # Failed sign-ins per client address (and per user name) within the window before 429.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: float = Field(default=300.0, gt=0)
    # The session cookie's Secure flag; on behind HTTPS (a reverse proxy).
    cookie_secure: bool = False
    # Fernet key for secrets at rest (receiver passwords); empty: <data_dir>/secret.key, made on first need.
    secret_key: SecretStr = SecretStr("")
    # OpenID Connect sign-in (docs/security.md); off while oidc_issuer is empty.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    # Where the provider sends the browser back; empty: <this server>/api/v1/auth/oidc/callback.
    oidc_redirect_url: str = ""
    oidc_scopes: str = "openid profile email"
    oidc_username_claim: str = "preferred_username"
    # A claim holding a role name (or a list of them; the highest counts); empty or absent: the default.
    oidc_role_claim: str = ""
    oidc_default_role: Literal["viewer", "operator", "admin"] = "viewer"
    # One terrain file uploaded through POST /terrain (a 1" SRTM tile is 26 MB).
    max_terrain_upload_bytes: int = Field(default=512 * 1024 * 1024, gt=0)

    @field_validator("job_modules", "allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _split_job_modules(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def all_job_modules(self) -> list[str]:
        """The product's job kinds plus the configured extras, in order, without repeats."""
        return list(dict.fromkeys([*BUILTIN_JOB_MODULES, *self.job_modules]))

    @property
    def resolved_tiles_dir(self) -> Path:
        return self.map_tiles_dir if self.map_tiles_dir is not None else self.data_dir / "tiles"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'heimdall.db').resolve()}"

    @property
    def resolved_blob_url(self) -> str:
        if self.blob_url:
            return self.blob_url
        return f"file://{(self.data_dir / 'blobs').resolve()}"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from env, then the config file (YAML), then explicit overrides (CLI flags)."""
    file_values: dict[str, Any] = {}
    path = config_file or (Path(os.environ["HEIMDALL_CONFIG"]) if os.environ.get("HEIMDALL_CONFIG") else None)
    if path is not None:
        try:
            file_values = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInput(f"cannot read config file {path}: {exc}") from exc
        if not isinstance(file_values, dict):
            raise InvalidInput(f"config file {path} must hold a mapping")
    # Keyword arguments outrank the environment in pydantic-settings, which gives env < file < flags.
    flags = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**{**file_values, **flags})
