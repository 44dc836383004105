"""A submitted run configured the Azure way (``src.run_config.environment``, ``.target``), end to
end on the local target, and what it reports afterwards (SPEC 4)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runhistory import CondaDependencies, Environment, Experiment, ScriptRunConfig, Workspace

from ..conftest import isolated_settings
from .test_local import FAST

pytestmark = pytest.mark.xdist_group("compute")


@pytest.fixture
def experiment(tmp_path: Path) -> Iterator[Experiment]:
    workspace = Workspace(tmp_path / ".runhistory", settings=isolated_settings(**FAST))
    yield Experiment(workspace, "azure-style")
    workspace.close()


def test_a_run_configured_through_run_config_runs_and_reports_its_environment(
    experiment: Experiment, tmp_path: Path
) -> None:
    source = tmp_path / "project"
    source.mkdir()
    (source / "train.py").write_text(
        "from runhistory import Run\nRun.get_context().log('accuracy', 0.9)\n"
    )
    environment = Environment("mine")
    environment.python.user_managed_dependencies = True
    environment.python.interpreter_path = sys.executable
    environment.python.conda_dependencies = CondaDependencies.create(pip_packages=["unused"])
    src = ScriptRunConfig(source_directory=str(source), script="train.py", arguments=["--a", 1])
    src.run_config.environment = environment
    src.run_config.target = "local"

    run = experiment.submit(src)
    details = run.wait_for_completion()

    assert details["status"] == "Completed"
    assert run.get_metrics() == {"accuracy": 0.9}
    assert run.type == "azureml.scriptrun"
    assert [r.id for r in experiment.get_runs(type="azureml.scriptrun")] == [run.id]
    details = run.get_details()
    assert details["submittedBy"]
    assert details["runDefinition"]["script"] == "train.py"
    assert details["runDefinition"]["arguments"] == ["--a", "1"]
    assert run.get_environment().python.interpreter_path == sys.executable
    assert run.get_environment().name == "mine"
