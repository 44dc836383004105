"""Schemathesis over the OpenAPI document of a real ``runhistory server``: no request gets a 5xx,
and every response (status, content type, headers, body) is one the document declares.

The server is a subprocess on a free port over a SQLite file, seeded through the SDK with an
experiment, a run with metrics, a file, a snapshot and a model, so that generated requests
reach existing records as well as missing ones. It runs once without auth and once with
``--auth`` and a read token, where writes and requests without a token are refused (403, 401)
as the document declares.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema, Case, HookContext
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.pytest.lazy import get_all_tests

from runhistory import Experiment, Workspace
from tests.conftest import ServerProcess, isolated_settings

# The event streams stay open while a run is active (or for ``seconds``): a generated request
# would wait for the stream's end, which is not what these checks are about.
STREAMS = r"/events$"


class AuthServerProcess(ServerProcess):
    """A ``runhistory server --auth`` subprocess, with a write token and a read token made
    before it starts."""

    options = ("--auth",)

    def start(self) -> None:
        store = f"sqlite:///{self.database}"
        self.writer = create_token(store, "seeding", "write")
        self.reader = create_token(store, "dashboard", "read")
        super().start()


def create_token(store: str, name: str, scope: str) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "runhistory.cli", "token", "create", name,
         "--store", store, "--scope", scope],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return created.stdout.strip().splitlines()[-1]


@dataclass
class Seeded:
    """Values naming the records the SDK stored, by the parameter (or body field) that takes
    them; ``names`` by the part of the path that says what a ``name`` names."""

    values: dict[str, list[str]]
    names: dict[str, list[str]]

    def choices(self, path: str, key: str) -> list[str]:
        if key != "name":
            return self.values.get(key, [])
        return next((names for part, names in self.names.items() if part in path), [])


def seed(url: str, folder: Path, token: str | None = None) -> Seeded:
    """An experiment with a finished run: metrics of three kinds, a tag, a file registered as
    a model, and a snapshot of a source folder."""
    source = folder / "source"
    source.mkdir()
    (source / "train.py").write_text("print('training')\n")
    model_file = folder / "model.txt"
    model_file.write_text("weights")
    workspace = Workspace(url, settings=isolated_settings(token=token))
    try:
        experiment = Experiment(workspace, "seeded")
        run = experiment.start_logging(snapshot_directory=source, outputs=None)
        for step in range(50):
            run.log("loss", 1 / (step + 1))
        run.log_list("scores", [0.1, 0.5, 0.9])
        run.log_row("table", epoch=1, accuracy=0.5)
        run.tag("team", "vision")
        run.upload_file("outputs/model.txt", str(model_file))
        run.register_model("seeded-model", "outputs/model.txt")
        run.complete()
        snapshot_id = run.get_snapshot_id()
        assert snapshot_id is not None
        manifest = workspace.store.get_snapshot(snapshot_id)
    finally:
        workspace.close()
    return Seeded(
        values={
            "run_id": [run.id],
            "experiment_id": [experiment.id],
            "snapshot_id": [snapshot_id],
            "sha256": [entry["sha256"] for entry in manifest.values()],
            "prefix": [run.id[:6], "outputs/"],
            "key": ["team"],
        },
        names={
            "/experiments/by-name/": ["seeded"],
            "/artifact": ["outputs/model.txt"],
            "/models": ["seeded-model"],
            "/runs/": ["loss", "scores", "table"],
        },
    )


def with_seeded_values(case: Case, seeded: Seeded) -> st.SearchStrategy[Case]:
    """The case as generated, or (when it is meant to be valid) with its parameters and body
    fields that name records set to seeded ones, so that it reaches them."""
    meta = case.meta
    if meta is None or meta.generation.mode.is_negative:
        return st.just(case)
    path = case.operation.path
    places = [
        (container, key, choices)
        for container in (case.path_parameters, case.query, case.body)
        if isinstance(container, dict)
        for key in container
        if (choices := seeded.choices(path, key))
    ]
    if not places:
        return st.just(case)

    def seeded_case(picked: tuple[str, ...]) -> Case:
        for (container, key, _), value in zip(places, picked, strict=True):
            container[key] = value
        return case

    picks = st.tuples(*(st.sampled_from(choices) for _, _, choices in places))
    return st.one_of(st.just(case), picks.map(seeded_case))


def load_schema(server: ServerProcess, seeded: Seeded, token: str | None = None) -> BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "seed": 20240611,
            "request-timeout": 10,
            "generation": {"max-examples": 20, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "operations": [
                # The columns of a metric must have equal lengths and the rows of row and table
                # metrics must be objects: rules JSON Schema cannot state, so a batch the
                # document allows may still be refused (422, naming the metric).
                {
                    "include-path": "/api/v1/batches",
                    "checks": {"positive_data_acceptance": {"enabled": False}},
                },
                # Whether a metric can be drawn depends on what was logged into it (numbers),
                # not on the request: a valid request for a table metric is refused with 400.
                {
                    "include-path": "/api/v1/runs/{run_id}/chart",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", 400, 401, 403, 404]
                        }
                    },
                },
            ],
            **({"auth": {"openapi": {"HTTPBearer": {"bearer": token}}}} if token else {}),
        }
    )
    # With auth on, the document itself needs a read token.
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    schema = schemathesis.openapi.from_url(
        f"{server.url}/openapi.json", config=config, headers=headers
    )

    @schema.hook
    def flatmap_case(context: HookContext, case: Case) -> st.SearchStrategy[Case]:
        return with_seeded_values(case, seeded)

    return schema.exclude(path_regex=STREAMS)


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    folder = tmp_path_factory.mktemp("schemathesis-open")
    started = ServerProcess(folder)
    try:
        yield load_schema(started, seed(started.url, folder))
    finally:
        started.stop()


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    """Requests carry a read token: reads are answered, writes refused (403), and requests
    without the token (which schemathesis sends too) refused (401)."""
    folder = tmp_path_factory.mktemp("schemathesis-auth")
    started = AuthServerProcess(folder)
    try:
        yield load_schema(started, seed(started.url, folder, started.writer), started.reader)
    finally:
        started.stop()


# Each example is a request to a subprocess: slower than Hypothesis' health checks expect.
HYPOTHESIS_SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))


def conformance_failures(schema: BaseSchema) -> list[str]:
    """Run schemathesis' tests of each operation (examples, coverage, fuzzing; every check);
    describe what failed, by operation.

    These are the tests ``schemathesis.pytest.from_fixture`` would run as subtests; that
    integration fails with this pytest (it sets a node attribute pytest 9.2 no longer has)."""

    def call_and_validate(case: Case) -> None:
        case.call_and_validate()

    found = []
    for result in get_all_tests(
        schema=schema, test_func=call_and_validate, settings=HYPOTHESIS_SETTINGS, given_kwargs=None
    ):
        if isinstance(result, Err):
            found.append(f"the document is invalid: {result.err()}")
            continue
        operation, test = result.ok()
        try:
            test()
        except (Exception, FailureGroup) as error:
            notes = "\n".join(getattr(error, "__notes__", []))
            found.append(f"{operation.label}: {error}\n{notes}")
    return found


def test_the_api_conforms_to_its_document(open_server: BaseSchema) -> None:
    failures = conformance_failures(open_server)
    assert not failures, "\n\n".join(failures)


def test_the_api_with_auth_conforms_to_its_document(guarded_server: BaseSchema) -> None:
    failures = conformance_failures(guarded_server)
    assert not failures, "\n\n".join(failures)
