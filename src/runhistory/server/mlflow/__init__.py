"""The MLflow tracking REST API over the store, so that unmodified ``mlflow`` clients log to
runhistory: ``/api/2.0/mlflow/...`` (and the ``/ajax-api/2.0/mlflow/...`` aliases the MLflow UI
calls) and the artifact proxy ``/api/2.0/mlflow-artifacts/...``. See docs/mlflow.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from runhistory.server.mlflow import artifacts, experiments, metrics, models, runs
from runhistory.server.mlflow.protocol import API_PREFIXES, ARTIFACTS_PREFIX


def include_mlflow_routes(app: FastAPI, dependencies: Sequence[Any]) -> None:
    """Serve the MLflow API from ``app`` behind ``dependencies`` (the auth check). The routes
    are left out of the OpenAPI document: MLflow's protocol documents them."""
    for prefix in API_PREFIXES:
        for module in (experiments, runs, metrics, artifacts, models):
            app.include_router(
                module.router, prefix=prefix, dependencies=dependencies, include_in_schema=False
            )
    app.include_router(artifacts.ui, dependencies=dependencies, include_in_schema=False)
    app.include_router(
        artifacts.proxy,
        prefix=ARTIFACTS_PREFIX,
        dependencies=dependencies,
        include_in_schema=False,
    )
