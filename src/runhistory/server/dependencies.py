"""What routes take from the app: its store and its batch ingest."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runhistory.server.ingest import BatchIngest
from runhistory.store.base import Store


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _ingest(request: Request) -> BatchIngest:
    ingest: BatchIngest = request.app.state.ingest
    return ingest


StoreDependency = Annotated[Store, Depends(_store)]
IngestDependency = Annotated[BatchIngest, Depends(_ingest)]
