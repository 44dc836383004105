"""Artifact storage: the bytes of run files and snapshot blobs (see ``base.ArtifactStore``)."""

from runhistory.artifacts.base import ArtifactStore, open_artifact_store

__all__ = ["ArtifactStore", "open_artifact_store"]
