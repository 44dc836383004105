"""A workspace whose database is SQLite and whose files are in object storage: Azure Blob
Storage (Azurite) and S3 (moto)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from runhistory import Experiment, Workspace
from tests.conftest import isolated_settings
from tests.sdk.test_metrics import png_bytes


def test_files_images_and_snapshots_round_trip_through_object_storage(
    object_storage_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "project"
    (source / "pkg").mkdir(parents=True)
    (source / "train.py").write_text("print('training')\n")
    (source / "pkg" / "data.bin").write_bytes(os.urandom(300_000))
    weights = tmp_path / "weights.bin"
    weights.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    image = tmp_path / "plot.png"
    image.write_bytes(png_bytes())
    workspace = Workspace(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts=object_storage_url,
        settings=isolated_settings(),
    )
    try:
        run = Experiment(workspace, "blobs").start_logging(snapshot_directory=source, outputs=None)
        run.upload_file("outputs/weights.bin", weights)
        run.log_image("picture", path=image)
        run.complete()

        downloaded = run.download_file("outputs/weights.bin", tmp_path / "down" / "weights.bin")
        zip_path = run.restore_snapshot(path=tmp_path / "restored")
        populated = run.get_metrics(populate=True)
    finally:
        workspace.close()

    assert downloaded.read_bytes() == weights.read_bytes()
    assert populated["picture"] == png_bytes()
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == ["pkg/data.bin", "train.py"]
        assert archive.read("pkg/data.bin") == (source / "pkg" / "data.bin").read_bytes()
