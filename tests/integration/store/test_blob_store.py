"""The same cases on local files and on a moto S3 server."""

from __future__ import annotations

import io
import os
import threading

import pytest

from heimdall.errors import InvalidInput, NotFound, StorageError
from heimdall.store.blob import LocalBlobStore, S3BlobStore, make_blob_store


def test_put_get_size_exists_and_overwrite(store):
    store.put_bytes("a/b/c.bin", b"hello")
    assert store.get_bytes("a/b/c.bin") == b"hello"
    assert store.size("a/b/c.bin") == 5 and store.exists("a/b/c.bin")
    store.put_bytes("a/b/c.bin", b"bye")
    assert store.get_bytes("a/b/c.bin") == b"bye"
    with store.open_read("a/b/c.bin") as handle:
        assert handle.read() == b"bye"


def test_put_file_and_large_payload(store, tmp_path):
    payload = os.urandom(3 * 1024 * 1024 + 7)
    source = tmp_path / "source.bin"
    source.write_bytes(payload)
    store.put_file("files/big.bin", source)
    assert store.size("files/big.bin") == len(payload)
    assert store.get_bytes("files/big.bin") == payload
    with pytest.raises(NotFound):
        store.put_file("files/none.bin", tmp_path / "missing.bin")


def test_missing_blobs_are_not_found(store):
    assert not store.exists("nope/x")
    for call in (store.get_bytes, store.open_read, store.size):
        with pytest.raises(NotFound):
            call("nope/x")
    store.delete("nope/x")  # deleting what is not there is fine


def test_list_delete_and_delete_prefix(store):
    for key in ("jobs/1/a", "jobs/1/b/c", "jobs/10/a", "jobs/2/a", "other"):
        store.put_bytes(key, key.encode())
    assert store.list("jobs/1/") == ["jobs/1/a", "jobs/1/b/c"]
    assert store.list("jobs/1") == ["jobs/1/a", "jobs/1/b/c", "jobs/10/a"]
    assert store.list() == sorted(["jobs/1/a", "jobs/1/b/c", "jobs/10/a", "jobs/2/a", "other"])
    assert store.delete_prefix("jobs/1/") == 2
    assert store.list("jobs/") == ["jobs/10/a", "jobs/2/a"]
    store.delete("other")
    assert not store.exists("other")


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "a/./b", "C:/x", "a\\b", "x" * 2000])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(InvalidInput):
        store.put_bytes(key, b"x")
    with pytest.raises(InvalidInput):
        store.list(key if key else "../")


def test_local_writes_are_atomic(tmp_path):
    """A reader never sees a half-written blob, and temp files are never listed."""
    store = LocalBlobStore(tmp_path)
    big_a, big_b = b"a" * (4 << 20), b"b" * (4 << 20)
    store.put_bytes("k", big_a)
    seen: set[bytes] = set()
    stop = threading.Event()

    def read_loop():
        while not stop.is_set():
            data = store.get_bytes("k")
            seen.add(data[:1] + data[-1:] + bytes([len(data) == len(big_a)]))
            assert store.list() == ["k"]

    reader = threading.Thread(target=read_loop)
    reader.start()
    for _ in range(10):
        store.put_bytes("k", big_b)
        store.put_bytes("k", big_a)
    stop.set()
    reader.join()
    assert seen <= {b"aa\x01", b"bb\x01"}
    assert sorted(os.listdir(tmp_path)) == ["k"]


def test_a_failed_local_write_leaves_no_trace(tmp_path):
    store = LocalBlobStore(tmp_path)

    class Boom(io.RawIOBase):
        def readinto(self, buffer):
            raise OSError("disk on fire")

    source = tmp_path / "src"
    source.write_bytes(b"x")
    store.put_bytes("kept", b"old")
    with pytest.raises(StorageError):
        store._atomic_write("kept", lambda handle: handle.write(Boom().read(10)))
    assert store.get_bytes("kept") == b"old" and store.list() == ["kept", "src"]


def test_make_blob_store_picks_the_backend(tmp_path, aws_env, moto_endpoint):
    assert isinstance(make_blob_store(f"file://{tmp_path}/b"), LocalBlobStore)
    s3 = make_blob_store("s3://bucket-x/pre/fix", moto_endpoint)
    assert isinstance(s3, S3BlobStore) and (s3.bucket, s3.prefix) == ("bucket-x", "pre/fix")
    for bad in ("ftp://x/y", "s3:///nobucket", "file://host/path"):
        with pytest.raises(InvalidInput):
            make_blob_store(bad)


def test_s3_errors_become_storage_errors(aws_env, moto_endpoint):
    store = S3BlobStore("bucket-that-does-not-exist", "", moto_endpoint)
    with pytest.raises(StorageError):
        store.put_bytes("k", b"x")
    unreachable = S3BlobStore("b", "", "http://127.0.0.1:9")
    with pytest.raises(StorageError):
        unreachable.list()
