"""Blob stores on a local directory and on a real moto S3 server process (the suite's ``moto_endpoint``)."""

from __future__ import annotations

import uuid

import pytest

from heimdall.store.blob import LocalBlobStore, S3BlobStore


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    request.getfixturevalue("aws_env")
    endpoint = request.getfixturevalue("moto_endpoint")
    import boto3

    bucket = f"heimdall-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    return S3BlobStore(bucket, "some/prefix", endpoint)
