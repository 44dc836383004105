"""Content-addressed snapshots of a source directory.

A snapshot is a manifest ``{name: {"sha256", "size", "mode"}}`` saved in the store under the
sha256 of its canonical JSON. Each file's content is one blob at ``snapshots/blobs/<sha256>``,
shared by every snapshot of the workspace, so snapshotting an unchanged folder stores nothing new.

>>> import tempfile
>>> from pathlib import Path
>>> from runhistory.store.sql.store import SqlStore
>>> folder = Path(tempfile.mkdtemp())
>>> store = SqlStore.open(f"sqlite:///{folder}/runhistory.db", folder / "artifacts")
>>> (folder / "src").mkdir()
>>> _ = (folder / "src" / "train.py").write_text("print('hi')\\n")
>>> snapshot_id = take_snapshot(store, folder / "src")
>>> list(snapshot_manifest(store, snapshot_id))
['train.py']
>>> take_snapshot(store, folder / "src") == snapshot_id
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import secrets
import shutil
import stat
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, BinaryIO, Protocol

import pathspec

from runhistory.artifacts.base import ArtifactStore
from runhistory.errors import InvalidValueError, SnapshotTooLargeError

IGNORE_FILE_NAMES = (".runignore", ".amlignore", ".gitignore")
"""In each folder the first of these that exists holds its ignore rules (gitignore syntax)."""

DEFAULT_IGNORES = (
    ".git/",
    ".runhistory/",
    "__pycache__/",
    "*.pyc",
    ".ipynb_checkpoints/",
    ".venv/",
    # Anchored: only the run's own output folder is captured separately, not any folder so named.
    "/outputs/",
)
"""Ignored in every snapshot, whatever the ignore files say."""

BLOB_PREFIX = "snapshots/blobs/"
_PENDING_PREFIX = "snapshots/pending/"
_BLOCK_SIZE = 1024 * 1024
# Past this many files the error for an oversized folder stops counting: it is already clear.
_MAX_FILES_COUNTED_FOR_ERROR = 100_000
# A file modified this recently may change again within the same mtime tick (coarse clocks, FAT),
# so its hash is not cached: the same reasoning as git's "racy" index entries.
_RACY_WINDOW_NS = 2_000_000_000
_MAX_CACHED_HASHES = 200_000
_ALWAYS_IGNORED = pathspec.GitIgnoreSpec.from_lines(DEFAULT_IGNORES)

_hash_cache: dict[tuple[str, int, int], str] = {}


class SnapshotStore(Protocol):
    """The part of ``runhistory.store.base.Store`` that snapshots use."""

    @property
    def artifacts(self) -> ArtifactStore: ...

    def save_snapshot(
        self, snapshot_id: str, manifest: Mapping[str, Any], file_count: int, size: int
    ) -> None: ...

    def get_snapshot(self, snapshot_id: str) -> dict[str, Any]: ...


@dataclasses.dataclass(frozen=True)
class _SourceFile:
    name: str
    path: Path
    size: int
    mtime_ns: int
    mode: int


@dataclasses.dataclass(frozen=True)
class _IgnoreRules:
    """Patterns rooted at the snapshot's top folder; later lines (deeper files) win, as in git."""

    lines: tuple[str, ...] = ()
    spec: pathspec.GitIgnoreSpec | None = None

    def for_folder(self, folder: Path, prefix: str) -> _IgnoreRules:
        """These rules plus those of ``folder``'s own ignore file, e.g. ``sub/.gitignore``."""
        own = _read_ignore_file(folder)
        if not own:
            return self
        lines = self.lines + tuple(_reroot(line, prefix) for line in own)
        return _IgnoreRules(lines, pathspec.GitIgnoreSpec.from_lines(lines))

    def ignores(self, name: str) -> bool:
        """Whether ``name`` (ending in ``/`` for a folder), e.g. ``"data/"``, is left out."""
        if _ALWAYS_IGNORED.match_file(name):
            return True
        return self.spec is not None and bool(self.spec.match_file(name))


def snapshot_files(directory: Path) -> list[tuple[str, Path]]:
    """(relative POSIX name, absolute path) of every file a snapshot of ``directory`` holds,
    sorted by name, after ignore rules.

    For example ``snapshot_files(Path("src"))`` -> ``[("train.py", Path("/abs/src/train.py"))]``.
    """
    return sorted((source.name, source.path) for source in _walk(_source_root(directory)))


def take_snapshot(
    store: SnapshotStore,
    directory: str | os.PathLike[str],
    *,
    max_bytes: int = 300 * 1024 * 1024,
    max_files: int = 2000,
) -> str:
    """Store the snapshot; return its id (sha256 hex of the canonical manifest JSON).

    For example ``take_snapshot(store, "src")`` twice on an unchanged folder returns the same id.
    """
    sources = _collect_within_limits(_source_root(directory), max_bytes, max_files)
    manifest = {
        source.name: _store_blob(store.artifacts, source)
        for source in sorted(sources, key=lambda source: source.name)
    }
    snapshot_id = manifest_id(manifest)
    total_size = sum(entry["size"] for entry in manifest.values())
    store.save_snapshot(snapshot_id, manifest, len(manifest), total_size)
    return snapshot_id


def manifest_id(manifest: Mapping[str, Mapping[str, Any]]) -> str:
    """The id of a manifest: the sha256 of its canonical JSON.

    For example ``manifest_id({})`` -> ``"44136fa3..."`` (the sha256 of ``{}``).
    """
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def snapshot_manifest(store: SnapshotStore, snapshot_id: str) -> dict[str, dict[str, Any]]:
    """name -> {"sha256", "size", "mode"} of a stored snapshot (NotFoundError if unknown).

    For example ``snapshot_manifest(store, id)["train.py"]["size"]`` -> ``12``.
    """
    manifest: dict[str, dict[str, Any]] = store.get_snapshot(snapshot_id)
    return manifest


def restore_snapshot_zip(
    store: SnapshotStore, snapshot_id: str, zip_path: str | os.PathLike[str]
) -> Path:
    """Write a zip of the snapshot to zip_path (parents created) and return the path.

    For example ``restore_snapshot_zip(store, id, "out/source.zip")`` -> ``Path("out/source.zip")``.
    """
    manifest = snapshot_manifest(store, snapshot_id)
    target = Path(zip_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = time.localtime()[:6]
    with _replacing(target) as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, entry in sorted(manifest.items()):
            info = zipfile.ZipInfo(_checked_name(name), date_time=written)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | entry["mode"]) << 16
            # A known size lets zipfile choose ZIP64 for members over 2 GiB.
            info.file_size = entry["size"]
            with _open_blob(store, entry) as blob, archive.open(info, "w") as member:
                shutil.copyfileobj(blob, member, _BLOCK_SIZE)
    return target


def restore_snapshot_folder(
    store: SnapshotStore, snapshot_id: str, folder: str | os.PathLike[str]
) -> None:
    """Write every file of the snapshot into folder (creating it), overwriting files of the same
    name.

    For example ``restore_snapshot_folder(store, id, "checkout")`` creates ``checkout/train.py``.
    """
    from runhistory.destinations import path_inside

    manifest = snapshot_manifest(store, snapshot_id)
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    # Every name is checked before anything is written, so a damaged manifest changes nothing.
    targets = {name: path_inside(root, _checked_name(name)) for name in manifest}
    for name, entry in sorted(manifest.items()):
        target = targets[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        with _open_blob(store, entry) as blob, _replacing(target) as out:
            shutil.copyfileobj(blob, out, _BLOCK_SIZE)
        if entry["mode"] & 0o111:
            _make_executable(target)


def compare_snapshot_folder(
    store: SnapshotStore, snapshot_id: str, folder: str | os.PathLike[str]
) -> tuple[list[str], list[str]]:
    """(names that restoring would overwrite with different content, names present in folder but
    not in the snapshot, considering only files the ignore rules would include).

    For example ``compare_snapshot_folder(store, id, "out")`` -> ``(["train.py"], ["notes.md"])``.
    """
    manifest = snapshot_manifest(store, snapshot_id)
    root = Path(folder)
    if not root.exists():
        return [], []
    changed = [
        name
        for name, entry in sorted(manifest.items())
        if _differs(root / _checked_name(name), entry)
    ]
    extra = [name for name, _ in snapshot_files(root) if name not in manifest]
    return changed, extra


# walking ---------------------------------------------------------------------------------------


def _source_root(directory: str | os.PathLike[str]) -> Path:
    root = Path(directory).absolute()
    if not root.is_dir():
        raise InvalidValueError(
            f"cannot snapshot {str(root)!r}: it is not a directory; "
            "pass the folder that holds your source code"
        )
    return root


def _walk(root: Path) -> Iterator[_SourceFile]:
    """Every file under ``root`` after ignore rules, without entering ignored folders."""
    pending: list[tuple[Path, str, _IgnoreRules]] = [(root, "", _IgnoreRules())]
    while pending:
        folder, prefix, parent_rules = pending.pop()
        rules = parent_rules.for_folder(folder, prefix)
        entries = _folder_entries(folder)
        workspace_files = _workspace_files(entries)
        for entry in entries:
            if entry.name.startswith(workspace_files):
                continue
            if entry.is_dir(follow_symlinks=False) and _is_workspace(Path(entry.path)):
                continue
            name = prefix + entry.name
            # Folders reached through a symlink are skipped: they may loop or leave the tree.
            if entry.is_dir(follow_symlinks=False):
                if not rules.ignores(name + "/"):
                    pending.append((Path(entry.path), name + "/", rules))
            elif entry.is_file() and not rules.ignores(name):
                source = _source_file(entry, name)
                if source is not None:
                    yield source


WORKSPACE_FILES = ("runhistory.db", "artifacts")
"""A workspace's own files (the database with its -wal, -shm and lock files, and the artifacts):
never in a snapshot. A folder below the snapshot's root that holds ``runhistory.db`` is a
workspace folder, whatever its name, and is left out whole."""


def _workspace_files(entries: list[os.DirEntry[str]]) -> tuple[str, ...]:
    if not any(e.name == WORKSPACE_FILES[0] and e.is_file() for e in entries):
        return ()
    return WORKSPACE_FILES


def _is_workspace(folder: Path) -> bool:
    return (folder / WORKSPACE_FILES[0]).is_file()


def _folder_entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except PermissionError as error:
        raise InvalidValueError(
            f"cannot read {str(folder)!r} ({error.strerror}): make it readable or add it to "
            ".runignore"
        ) from None


def _source_file(entry: os.DirEntry[str], name: str) -> _SourceFile | None:
    try:
        info = entry.stat()
    except FileNotFoundError:
        return None  # deleted while walking
    return _SourceFile(
        name, Path(entry.path), info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode)
    )


def _read_ignore_file(folder: Path) -> list[str]:
    for file_name in IGNORE_FILE_NAMES:
        path = folder / file_name
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace").splitlines()
    return []


def _reroot(line: str, prefix: str) -> str:
    """A pattern of the ignore file in folder ``prefix``, rewritten to match from the top folder.

    For example ``_reroot("*.csv", "data/")`` -> ``"/data/**/*.csv"``.
    """
    if not prefix or not line.strip() or line.startswith("#"):
        return line
    negation = "!" if line.startswith("!") else ""
    pattern = line[len(negation) :]
    # As in git, a pattern with a slash before its end is relative to its file's folder;
    # one without matches at any depth below it.
    if "/" in pattern.rstrip().rstrip("/"):
        return f"{negation}/{prefix}{pattern.lstrip('/')}"
    return f"{negation}/{prefix}**/{pattern}"


# limits ----------------------------------------------------------------------------------------


def _collect_within_limits(root: Path, max_bytes: int, max_files: int) -> list[_SourceFile]:
    walk = _walk(root)
    sources: list[_SourceFile] = []
    total_size = 0
    for source in walk:
        sources.append(source)
        total_size += source.size
        if len(sources) > max_files or total_size > max_bytes:
            sources.extend(itertools.islice(walk, _MAX_FILES_COUNTED_FOR_ERROR))
            complete = next(walk, None) is None
            raise _too_large_error(root, sources, complete, max_bytes, max_files)
    return sources


def _too_large_error(
    root: Path, sources: list[_SourceFile], complete: bool, max_bytes: int, max_files: int
) -> SnapshotTooLargeError:
    file_count = len(sources)
    total_size = sum(source.size for source in sources)
    bytes_by_entry: Counter[str] = Counter()
    files_by_entry: Counter[str] = Counter()
    for source in sources:
        head, slash, _ = source.name.partition("/")
        bytes_by_entry[head + slash] += source.size
        files_by_entry[head + slash] += 1
    at_least = "" if complete else "at least "
    parts = [
        f"{str(root)!r} is too large to snapshot: {at_least}{file_count:,} files, "
        f"{_format_size(total_size)} after ignore rules "
        f"(limits: {max_files:,} files, {_format_size(max_bytes)})."
    ]
    if total_size > max_bytes:
        biggest = bytes_by_entry.most_common(5)
        parts.append("Most bytes: " + ", ".join(f"{n} ({_format_size(b)})" for n, b in biggest))
    if file_count > max_files:
        most = files_by_entry.most_common(5)
        parts.append("Most files: " + ", ".join(f"{n} ({c:,} files)" for n, c in most))
    ignore_file = next(
        (name for name in IGNORE_FILE_NAMES if (root / name).is_file()), IGNORE_FILE_NAMES[0]
    )
    parts.append(
        f"Add what the run does not need to {ignore_file} in that folder, or raise "
        "RUNHISTORY_SNAPSHOT_MAX_BYTES / RUNHISTORY_SNAPSHOT_MAX_FILES."
    )
    return SnapshotTooLargeError(" ".join(parts))


def _format_size(size: int) -> str:
    """For example ``_format_size(300_000_000)`` -> ``"300.0 MB"`` (decimal units, as rich
    writes them, like every size the product prints)."""
    from rich.filesize import decimal

    return decimal(size)


# blobs -----------------------------------------------------------------------------------------


def _store_blob(artifacts: ArtifactStore, source: _SourceFile) -> dict[str, Any]:
    """The manifest entry of ``source``, uploading its content unless the blob is stored."""
    sha256, size = _content_sha256(source)
    if not artifacts.exists(BLOB_PREFIX + sha256):
        # The upload's own hash names the blob, so a file edited since hashing still lands
        # under the key of the bytes actually stored.
        size, sha256 = _upload_blob(artifacts, source.path)
    return {"sha256": sha256, "size": size, "mode": source.mode}


def _content_sha256(source: _SourceFile) -> tuple[str, int]:
    key = (str(source.path), source.size, source.mtime_ns)
    cached = _hash_cache.get(key)
    if cached is not None:
        return cached, source.size
    digest = hashlib.sha256()
    size = 0
    with open(source.path, "rb") as stream:
        while block := stream.read(_BLOCK_SIZE):
            digest.update(block)
            size += len(block)
    sha256 = digest.hexdigest()
    if size == source.size and time.time_ns() - source.mtime_ns > _RACY_WINDOW_NS:
        if len(_hash_cache) >= _MAX_CACHED_HASHES:
            _hash_cache.clear()
        _hash_cache[key] = sha256
    return sha256, size


def _upload_blob(artifacts: ArtifactStore, path: Path) -> tuple[int, str]:
    pending = _PENDING_PREFIX + secrets.token_hex(16)
    try:
        with open(path, "rb") as stream:
            size, sha256 = artifacts.put(pending, stream)
        artifacts.move(pending, BLOB_PREFIX + sha256)
    except BaseException:
        artifacts.delete(pending)
        raise
    return size, sha256


def _open_blob(store: SnapshotStore, entry: Mapping[str, Any]) -> BinaryIO:
    return store.artifacts.open(BLOB_PREFIX + str(entry["sha256"]))


def _differs(path: Path, entry: Mapping[str, Any]) -> bool:
    """Whether restoring ``entry`` to ``path`` would replace something with other content."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return False  # restoring creates it; nothing is lost
    except NotADirectoryError:
        return True  # a file stands where a folder of the snapshot goes
    if not stat.S_ISREG(info.st_mode) or info.st_size != entry["size"]:
        return True
    source = _SourceFile(path.name, path, info.st_size, info.st_mtime_ns, 0)
    return _content_sha256(source)[0] != str(entry["sha256"])


# restoring -------------------------------------------------------------------------------------


def _checked_name(name: str) -> str:
    """``name`` if it stays inside the restore folder; manifests from a remote store are input."""
    native = PurePath(name)
    if not name or native.anchor or ".." in native.parts or ".." in PurePosixPath(name).parts:
        raise InvalidValueError(
            f"snapshot file name {name!r} is not a relative path inside the snapshot; "
            "the snapshot manifest is damaged, take a new snapshot"
        )
    return name


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[BinaryIO]:
    """A new file beside ``target`` that replaces it once written, so a failure leaves the old
    file (and a symlink at ``target`` is replaced, not written through)."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    try:
        # open() rather than mkstemp: the new file gets the umask's usual mode, not 0600.
        with open(temporary, "xb") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _make_executable(path: Path) -> None:
    """Add execute permission wherever ``path`` is readable, as git does for mode 755 files."""
    mode = stat.S_IMODE(path.stat().st_mode)
    os.chmod(path, mode | (mode & 0o444) >> 2)
