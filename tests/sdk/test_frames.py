"""pandas frames from a notebook: the metrics of a run, the runs of an experiment (like
``mlflow.search_runs``), and a clear error when pandas is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runhistory import Experiment


def test_get_runs_frame_has_one_row_per_run(experiment: Experiment) -> None:
    first = experiment.start_logging(snapshot_directory=None, outputs=None, tags={"model": "ridge"})
    first.log("loss", 0.5)
    first.log("loss", 0.25)
    first.log_row("pr", precision=0.5)
    first.complete()
    second = experiment.start_logging(snapshot_directory=None, outputs=None)
    second.log("acc", 0.9)
    second.complete()

    frame = experiment.get_runs_frame()

    assert list(frame["run_id"]) == [second.id, first.id]
    assert list(frame["status"]) == ["Completed", "Completed"]
    by_id = frame.set_index("run_id")
    assert by_id.loc[first.id, "metrics.loss"] == 0.25
    assert by_id.loc[second.id, "metrics.acc"] == 0.9
    assert by_id.loc[first.id, "tags.model"] == "ridge"
    assert "metrics.pr" not in frame.columns
    assert experiment.get_runs_frame(tags="model")["run_id"].tolist() == [first.id]


def test_frames_without_pandas_say_how_to_get_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "from runhistory import Experiment, Workspace\n"
        f"exp = Experiment(Workspace({str(tmp_path / 'ws')!r}), 'nopandas')\n"
        "run = exp.start_logging(snapshot_directory=None, outputs=None)\n"
        "run.log('loss', 1.0)\n"
        "for call in (run.get_metrics_frame, exp.get_runs_frame):\n"
        "    try:\n"
        "        call()\n"
        "    except Exception as error:\n"
        "        print(type(error).__name__, error)\n"
        "run.complete()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith("InvalidStateError")
        assert "pip install pandas" in line
