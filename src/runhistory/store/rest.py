"""The store over HTTP: a ``Store`` that talks to a runhistory server.

``Workspace("http://host:port")`` opens one, so the SDK never branches on where a workspace
lives. Error responses ``{error_code, message}`` become the same ``runhistory.errors`` classes the
embedded store raises. Each flush of the writer is one request carrying columns of points, named
``(client_id, seq)``: a batch whose response was lost is sent again under the same number and the
server stores it once.

>>> store = RestStore("http://127.0.0.1:9")
>>> store.location
'http://127.0.0.1:9'
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from runhistory.artifacts.base import ArtifactStore
from runhistory.errors import (
    InvalidValueError,
    RunHistoryError,
    RunNotFoundError,
    StoreError,
    all_error_classes,
)
from runhistory.model import (
    ArtifactRecord,
    ExperimentRecord,
    MetricKind,
    ModelRecord,
    RunRecord,
    RunStatus,
)
from runhistory.store.base import MetricData, RunQuery, WriteBatch, drop_unsafe_log_streams
from runhistory.store.batches import (
    BatchSpool,
    SentBatch,
    batch_body,
    batch_from_body,
    describe_batch,
    piece_client,
    split_batch,
)
from runhistory.store.rest_files import (
    BLOCK,
    RemoteBlobStore,
    ResponseStream,
    blocks,
    segment,
    url_path,
)
from runhistory.store.run_table import RUN_FIELDS, RunTable, restore_headers, run_records
from runhistory.store.summaries import MetricSummaries, encode_summaries

if TYPE_CHECKING:
    import httpx

    from runhistory.store.overview import ChartSeries

API_PREFIX = "/api/v1"
# How long one flush keeps resending a batch the server did not answer, before it gives up
# (the writer then keeps the points and tries again at its next flush).
_SEND_ATTEMPTS = 4
_FIRST_RETRY_SECONDS = 0.1
_LAST_RETRY_SECONDS = 30.0
# The largest request body sent until the server says it takes less (a 413 answer): a quarter of
# a server's default limit, so that a batch never waits on one huge request.
_MAX_BODY_BYTES = 16 * 1024 * 1024
# Answers that say nothing about the batch: the server (or what stands before it) is not
# there, or this client may not write. A batch answered so is kept and sent again.
_NO_ANSWER = frozenset({401, 403, 407, 408, 429, 502, 503, 504})

# The key of a spooled run status change (a spooled batch starts with "client_id").
LIFECYCLE_ENTRY = "run_status"

log = logging.getLogger("runhistory")


class RestStore:
    """A workspace kept by a runhistory server at ``url``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        spool: str | os.PathLike[str] | None = None,
    ) -> None:
        """``spool`` is a folder for batches the server does not answer (without one, such a
        batch raises and the writer retries it); ``transport`` replaces the network (tests
        pass an app's in-process transport)."""
        self.location = url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self.artifacts: ArtifactStore = RemoteBlobStore(self)
        self._client_id = uuid.uuid4().hex
        self._seq = 0
        self._unconfirmed: SentBatch | None = None
        self._delivered: SentBatch | None = None  # the last batch delivered after no answer
        self.max_body = _MAX_BODY_BYTES
        self._send_lock = threading.Lock()
        self.spool = None if spool is None else BatchSpool(Path(spool))
        # Whether batches may wait in the spool (left by an earlier process, or spooled here):
        # they are sent before any other request, so that a status change or a read that
        # follows logged points finds them stored.
        self._spool_waiting = self.spool is not None and bool(self.spool.pending())
        self._drainer: threading.Thread | None = None
        self._closed = False

    # transport ------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        """One connection-reusing client per store, created on first use."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import httpx

                    headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
                    self._client = httpx.Client(
                        base_url=self.location + API_PREFIX,
                        headers=headers,
                        timeout=httpx.Timeout(self._timeout, connect=10.0),
                        transport=self._transport,
                    )
        return self._client

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Send a request; error responses raise the ``runhistory.errors`` class they name."""
        if self._spool_waiting:
            with self._send_lock:
                for problem in self._drain_spool():
                    log.error("runhistory could not store logged values: %s", problem)
        response = self._send(method, path, stream=False, **options)
        if response.status_code >= 400:
            raise self._error(response)
        return response

    def _send(self, method: str, path: str, *, stream: bool, **options: Any) -> httpx.Response:
        import httpx

        try:
            request = self.client.build_request(method, path, **options)
            return self.client.send(request, stream=stream)
        except httpx.TransportError as error:
            raise StoreError(
                f"runhistory server {self.location} did not answer {method} {path}: {error!r}; "
                "check that it runs and is reachable"
            ) from None

    def _error(self, response: httpx.Response) -> RunHistoryError:
        try:
            document = json.loads(response.read())
            code, message = document["error_code"], document["message"]
        except (ValueError, KeyError, TypeError):
            text = response.text[:200] if not response.is_stream_consumed else ""
            return StoreError(
                f"runhistory server {self.location} answered {response.status_code}: {text}"
            )
        cls = all_error_classes().get(code, RunHistoryError)
        return cls(message)

    def _json(self, method: str, path: str, **options: Any) -> Any:
        return json.loads(self.request(method, path, **options).content)

    def close(self) -> None:
        self._closed = True
        self.report_unsent()
        if self._client is not None:
            self._client.close()
            self._client = None

    def report_unsent(self) -> None:
        """Try once more to send what waits in the spool; warn about what still waits (the
        writer calls this at interpreter exit, ``close`` too)."""
        if self.spool is None:
            return
        with self._send_lock:
            for problem in self._drain_spool():
                log.error("runhistory could not store logged values: %s", problem)
        waiting = self.spool.pending()
        if waiting:
            log.warning(
                "%d batches or run status changes for %s wait in %s; the next runhistory "
                "client of this server (any process of this user) sends them",
                len(waiting),
                self.location,
                self.spool.folder,
            )

    # experiments ----------------------------------------------------------------------------

    def get_or_create_experiment(self, name: str) -> ExperimentRecord:
        return ExperimentRecord(**self._json("POST", "/experiments", json={"name": name}))

    def get_experiment(self, name: str) -> ExperimentRecord:
        return ExperimentRecord(**self._json("GET", f"/experiments/by-name/{segment(name)}"))

    def get_experiment_by_id(self, experiment_id: str) -> ExperimentRecord:
        return ExperimentRecord(**self._json("GET", f"/experiments/{segment(experiment_id)}"))

    def list_experiments(self, view_type: str = "active") -> list[ExperimentRecord]:
        found = self._json("GET", "/experiments", params={"view_type": view_type})
        return [ExperimentRecord(**e) for e in found]

    def update_experiment(
        self,
        experiment_id: str,
        archived: bool | None = None,
        tags: Mapping[str, str | None] | None = None,
    ) -> None:
        body = {"archived": archived, "tags": None if tags is None else dict(tags)}
        self.request("PATCH", f"/experiments/{segment(experiment_id)}", json=body)

    # runs -----------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        status: RunStatus,
        run_type: str,
        parent_id: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        target: str | None = None,
        script_name: str | None = None,
        arguments: Sequence[str] = (),
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str] | None = None,
        started: float | None = None,
        run_id: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        body = {
            "experiment_id": experiment_id,
            "status": RunStatus(status).value,
            "run_type": run_type,
            "parent_id": parent_id,
            "display_name": display_name,
            "description": description,
            "target": target,
            "script_name": script_name,
            "arguments": list(arguments),
            "tags": None if tags is None else dict(tags),
            "properties": None if properties is None else dict(properties),
            "started": started,
            "run_id": run_id,
            "config": None if config is None else dict(config),
        }
        return run_record(self._json("POST", "/runs", json=body))

    def get_run(self, run_id: str) -> RunRecord:
        return run_record(self._json("GET", f"/runs/{segment(run_id)}"))

    def find_runs(self, run_id_prefix: str, limit: int = 10) -> list[str]:
        if not run_id_prefix:
            raise InvalidValueError("give at least the first character of a run id")
        found: list[str] = self._json(
            "GET", "/runs", params={"prefix": run_id_prefix, "limit": limit}
        )
        return found

    def list_runs(self, query: RunQuery) -> list[RunRecord]:
        return run_records(self.list_run_table(query))

    def list_run_table(self, query: RunQuery) -> RunTable:
        body = dataclasses.asdict(query)
        if query.statuses is not None:
            body["statuses"] = [RunStatus(s).value for s in query.statuses]
        for field in ("tags", "properties"):
            wanted = body[field]
            if isinstance(wanted, str):
                body[field] = [wanted]
            elif wanted is not None and not isinstance(wanted, Mapping):
                body[field] = list(wanted)
        body["format"] = "table"  # rows as stored: summaries decode only when read
        found = load_json(self.request("POST", "/runs/search", json=body).content)
        rows = found["rows"]
        if found["fields"] != list(RUN_FIELDS):  # another version's columns: take them by name
            where = {name: i for i, name in enumerate(found["fields"])}
            rows = [[row[where[f]] if f in where else None for f in RUN_FIELDS] for row in rows]
        return RunTable(restore_headers(rows), found["tags"], found["properties"])

    def update_run(self, run_id: str, **fields: Any) -> None:
        if "arguments" in fields:
            fields["arguments"] = list(fields["arguments"])
        self.request("PATCH", f"/runs/{segment(run_id)}", json=fields)

    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        started: float | None = None,
        ended: float | None = None,
        error: Mapping[str, Any] | None = None,
        only_from: Sequence[RunStatus] | None = None,
    ) -> bool:
        body = {
            "status": RunStatus(status).value,
            "started": started,
            "ended": ended,
            "error": None if error is None else dict(error),
            "only_from": None if only_from is None else [RunStatus(s).value for s in only_from],
        }
        if self.spool is not None and RunStatus(status).is_terminal:
            return self._end_run(run_id, body, self.spool)
        changed: bool = self._json("POST", f"/runs/{segment(run_id)}/status", json=body)["changed"]
        return changed

    def _end_run(self, run_id: str, body: dict[str, Any], spool: BatchSpool) -> bool:
        """Send a run's last status change after the batches spooled before it; when the server
        does not answer, spool it behind them (it counts as changed) for this or a later client
        to send in order."""
        path = f"/runs/{segment(run_id)}/status"
        with self._send_lock:
            for problem in self._drain_spool():
                log.error("runhistory could not store logged values: %s", problem)
            if not spool.pending():
                try:
                    response = self._send("POST", path, stream=False, json=body)
                except StoreError as error:  # no answer
                    reason = error.message
                else:
                    if 400 <= response.status_code < 500:
                        raise self._error(response)
                    if response.status_code < 400:
                        changed: bool = json.loads(response.content)["changed"]
                        return changed
                    reason = self._error(response).message  # the server cannot store it now
            else:
                reason = "earlier batches wait to be sent"
            self._seq += 1
            entry = {LIFECYCLE_ENTRY: {"run_id": run_id, **body}}
            spool.add(self._client_id, self._seq, json.dumps(entry).encode())
            self._spool_waiting = True
            self._start_drainer()
        log.warning(
            "runhistory keeps run %s becoming %s in %s until %s answers: %s",
            run_id,
            body["status"],
            spool.folder,
            self.location,
            reason,
        )
        return True

    def claim_runs(self, target: str, limit: int) -> list[RunRecord]:
        found = self._json("POST", "/runs/claim", json={"target": target, "limit": limit})
        return [run_record(r) for r in found]

    def set_tags(self, run_id: str, tags: Mapping[str, str | None]) -> None:
        self.request("PUT", f"/runs/{segment(run_id)}/tags", json={"tags": dict(tags)})

    def remove_tags(self, run_id: str, keys: Sequence[str]) -> None:
        if keys:
            self.request("DELETE", f"/runs/{segment(run_id)}/tags", params={"key": list(keys)})

    def add_properties(self, run_id: str, properties: Mapping[str, str]) -> None:
        body = {"properties": dict(properties)}
        self.request("POST", f"/runs/{segment(run_id)}/properties", json=body)

    # metrics and logs -----------------------------------------------------------------------

    def append(self, batch: WriteBatch) -> list[str]:
        """Send ``batch``; parts the server refuses come back as problems.

        A batch is sent in pieces that fit the server's request limit, and a part the server
        refuses is found by halving, so the rest is stored (``deliver``). When no answer comes,
        the batch goes to the spool (sent in the background, in order, before anything logged
        later) or, without a spool, is kept with its number and raises ``StoreError``: the next
        call sends it again first (the server stores it once), then the entries of the batch
        passed that it did not carry. Log lines of streams that are no file names are refused
        first (reported as problems)."""
        refused = drop_unsafe_log_streams(batch)
        with self._send_lock:
            if self.spool is not None:
                return refused + self._append_spooled(batch, self.spool)
            problems: list[str] = refused
            sent = self._unconfirmed
            if sent is not None:
                problems += self.deliver(sent.body)
                self._unconfirmed = None
                self._delivered = sent
            rest = batch
            if self._delivered is not None:
                # Entries it carried may come again, whole or in parts (the writer stores a
                # batch part by part after a failure): they are stored already.
                rest = self._delivered.rest(batch)
                entries = len(batch.metrics) + len(batch.logs)
                if entries and len(rest.metrics) + len(rest.logs) == entries:
                    self._delivered = None  # nothing of it came again: let it go
            if rest:
                self._seq += 1
                numbered = SentBatch(rest, self._seq, batch_body(self._client_id, self._seq, rest))
                try:
                    problems += self.deliver(
                        numbered.body, numbered=(self._client_id, self._seq, rest)
                    )
                except StoreError:
                    self._unconfirmed = numbered
                    raise
            return problems

    def _append_spooled(self, batch: WriteBatch, spool: BatchSpool) -> list[str]:
        problems = self._drain_spool()
        if not batch:
            return problems
        self._seq += 1
        body = batch_body(self._client_id, self._seq, batch)
        if not spool.pending():
            try:
                return problems + self.deliver(body, numbered=(self._client_id, self._seq, batch))
            except StoreError as error:
                log.warning(
                    "runhistory keeps a batch in %s until %s answers: %s",
                    spool.folder,
                    self.location,
                    error.message,
                )
        spool.add(self._client_id, self._seq, body)
        self._spool_waiting = True
        self._start_drainer()
        return problems

    def _drain_spool(self) -> list[str]:
        """Send spooled batches in order until one gets no answer; their problems."""
        problems: list[str] = []
        if self.spool is None:
            return problems
        for path in self.spool.pending():
            try:
                body = path.read_bytes()
            except FileNotFoundError:
                continue  # another client of the server sent it
            try:
                problems += self._send_spooled(body)
            except StoreError:
                return problems
            path.unlink(missing_ok=True)
        self._spool_waiting = False
        return problems

    def _send_spooled(self, body: bytes) -> list[str]:
        """Send one spooled entry: a batch, or a run's last status change (``_end_run``)."""
        if not body.startswith(b'{"' + LIFECYCLE_ENTRY.encode()):
            return self.deliver(body, attempts=1)
        change = dict(json.loads(body)[LIFECYCLE_ENTRY])
        run_id = change.pop("run_id")
        response = self._send("POST", f"/runs/{segment(run_id)}/status", stream=False, json=change)
        if response.status_code >= 500:
            raise self._error(response)
        if response.status_code >= 400:
            return [f"run {run_id} could not become {change['status']}: {self._error(response)}"]
        if json.loads(response.content)["changed"]:
            return []
        current = self._send("GET", f"/runs/{segment(run_id)}", stream=False)
        if current.status_code < 400 and json.loads(current.content)["status"] == change["status"]:
            return []  # sent before (by another client sharing the spool)
        return [f"run {run_id} did not become {change['status']}: it had already ended"]

    def _start_drainer(self) -> None:
        if self._drainer is None or not self._drainer.is_alive():
            self._drainer = threading.Thread(
                target=self._drain_in_background, name="runhistory-spool", daemon=True
            )
            self._drainer.start()

    def _drain_in_background(self) -> None:
        delay = _FIRST_RETRY_SECONDS
        while not self._closed and self.spool is not None:
            time.sleep(delay)
            with self._send_lock:
                problems = self._drain_spool()
            for problem in problems:
                log.error("runhistory could not store logged values: %s", problem)
            if not self.spool.pending():
                return
            delay = min(delay * 2, _LAST_RETRY_SECONDS)

    def deliver(
        self,
        body: bytes,
        attempts: int = _SEND_ATTEMPTS,
        numbered: tuple[str, int, WriteBatch] | None = None,
    ) -> list[str]:
        """Store the numbered batch ``body`` once: whole when it fits the server's limit, else
        in halves (see ``batches.split_batch``); a batch the server refuses is halved too,
        down to the entry it refuses, which is reported (and kept in the spool's ``refused/``
        folder). ``StoreError`` when no answer comes: pieces already stored are stored once
        when ``body`` is delivered again. ``numbered`` is ``(client_id, seq, batch)`` of the
        body when the caller has them (else they are read back from it, only to halve it)."""
        if len(body) > self.max_body:
            reason = f"a batch of {len(body)} bytes is larger than the server takes"
            return self._deliver_halves(body, attempts, numbered, reason)
        response = self._post_batch(body, attempts)
        if response.status_code < 400:
            refused: list[str] = json.loads(response.content)["problems"]
            return refused
        error = self._error(response)
        if response.status_code == 413:
            self.max_body = min(self.max_body, _limit(response, len(body)))
            log.info(
                "runhistory sends batches of at most %d bytes to %s", self.max_body, self.location
            )
            return self._deliver_halves(body, attempts, numbered, error.message)
        # Refused or failed: the cause is in some entry; halving finds it, the rest is stored.
        return self._deliver_halves(body, attempts, numbered, error.message, by_points=False)

    def _deliver_halves(
        self,
        body: bytes,
        attempts: int,
        numbered: tuple[str, int, WriteBatch] | None,
        reason: str,
        by_points: bool = True,
    ) -> list[str]:
        client_id, seq, batch = numbered or batch_from_body(body)
        halves = split_batch(batch, by_points)
        if halves is None:
            return [self._refused(client_id, seq, body, batch, reason)]
        piece_id = piece_client(client_id, seq)
        problems: list[str] = []
        for index, half in enumerate(halves):
            piece = (piece_id, index, half)
            problems += self.deliver(batch_body(*piece), attempts, piece)
        return problems

    def _refused(
        self, client_id: str, seq: int, body: bytes, batch: WriteBatch, reason: str
    ) -> str:
        what = describe_batch(batch)
        if self.spool is None:
            return f"the server refused {what}, which were dropped: {reason}"
        kept = self.spool.set_aside(client_id, seq, body)
        return f"the server refused {what}, which wait in {kept}: {reason}"

    def _post_batch(self, body: bytes, attempts: int = _SEND_ATTEMPTS) -> httpx.Response:
        """Send one numbered batch, retrying with backoff; its answer, or ``StoreError`` when
        none comes (see ``_NO_ANSWER``)."""
        delay = _FIRST_RETRY_SECONDS
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._send(
                    "POST",
                    "/batches",
                    stream=False,
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            except StoreError:
                if last:
                    raise
            else:
                status = response.status_code
                if status < 500 and status not in _NO_ANSWER:
                    return response
                if last:
                    if status in _NO_ANSWER:
                        error = self._error(response)
                        raise StoreError(
                            f"runhistory server {self.location} did not take a batch: "
                            f"{error.message}"
                        )
                    return response  # it failed on this batch every time: a refusal
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def metric_kinds(self, run_id: str) -> dict[str, MetricKind]:
        found = self._json("GET", f"/runs/{segment(run_id)}/metric-kinds")
        return {name: MetricKind(kind) for name, kind in found.items()}

    def read_metrics(self, run_id: str, names: Sequence[str] | None = None) -> list[MetricData]:
        if names is not None and not names:
            return []
        params = None if names is None else {"name": list(names)}
        found = self._json("GET", f"/runs/{segment(run_id)}/metrics", params=params)
        return [metric_data(m) for m in found]

    def metric_chart(
        self,
        run_id: str,
        name: str,
        buckets: int,
        first_step: int | None = None,
        last_step: int | None = None,
        smoothing: float = 0.0,
    ) -> ChartSeries:
        from runhistory.store.overview import ChartSeries

        params: dict[str, Any] = {"name": name, "buckets": buckets}
        if first_step is not None:
            params["first_step"] = first_step
        if last_step is not None:
            params["last_step"] = last_step
        if smoothing:
            params["smoothing"] = smoothing
        found = self._json("GET", f"/runs/{segment(run_id)}/chart", params=params)
        return ChartSeries(
            found["count"],
            found["first_steps"],
            found["last_steps"],
            found["minimum"],
            found["maximum"],
            found["last"],
            found["last_times"],
        )

    def read_log(self, run_id: str, stream: str, after: int = 0) -> tuple[str, int]:
        found = self._json(
            "GET", f"/runs/{segment(run_id)}/logs/{url_path(stream)}", params={"after": after}
        )
        return found["text"], found["last"]

    def log_streams(self, run_id: str) -> list[str]:
        found: list[str] = self._json("GET", f"/runs/{segment(run_id)}/logs")
        return found

    def follow_run(
        self, run_id: str, after: Mapping[str, int] | None = None, logs: bool = True
    ) -> Iterator[tuple[str, Any]] | None:
        """The live events of the run as ``(kind, data)``, until ``end``; ``None`` from a
        server without event streams.

        Logs start at their positions in ``after`` (the ``last`` of their latest ``log``
        event), others at their start; ``logs=False`` leaves log text out. A connection that
        drops raises ``StoreError`` while iterating; events cut short are not yielded."""
        params = {
            "after": [f"{stream}:{position}" for stream, position in (after or {}).items()],
            "logs": "true" if logs else "false",
        }
        path = f"/runs/{segment(run_id)}/events"
        response = self._send("GET", path, stream=True, params=params)
        if response.status_code >= 400:
            try:
                error = self._error(response)
            finally:
                response.close()
            if response.status_code == 404 and not isinstance(error, RunNotFoundError):
                return None  # the server does not know the route
            raise error
        return self._events(response, path)

    def _events(self, response: httpx.Response, path: str) -> Iterator[tuple[str, Any]]:
        import httpx

        try:
            for kind, data in server_sent_events(response.iter_lines()):
                yield kind, json.loads(data)
        except httpx.TransportError as error:
            raise StoreError(
                f"runhistory server {self.location} broke off GET {path}: {error!r}"
            ) from None
        finally:
            response.close()

    # files ----------------------------------------------------------------------------------

    def add_artifact(
        self, run_id: str, name: str, source: Any, *, fail_if_different: bool = True
    ) -> ArtifactRecord:
        path = f"/runs/{segment(run_id)}/artifacts/{url_path(name)}"
        params = {"fail_if_different": "true" if fail_if_different else "false"}
        if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
            with open(source, "rb") as stream:
                found = self._json("PUT", path, params=params, content=blocks(stream))
        else:
            found = self._json("PUT", path, params=params, content=blocks(source))
        return ArtifactRecord(**found)

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]:
        params = {} if not prefix else {"prefix": prefix}
        found = self._json("GET", f"/runs/{segment(run_id)}/artifacts", params=params)
        return [ArtifactRecord(**a) for a in found]

    def get_artifact(self, run_id: str, name: str) -> ArtifactRecord:
        path = f"/runs/{segment(run_id)}/artifact-records/{url_path(name)}"
        return ArtifactRecord(**self._json("GET", path))

    def open_artifact(self, run_id: str, name: str) -> BinaryIO:
        return self.open_stream(f"/runs/{segment(run_id)}/artifacts/{url_path(name)}")

    def open_stream(self, path: str) -> BinaryIO:
        """The body of ``GET path`` as a binary stream read from the network as it is consumed."""
        response = self._send("GET", path, stream=True)
        if response.status_code >= 400:
            try:
                raise self._error(response)
            finally:
                response.close()
        return io.BufferedReader(ResponseStream(response), BLOCK)

    # snapshots and models -------------------------------------------------------------------

    def save_snapshot(
        self, snapshot_id: str, manifest: Mapping[str, Any], file_count: int, size: int
    ) -> None:
        body = {"manifest": dict(manifest), "file_count": file_count, "size": size}
        self.request("PUT", f"/snapshots/{segment(snapshot_id)}", json=body)

    def get_snapshot(self, snapshot_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", f"/snapshots/{segment(snapshot_id)}")
        return found

    def register_model(
        self,
        name: str,
        run_id: str,
        path: str,
        files: Sequence[str],
        tags: Mapping[str, str | None],
        properties: Mapping[str, str],
        description: str | None,
    ) -> ModelRecord:
        body = {
            "name": name,
            "run_id": run_id,
            "path": path,
            "files": list(files),
            "tags": dict(tags),
            "properties": dict(properties),
            "description": description,
        }
        return ModelRecord(**self._json("POST", "/models", json=body))

    def get_model(self, name: str, version: int | None = None) -> ModelRecord:
        params = {} if version is None else {"version": version}
        return ModelRecord(**self._json("GET", f"/models/{segment(name)}", params=params))

    def list_models(self, name: str | None = None) -> list[ModelRecord]:
        params = {} if name is None else {"name": name}
        return [ModelRecord(**m) for m in self._json("GET", "/models", params=params)]


def _limit(response: httpx.Response, size: int) -> int:
    """The body limit a 413 answer states, else half the refused body's size."""
    try:
        stated = json.loads(response.content).get("limit")
    except (ValueError, AttributeError):
        stated = None
    if isinstance(stated, int) and 0 < stated < size:
        return stated
    return max(size // 2, 1)


def server_sent_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(event type, data)`` of each event in the lines of a ``text/event-stream`` body.

    Lines starting with ``:`` are comments (keep-alives); an event ends at a blank line, so one
    cut off by the end of the body is dropped, as browsers do.

    >>> list(server_sent_events(["event: log", "data: {}", "", ": keep-alive", "", "data: 1"]))
    [('log', '{}')]
    """
    kind = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield kind or "message", "\n".join(data)
            kind, data = "", []
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)


def load_json(content: bytes) -> Any:
    """JSON by orjson where it is installed (a long listing parses in half the time), else by
    ``json``, which also reads the NaN that orjson refuses."""
    try:
        import orjson
    except ImportError:
        return json.loads(content)
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def run_record(document: dict[str, Any]) -> RunRecord:
    """The ``RunRecord`` a server's run document describes."""
    fields = dict(document)
    fields["status"] = RunStatus(fields["status"])
    fields["metrics"] = MetricSummaries(encode_summaries(fields["metrics"]))
    return RunRecord(**fields)


def metric_data(document: dict[str, Any]) -> MetricData:
    """The ``MetricData`` a server's metric document describes (numpy arrays as stored)."""
    import numpy as np

    dtype = document["dtype"]
    raw = document["values"]
    values: Any
    if dtype is None:
        values = raw
    elif dtype == "object":
        values = np.empty(len(raw), dtype=object)
        values[:] = raw if raw else values[:0]
    else:
        values = np.asarray(raw, dtype=dtype)
    return MetricData(
        name=document["name"],
        kind=MetricKind(document["kind"]),
        description=document["description"],
        columns=document["columns"],
        steps=np.asarray(document["steps"], dtype=np.int64),
        timestamps=np.asarray(document["timestamps"], dtype=np.float64),
        values=values,
    )
