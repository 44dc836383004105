"""Artifact stores to test: a local folder, Azure Blob Storage on Azurite and S3 on moto.

Both emulators run as subprocesses on free ports, once per test process, keeping objects in
memory: Azurite (the Azure Storage emulator, from npm: ``scripts/setup`` installs it) and moto's
standalone server, which speaks the S3 protocol over HTTP. The code under test reaches them through
adlfs and s3fs unchanged, configured the way a user configures them: a connection string for
Azure, ``AWS_*`` variables (keys and ``AWS_ENDPOINT_URL``) for S3.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runhistory.artifacts.base import ArtifactStore, open_artifact_store
from tests.conftest import free_port

AZURITE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "azurite-blob"
# The emulator's fixed, public development account (documented by Microsoft, not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
# moto accepts any keys; these only have to be present, as real ones would be.
S3_ACCESS_KEY = "runhistory-test"
S3_SECRET_KEY = "runhistory-test-secret"
S3_REGION = "us-east-1"
OBJECT_STORE_KINDS = ["azure", "s3"]
STORE_KINDS = ["local", *OBJECT_STORE_KINDS]


def wait_until_listening(
    name: str, port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"{name} exited with code {process.returncode} before listening: "
                f"{log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{name} did not listen on port {port} within {timeout} s")


@contextlib.contextmanager
def emulator(name: str, command: list[str], port: int, folder: Path) -> Iterator[None]:
    """``command`` running (output in ``folder``) until the block ends, once it listens on ``port``."""
    log_path = folder / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_listening(name, port, process, log_path)
            yield
        finally:
            # Both keep everything in memory, so there is nothing to save; Azurite would wait
            # for idle client connections to close after a SIGTERM.
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The connection string of an Azurite blob service started for this test process."""
    if not AZURITE.exists():
        pytest.fail(f"{AZURITE} is missing; run scripts/setup to install Azurite from npm")
    port = free_port()
    command = [
        str(AZURITE), "--inMemoryPersistence",
        "--blobHost", "127.0.0.1", "--blobPort", str(port),
        "--skipApiVersionCheck", "--loose",
    ]  # fmt: skip
    with emulator("Azurite", command, port, tmp_path_factory.mktemp("azurite")):
        yield (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )


@pytest.fixture
def azure_container(azurite: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty container on Azurite; the connection string is in the environment."""
    from azure.storage.blob import BlobServiceClient

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    name = f"test-{secrets.token_hex(6)}"
    with BlobServiceClient.from_connection_string(azurite) as service:
        service.create_container(name)
    return name


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a moto S3 server started for this test process."""
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)]
    with emulator("moto", command, port, tmp_path_factory.mktemp("moto")):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def s3_admin(moto_s3: str) -> Any:
    """A plain botocore client of the moto server, to create buckets independently of s3fs."""
    import botocore.session

    return botocore.session.get_session().create_client(
        "s3",
        endpoint_url=moto_s3,
        region_name=S3_REGION,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
    )


def use_s3_endpoint(monkeypatch: pytest.MonkeyPatch, endpoint: str, folder: Path) -> None:
    """The environment of a user of an S3-compatible service: keys and endpoint, nothing else."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", S3_REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)


@pytest.fixture
def s3_bucket(moto_s3: str, s3_admin: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A new, empty bucket on moto; keys and endpoint are in the environment."""
    use_s3_endpoint(monkeypatch, moto_s3, tmp_path)
    name = f"test-{secrets.token_hex(6)}"
    s3_admin.create_bucket(Bucket=name)
    return name


def empty_prefix_url(request: pytest.FixtureRequest, kind: str) -> str:
    """The URL of an empty prefix in a new container (``azure``) or bucket (``s3``)."""
    if kind == "azure":
        container: str = request.getfixturevalue("azure_container")
        return f"az://{container}/team/files"
    bucket: str = request.getfixturevalue("s3_bucket")
    return f"s3://{bucket}/team/files"


@pytest.fixture(params=OBJECT_STORE_KINDS)
def object_storage_url(request: pytest.FixtureRequest) -> str:
    """An empty prefix on Azure Blob Storage and on S3."""
    return empty_prefix_url(request, request.param)


@pytest.fixture(params=STORE_KINDS)
def artifact_store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    """The same store behaviour, on a local folder, Azure Blob Storage and S3."""
    if request.param == "local":
        return open_artifact_store(tmp_path / "artifacts")
    return open_artifact_store(empty_prefix_url(request, request.param))
