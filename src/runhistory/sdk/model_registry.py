"""Registered models: named, versioned sets of run files.

>>> # run.register_model("ridge", "outputs/model.pkl") -> Model(name='ridge', version=1)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runhistory.errors import ArtifactNotFoundError
from runhistory.model import (
    ModelRecord,
    normalize_artifact_name,
    validate_name,
    validate_text_value,
)

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace


class Model:
    """``Model(workspace, name, version=None)``: a registered model (the latest version by default)."""

    def __init__(
        self,
        workspace: Workspace,
        name: str | None = None,
        version: int | None = None,
        *,
        id: str | None = None,
        expand: bool = True,
        sas_link: bool = False,
    ) -> None:
        """``name`` (with ``version``) or Azure's ``id="name:version"``; ``expand`` and
        ``sas_link`` are accepted for Azure compatibility and ignored."""
        if id is not None:
            name, _, number = id.partition(":")
            version = int(number) if number else version
        if name is None:
            raise TypeError("Model() needs a name (or id='name:version')")
        self.workspace = workspace
        self._record = workspace.store.get_model(name, version)

    @classmethod
    def _from_record(cls, workspace: Workspace, record: ModelRecord) -> Model:
        model = cls.__new__(cls)
        model.workspace = workspace
        model._record = record
        return model

    name = property(lambda self: self._record.name)
    version = property(lambda self: self._record.version)
    run_id = property(lambda self: self._record.run_id)
    path = property(lambda self: self._record.path)
    tags = property(lambda self: dict(self._record.tags))
    properties = property(lambda self: dict(self._record.properties))
    description = property(lambda self: self._record.description)
    created_time = property(lambda self: self._record.created)

    @property
    def files(self) -> list[str]:
        return list(self._record.files)

    @property
    def id(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def url(self) -> str:
        """Where the model's files are: ``runhistory://runs/<run id>/<path>``, the form
        ``get_metrics`` and ``get_details`` use for run files (Azure: ``aml://...``)."""
        return f"runhistory://runs/{self.run_id}/{self.path}"

    @staticmethod
    def list(
        workspace: Workspace,
        name: str | None = None,
        run_id: str | None = None,
        latest: bool = False,
        *,
        expand: bool = True,
        page_count: int = 255,
    ) -> list[Model]:
        """Registered models, newest version first within each name (of one run with
        ``run_id``); ``expand`` and ``page_count`` are accepted for Azure compatibility."""
        records = workspace.store.list_models(name)
        if run_id is not None:
            records = [r for r in records if r.run_id == run_id]
        if latest:
            seen: set[str] = set()
            records = [r for r in records if not (r.name in seen or seen.add(r.name))]  # type: ignore[func-returns-value]
        return [Model._from_record(workspace, r) for r in records]

    def download(
        self,
        target_dir: str | os.PathLike[str] = ".",
        exist_ok: bool = False,
        exists_ok: bool | None = None,
    ) -> str:
        """Copy the model's files into ``target_dir``; return the path of the model (its file, or
        the folder holding its files)."""
        from runhistory.destinations import path_inside

        exist_ok = exist_ok or bool(exists_ok)  # exists_ok: the Azure SDK's older spelling
        target = Path(target_dir)
        prefix = self.path.rstrip("/")
        base = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
        # Every name is checked before anything is written: half a model is of no use.
        destinations = {name: path_inside(target, name[len(base) :]) for name in self.files}
        for name, destination in destinations.items():
            if destination.exists() and not exist_ok:
                raise FileExistsError(f"{destination} exists; pass exist_ok=True to overwrite it")
            destination.parent.mkdir(parents=True, exist_ok=True)
            with (
                self.workspace.store.open_artifact(self.run_id, name) as source,
                open(destination, "wb") as out,
            ):
                shutil.copyfileobj(source, out, 1024 * 1024)
        return str(target / prefix[len(base) :])

    def __repr__(self) -> str:
        return f"Model(name={self.name!r}, version={self.version}, run_id={self.run_id!r})"


def register_model(
    workspace: Workspace,
    run_id: str,
    model_name: str,
    model_path: str | None,
    tags: Mapping[str, Any] | None,
    properties: Mapping[str, Any] | None,
    description: str | None,
) -> Model:
    validate_name("model", model_name)
    store = workspace.store
    names = [a.name for a in store.list_artifacts(run_id)]
    path = normalize_artifact_name(model_path or "outputs")
    files = [n for n in names if n == path or n.startswith(path + "/")]
    if not files:
        near = [n for n in names if n.rsplit("/", 1)[-1] == path.rsplit("/", 1)[-1]] or names[:5]
        raise ArtifactNotFoundError(
            f"run {run_id!r} has no file or folder {path!r} to register as model {model_name!r}; "
            f"its files include {near}"
        )
    record = store.register_model(
        model_name,
        run_id,
        path,
        files,
        {
            validate_name("tag", k): None if v is None else validate_text_value("tag", v)
            for k, v in (tags or {}).items()
        },
        {
            validate_name("property", k): validate_text_value("property", v)
            for k, v in (properties or {}).items()
        },
        description,
    )
    return Model._from_record(workspace, record)
