"""A CI-speed subset of MLflow's own REST tests (``tests/tracking/test_rest_tracking.py`` of
MLflow 2.17.0, unmodified) against a real ``runhistory server``.

The tests and their MLflow 2.17 venv come from the compatibility harness (its ``setup.sh`` needs
the network once; running needs none). Point ``RUNHISTORY_MLFLOW_HARNESS`` at the harness folder
(the one with ``run.sh``); without it, or without a built venv, this test is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SUBSET = [
    "test_create_run_all_args",
    "test_log_metrics_params_tags",
    "test_log_batch",
    "test_log_batch_validation",
    "test_set_tag_validation",
    "test_delete_tag",
    "test_search_pagination",
    "test_search_validation",
    "test_get_metric_history_bulk_interval_respects_max_results",
    "test_get_metric_history_bulk_returns_expected_metrics_in_expected_order",
    "test_set_experiment_tag",
    "test_rename_experiment",
    "test_log_inputs",
    "test_upload_artifact_handler",
]


def test_mlflow_rest_tests_subset(tmp_path: Path) -> None:
    harness = os.environ.get("RUNHISTORY_MLFLOW_HARNESS")
    if not harness or not (Path(harness) / "run.sh").is_file():
        pytest.skip("set RUNHISTORY_MLFLOW_HARNESS to the MLflow test harness folder")
    home = Path(os.environ.get("MLFLOW_COMPAT_HOME", Path.home() / ".cache" / "mlflow-compat"))
    if not (home / "venv" / "bin" / "python").exists():
        pytest.skip(f"the harness venv is not built in {home}; run the harness's setup.sh once")
    server = f"{sys.executable} -m runhistory.cli server --store sqlite:///{{tmp}}/rh.db "
    server += "--artifacts {artifact_dir} --port {port}"
    selection = " or ".join(f"{name}[" for name in SUBSET)
    result = subprocess.run(
        ["bash", str(Path(harness) / "run.sh"), server, "--", "-k", f"not [file and ({selection})"],
        env={**os.environ, "MLFLOW_COMPAT_HOME": str(home), "MLFLOW_COMPAT_NAME": "runhistory-ci"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert summary.startswith(f"{len(SUBSET) + 1} passed, 0 failed"), result.stdout[-3000:]
