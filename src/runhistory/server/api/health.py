"""``GET /health``: whether the server is up and its store answers."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from runhistory import __version__
from runhistory.server.dependencies import StoreDependency

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/health", response_model=Health)
def health(store: StoreDependency) -> Health:
    store.list_experiments("all")
    return Health(status="ok", version=__version__)
