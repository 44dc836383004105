"""The unmodified ``mlflow`` client logging to a real ``runhistory server`` subprocess (over
SQLite and PostgreSQL): what it logs reads back exactly, through MLflow and through runhistory."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")

from mlflow.entities import Metric, Param, RunTag  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from runhistory import Experiment, Workspace  # noqa: E402
from tests.conftest import _TABLES, ServerProcess, isolated_settings  # noqa: E402


class StoreServer(ServerProcess):
    """A ``runhistory server`` over the database at ``store_url``."""

    def __init__(self, folder: Path, store_url: str, options: tuple[str, ...] = ()) -> None:
        self.store_url = store_url
        self.options = options
        super().__init__(folder)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "runhistory.cli", "server", *self.options,
                "--store", self.store_url,
                "--artifacts", str(self.folder / "artifacts"),
                "--port", str(self.port),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        from tests.conftest import wait_until_serving

        wait_until_serving(self.url, self.process)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreServer]:
    folder = tmp_path_factory.mktemp("mlflow-server")
    if request.param == "sqlite":
        url = f"sqlite:///{folder}/server.db"
    else:
        url = request.getfixturevalue("postgres_url")
        from runhistory.store.sql.database import Database
        from runhistory.store.sql.migrate import ensure_schema

        db = Database.open(url)
        ensure_schema(db)
        db.write(lambda cursor: cursor.execute(f"TRUNCATE {_TABLES}"))
        db.close()
    started = StoreServer(folder, url)
    yield started
    started.stop()


@pytest.fixture
def client(server: StoreServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowClient]:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(server.url)
    yield MlflowClient(server.url)
    while mlflow.active_run() is not None:
        mlflow.end_run()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_fluent_logging_reads_back_exactly(client: MlflowClient) -> None:
    experiment = mlflow.set_experiment(unique("fluent"))
    losses = [0.1 * i + 1e-13 for i in range(50)]
    with mlflow.start_run(run_name="outer") as run:
        mlflow.log_param("lr", 0.001)
        mlflow.log_params({"optimizer": "adam", "layers": 3})
        for step, loss in enumerate(losses):
            mlflow.log_metric("loss", loss, step=step * 10)
        mlflow.log_metrics({"acc": 0.75, "nan": math.nan, "inf": math.inf, "ninf": -math.inf})
        mlflow.set_tags({"team": "vision", "empty": ""})
        with mlflow.start_run(run_name="inner", nested=True) as child:
            mlflow.log_metric("child_metric", 2.5)
    fetched = client.get_run(run.info.run_id)
    assert fetched.info.experiment_id == experiment.experiment_id
    assert fetched.info.run_name == "outer"
    assert fetched.info.status == "FINISHED"
    assert fetched.info.end_time >= fetched.info.start_time
    assert fetched.data.params == {"lr": "0.001", "optimizer": "adam", "layers": "3"}
    assert fetched.data.metrics["loss"] == losses[-1]
    assert fetched.data.metrics["acc"] == 0.75
    assert math.isnan(fetched.data.metrics["nan"])
    assert fetched.data.metrics["inf"] == math.inf
    assert fetched.data.metrics["ninf"] == -math.inf
    assert fetched.data.tags["team"] == "vision"
    assert fetched.data.tags["empty"] == ""
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.value, m.step) for m in history] == [(v, i * 10) for i, v in enumerate(losses)]
    nested = client.get_run(child.info.run_id)
    assert nested.data.tags["mlflow.parentRunId"] == run.info.run_id
    assert nested.data.metrics == {"child_metric": 2.5}


def test_timestamps_and_batches_round_trip(client: MlflowClient) -> None:
    experiment_id = client.create_experiment(unique("batch"))
    run = client.create_run(experiment_id, start_time=1_700_000_000_123)
    metrics = [Metric("m", i / 7, 1_700_000_000_000 + i, i % 5) for i in range(1000)]
    client.log_batch(
        run.info.run_id,
        metrics=metrics,
        params=[Param(f"p{i}", str(i)) for i in range(100)],
        tags=[RunTag("t", "v")],
    )
    history = client.get_metric_history(run.info.run_id, "m")
    assert [(m.key, m.value, m.timestamp, m.step) for m in history] == [
        (m.key, m.value, m.timestamp, m.step) for m in metrics
    ]
    client.set_terminated(run.info.run_id, "KILLED", end_time=1_700_000_009_999)
    info = client.get_run(run.info.run_id).info
    assert (info.start_time, info.end_time, info.status) == (
        1_700_000_000_123,
        1_700_000_009_999,
        "KILLED",
    )


def test_asynchronous_logging(client: MlflowClient) -> None:
    mlflow.set_experiment(unique("async"))
    with mlflow.start_run() as run:
        for step in range(200):
            mlflow.log_metric("loss", 1 / (step + 1), step=step, synchronous=False)
        mlflow.log_param("seed", 7, synchronous=False)
        mlflow.set_tag("mode", "async", synchronous=False)
    mlflow.flush_async_logging()
    history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(s, 1 / (s + 1)) for s in range(200)]
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params == {"seed": "7"}
    assert fetched.data.tags["mode"] == "async"


def test_artifacts_upload_list_and_download(client: MlflowClient, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.bin").write_bytes(bytes(range(256)) * 10)
    single = tmp_path / "single.csv"
    single.write_text("x,y\n1,2\n")
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    mlflow.set_experiment(unique("artifacts"))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(single))
        mlflow.log_artifacts(str(source), artifact_path="folder")
        mlflow.log_dict({"k": [1, 2]}, "config/settings.json")
        mlflow.log_figure(figure, "plots/line.png")
    plt.close(figure)
    run_id = run.info.run_id
    assert sorted(a.path for a in client.list_artifacts(run_id)) == [
        "config",
        "folder",
        "plots",
        "single.csv",
    ]
    assert [(a.path, a.is_dir) for a in client.list_artifacts(run_id, "folder")] == [
        ("folder/a.txt", False),
        ("folder/sub", True),
    ]
    target = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "d")))
    assert (target / "single.csv").read_text() == "x,y\n1,2\n"
    assert (target / "folder" / "a.txt").read_text() == "alpha"
    assert (target / "folder" / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 10
    assert json.loads((target / "config" / "settings.json").read_text()) == {"k": [1, 2]}
    assert (target / "plots" / "line.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sklearn_autolog(client: MlflowClient) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    mlflow.set_experiment(unique("autolog"))
    mlflow.sklearn.autolog(log_models=True, log_input_examples=False, silent=True)
    try:
        features, labels = load_iris(return_X_y=True)
        with mlflow.start_run() as run:
            LogisticRegression(max_iter=200, C=0.5).fit(features, labels)
    finally:
        mlflow.sklearn.autolog(disable=True)
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params["C"] == "0.5"
    assert fetched.data.params["max_iter"] == "200"
    assert 0.9 < fetched.data.metrics["training_accuracy_score"] <= 1.0
    assert fetched.data.tags["estimator_name"] == "LogisticRegression"


def test_search_runs_filters_and_orders(client: MlflowClient) -> None:
    experiment = mlflow.set_experiment(unique("search"))
    for index, (lr, loss) in enumerate([("0.1", 0.5), ("0.01", 0.25), ("0.001", 0.75)]):
        with mlflow.start_run(run_name=f"run-{index}"):
            mlflow.log_param("lr", lr)
            mlflow.log_metric("loss", loss)
            mlflow.set_tag("group", "a" if index < 2 else "b")
    ids = [experiment.experiment_id]
    frame = mlflow.search_runs(ids, filter_string="metrics.loss < 0.6", order_by=["metrics.loss"])
    assert list(frame["params.lr"]) == ["0.01", "0.1"]
    assert list(frame["metrics.loss"]) == [0.25, 0.5]
    found = client.search_runs(ids, "tags.group = 'a' AND params.lr LIKE '0.0%'")
    assert [r.info.run_name for r in found] == ["run-1"]
    found = client.search_runs(
        ids, "attributes.run_name ILIKE 'RUN-%'", order_by=["params.lr DESC"]
    )
    assert [r.data.params["lr"] for r in found] == ["0.1", "0.01", "0.001"]
    first = client.search_runs(ids, max_results=2, order_by=["metrics.loss DESC"])
    rest = client.search_runs(
        ids, max_results=2, page_token=first.token, order_by=["metrics.loss DESC"]
    )
    assert [r.data.metrics["loss"] for r in [*first, *rest]] == [0.75, 0.5, 0.25]
    with pytest.raises(MlflowException, match="position") as caught:
        client.search_runs(ids, "metrics.loss <")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"


def test_experiments_and_runs_lifecycle(client: MlflowClient) -> None:
    name = unique("life")
    experiment_id = client.create_experiment(name, tags={"k": "v"})
    with pytest.raises(MlflowException) as caught:
        client.create_experiment(name)
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert client.get_experiment_by_name(name).tags == {"k": "v"}
    client.rename_experiment(experiment_id, name + "-renamed")
    client.set_experiment_tag(experiment_id, "k2", "v2")
    client.delete_experiment_tag(experiment_id, "k")
    assert client.get_experiment(experiment_id).tags == {"k2": "v2"}
    run = client.create_run(experiment_id)
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([experiment_id]) == []
    client.restore_run(run.info.run_id)
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [run.info.run_id]
    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    client.restore_experiment(experiment_id)
    with pytest.raises(MlflowException) as caught:
        client.get_run("0" * 32)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    client.log_param(run.info.run_id, "p", "1")
    with pytest.raises(MlflowException) as caught:
        client.log_param(run.info.run_id, "p", "2")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"


def test_the_default_experiment(client: MlflowClient) -> None:
    assert client.get_experiment("0").name == "Default"
    run = client.create_run("0")
    assert run.info.experiment_id == "0"


def test_native_runs_read_through_mlflow(client: MlflowClient, server: StoreServer) -> None:
    workspace = Workspace(server.url, settings=isolated_settings())
    try:
        experiment = Experiment(workspace, unique("native"))
        run = experiment.start_logging(snapshot_directory=None)
        for value in (0.5, 0.25, 0.125):
            run.log("loss", value)
        run.add_properties({"lr": "0.1"})
        run.complete()
    finally:
        workspace.close()
    history = client.get_metric_history(run.id, "loss")
    assert [(m.value, m.step) for m in history] == [(0.5, 0), (0.25, 1), (0.125, 2)]
    experiment_id = client.get_experiment_by_name(experiment.name).experiment_id
    frame = mlflow.search_runs([experiment_id])
    assert list(frame["metrics.loss"]) == [0.125]
    assert list(frame["params.lr"]) == ["0.1"]
    assert list(frame["status"]) == ["FINISHED"]


def test_mlflow_runs_read_through_runhistory(client: MlflowClient, server: StoreServer) -> None:
    name = unique("mixed")
    mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 0.5, step=3)
        mlflow.log_param("lr", "0.1")
        mlflow.set_tag("team", "vision")
        with mlflow.start_run(nested=True) as child:
            pass
    workspace = Workspace(server.url, settings=isolated_settings())
    try:
        (outer,) = Experiment(workspace, name).get_runs()  # top-level runs
        assert outer.id == run.info.run_id
        assert outer.get_metrics() == {"loss": 0.5}
        assert outer.get_properties()["lr"] == "0.1"
        assert outer.get_tags()["team"] == "vision"
        assert outer.get_status() == "Completed"
        assert [c.id for c in outer.get_children()] == [child.info.run_id]
    finally:
        workspace.close()


def test_log_batch_limits_and_errors_as_mlflow_gives_them(
    client: MlflowClient, server: StoreServer
) -> None:
    import httpx

    # The client splits big batches itself, so the limits are checked with raw requests.
    run = client.create_run(client.create_experiment(unique("limits")))
    api = f"{server.url}/api/2.0/mlflow"
    metrics = [{"key": "m", "value": 1.0, "timestamp": 0, "step": i} for i in range(1001)]
    response = httpx.post(
        f"{api}/runs/log-batch", json={"run_id": run.info.run_id, "metrics": metrics}
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "at most 1000 metrics" in response.json()["message"]
    params = [{"key": f"p{i}", "value": "v"} for i in range(101)]
    response = httpx.post(
        f"{api}/runs/log-batch", json={"run_id": run.info.run_id, "params": params}
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert client.get_metric_history(run.info.run_id, "m") == []
    response = httpx.get(f"{api}/runs/get", params={"run_id": "missing"})
    assert (response.status_code, response.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    response = httpx.get(
        f"{server.url}/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}
    )
    assert response.json()["experiment"]["name"] == "Default"
