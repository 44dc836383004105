"""Artifact stores to test: a local folder and Azure Blob Storage on Azurite.

Azurite (the Azure Storage emulator, from npm: ``scripts/setup`` installs it) runs as a
subprocess on a free port, once per test process, keeping blobs in memory.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runhistory.artifacts.base import ArtifactStore, open_artifact_store
from tests.conftest import free_port

AZURITE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "azurite-blob"
# The emulator's fixed, public development account (documented by Microsoft, not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
STORE_KINDS = ["local", "azure"]


def wait_until_listening(
    port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"Azurite exited with code {process.returncode} before listening: "
                f"{log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"Azurite did not listen on port {port} within {timeout} s")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The connection string of an Azurite blob service started for this test process."""
    if not AZURITE.exists():
        pytest.fail(f"{AZURITE} is missing; run scripts/setup to install Azurite from npm")
    port = free_port()
    folder = tmp_path_factory.mktemp("azurite")
    log_path = folder / "azurite.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [
                str(AZURITE), "--inMemoryPersistence",
                "--blobHost", "127.0.0.1", "--blobPort", str(port),
                "--skipApiVersionCheck", "--loose",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_until_listening(port, process, log_path)
            yield (
                "DefaultEndpointsProtocol=http;"
                f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
            )
        finally:
            process.kill()
            process.wait()


@pytest.fixture
def azure_container(azurite: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty container on Azurite; the connection string is in the environment."""
    from azure.storage.blob import BlobServiceClient

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    name = f"test-{secrets.token_hex(6)}"
    with BlobServiceClient.from_connection_string(azurite) as service:
        service.create_container(name)
    return name


@pytest.fixture(params=STORE_KINDS)
def artifact_store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    """The same store behaviour, on a local folder and on Azure Blob Storage."""
    if request.param == "local":
        return open_artifact_store(tmp_path / "artifacts")
    container: str = request.getfixturevalue("azure_container")
    return open_artifact_store(f"az://{container}/team/files")
