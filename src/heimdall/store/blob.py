"""The blob store: opaque bytes under slash-separated keys, on local files or any S3 endpoint.

Keys look like ``datasets/<id>/shard-0001.parquet``: relative, ``/``-separated, no ``..`` and no empty
parts. Writes are atomic on both backends: a reader sees the old object, the new one or nothing, never a
half-written file (local files: temp file in the same directory, fsync, ``os.replace``; S3: PUT is atomic).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Protocol, cast, runtime_checkable
from urllib.parse import unquote, urlparse

from heimdall.errors import InvalidInput, NotFound, StorageError

_MAX_KEY_LENGTH = 1024


@runtime_checkable
class BlobStore(Protocol):
    def put_bytes(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: str | Path) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def open_read(self, key: str) -> IO[bytes]: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int: ...

    def list(self, prefix: str = "") -> list[str]: ...

    def size(self, key: str) -> int: ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise InvalidInput."""
    if not isinstance(key, str) or not key:
        raise InvalidInput("blob key must be a non-empty string", field="key")
    if len(key) > _MAX_KEY_LENGTH:
        raise InvalidInput(f"blob key longer than {_MAX_KEY_LENGTH} characters", field="key")
    if key.startswith("/") or "\\" in key or "\x00" in key or (len(key) > 1 and key[1] == ":"):
        raise InvalidInput(f"blob key must be relative and '/'-separated: {key!r}", field="key")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidInput(f"blob key has an empty, '.' or '..' part: {key!r}", field="key")
    return key


def validate_prefix(prefix: str) -> str:
    """A prefix is empty or a key, optionally ending with ``/``."""
    if prefix == "":
        return prefix
    validate_key(prefix.removesuffix("/"))
    return prefix


class LocalBlobStore:
    """Blobs as files under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create blob directory {self.root}: {exc}") from exc

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def put_bytes(self, key: str, data: bytes) -> None:
        self._atomic_write(key, lambda handle: handle.write(data))

    def put_file(self, key: str, path: str | Path) -> None:
        try:
            with open(path, "rb") as source:
                self._atomic_write(key, lambda handle: shutil.copyfileobj(source, handle, 1 << 20))
        except FileNotFoundError as exc:
            raise NotFound(f"no such file to store: {path}") from exc

    def _atomic_write(self, key: str, write: Callable[[IO[bytes]], object]) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise StorageError(f"cannot write blob {key!r}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise StorageError(f"cannot write blob {key!r}: {exc}") from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise

    def get_bytes(self, key: str) -> bytes:
        with self.open_read(key) as handle:
            return handle.read()

    def open_read(self, key: str) -> IO[bytes]:
        path = self._path(key)
        try:
            return open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound(f"no blob {key!r}") from exc
        except OSError as exc:
            raise StorageError(f"cannot read blob {key!r}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"no blob {key!r}")
        return path.stat().st_size

    def delete(self, key: str) -> None:
        """Delete one blob; deleting a missing blob is not an error (idempotent)."""
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        self._prune_empty_dirs(prefix)
        return len(keys)

    def _prune_empty_dirs(self, prefix: str) -> None:
        directory = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        if not directory:
            return
        start = self.root.joinpath(*directory.split("/"))
        for path in sorted(_walk_dirs(start), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                path.rmdir()

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        directory = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*directory.split("/")) if directory else self.root
        if not start.is_dir():
            return []
        keys = []
        for path in _walk_files(start):
            key = path.relative_to(self.root).as_posix()
            # Temp files of writes in progress are never visible as blobs.
            if key.startswith(prefix) and not (path.name.startswith(".") and path.name.endswith(".tmp")):
                keys.append(key)
        return sorted(keys)


def _walk_files(start: Path) -> Iterator[Path]:
    for dirpath, _dirnames, filenames in os.walk(start):
        for name in filenames:
            yield Path(dirpath) / name


def _walk_dirs(start: Path) -> Iterator[Path]:
    if not start.is_dir():
        return
    for dirpath, _dirnames, _filenames in os.walk(start):
        yield Path(dirpath)


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk (POSIX); Windows has no dir fds.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_blob_store(url: str, s3_endpoint_url: str = "") -> BlobStore:
    """``file:///abs/path`` (or a plain path) -> LocalBlobStore; ``s3://bucket/prefix`` -> S3BlobStore."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        path = unquote(parsed.path) if parsed.scheme == "file" else url
        if parsed.scheme == "file" and parsed.netloc not in ("", "localhost"):
            raise InvalidInput(f"file blob URL must be file:///absolute/path, got {url!r}", field="blob_url")
        if not path:
            raise InvalidInput("blob URL has no path", field="blob_url")
        return LocalBlobStore(path)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise InvalidInput(f"s3 blob URL needs a bucket: {url!r}", field="blob_url")
        return S3BlobStore(parsed.netloc, parsed.path.strip("/"), s3_endpoint_url or None)
    raise InvalidInput(f"unsupported blob URL scheme {parsed.scheme!r} (use file:// or s3://)", field="blob_url")


class S3BlobStore:
    """Blobs as objects under ``prefix`` in an S3 bucket (AWS, MinIO, Ceph, moto, ...).

    Credentials and region come from boto3's usual chain (env, config files, instance roles).
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            from heimdall.errors import DependencyMissing

            raise DependencyMissing("S3 blobs need boto3: pip install 'heimdall[scale]'") from exc
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        config = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=5, read_timeout=60)
        self._client = boto3.client("s3", endpoint_url=endpoint_url or None, config=config)

    def __repr__(self) -> str:
        return f"S3BlobStore({self.bucket!r}, {self.prefix!r})"

    def _object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextlib.contextmanager
    def _translate(self, what: str, key: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"no blob {key!r}") from exc
            raise StorageError(f"S3 {what} {key!r} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 {what} {key!r} failed: {exc}") from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._translate("put", key):
            self._client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=data)

    def put_file(self, key: str, path: str | Path) -> None:
        if not Path(path).is_file():
            raise NotFound(f"no such file to store: {path}")
        with self._translate("upload", key):
            self._client.upload_file(str(path), self.bucket, self._object_key(key))

    def get_bytes(self, key: str) -> bytes:
        with self._translate("get", key):
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
            return cast(bytes, response["Body"].read())

    def open_read(self, key: str) -> IO[bytes]:
        with self._translate("get", key):
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        return cast(IO[bytes], response["Body"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except NotFound:
            return False
        return True

    def size(self, key: str) -> int:
        with self._translate("head", key):
            response = self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
            return int(response["ContentLength"])

    def delete(self, key: str) -> None:
        with self._translate("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self._object_key(key)} for key in keys[start : start + 1000]]
            with self._translate("delete", prefix):
                response = self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
            if response.get("Errors"):
                raise StorageError(f"S3 delete under {prefix!r} failed: {response['Errors'][0]}")
        return len(keys)

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        base = f"{self.prefix}/" if self.prefix else ""
        keys: list[str] = []
        with self._translate("list", prefix):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
                keys.extend(item["Key"][len(base) :] for item in page.get("Contents", []))
        return sorted(keys)
