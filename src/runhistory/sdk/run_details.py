"""The details half of ``Run``: the run as a dict, its logs, its studio link, waiting for it to
end, and its HTML view in notebooks."""

from __future__ import annotations

import datetime
import html
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidStateError, RunFailedError
from runhistory.model import RunRecord, RunStatus
from runhistory.sdk.run_types import azure_run_type

if TYPE_CHECKING:
    from runhistory.sdk.environment import Environment
    from runhistory.sdk.experiment import Experiment
    from runhistory.settings import Settings
    from runhistory.store.base import Store


class RunDetails:
    """Mixed into ``Run``; expects ``id``, ``experiment``, ``_store``, ``_settings``,
    ``_refresh``, ``_flush_logs`` and ``_logs``."""

    id: str
    experiment: Experiment
    _store: Store
    _settings: Settings

    def _refresh(self) -> RunRecord:
        raise NotImplementedError  # provided by Run

    def _flush_logs(self) -> None:
        raise NotImplementedError  # provided by RunFiles

    def _logs(self) -> dict[str, str]:
        raise NotImplementedError  # provided by RunFiles

    def get_details(self) -> dict[str, Any]:
        """The run as a dict (ids, status, times in UTC ISO 8601, script, arguments, tags, ...)."""
        self._flush_logs()
        record = self._refresh()
        definition = dict(record.config or {})
        duration = None
        if record.started is not None:
            duration = round((record.ended or time.time()) - record.started, 3)
        return {
            "runId": record.id,
            "runNumber": record.number,
            "experiment": record.experiment_name,
            "displayName": record.display_name,
            "description": record.description,
            "status": record.status.value,
            "type": azure_run_type(record.run_type),
            "target": record.target or "local",
            "scriptName": record.script_name,
            "arguments": list(record.arguments),
            "createdTimeUtc": _iso(record.created),
            "startTimeUtc": _iso(record.started),
            "endTimeUtc": _iso(record.ended),
            "duration": duration,
            "parentRunId": record.parent_id,
            "snapshotId": record.snapshot_id,
            "tags": dict(record.tags),
            "properties": dict(record.properties),
            "error": record.error,
            "logFiles": {
                s: f"runhistory://runs/{record.id}/{s}" for s in self._store.log_streams(record.id)
            },
            "submittedBy": definition.pop("submitted_by", None),
            "runDefinition": definition,
            "inputDatasets": [],
            "outputDatasets": [],
        }

    def get_environment(self) -> Environment:
        """The environment a submitted run ran in (as ``Environment``); an interactive run has
        none and raises ``InvalidStateError``."""
        from runhistory.sdk.environment import Environment

        definition = self._refresh().config or {}
        settings = definition.get("environment")
        if not isinstance(settings, Mapping):
            raise InvalidStateError(
                f"run {self.id!r} was not submitted, so it has no environment; "
                "get_environment() is for runs of Experiment.submit"
            )
        return Environment._from_dict(settings)

    def get_details_with_logs(self) -> dict[str, Any]:
        details = self.get_details()
        details["logFiles"] = self._logs()
        return details

    def get_portal_url(self) -> str:
        base = (self._settings.studio_url or "http://127.0.0.1:5000").rstrip("/")
        return f"{base}/experiments/{self.experiment.name}/runs/{self.id}"

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        """Block until the run ends; with ``show_output``, stream its log while waiting."""
        from runhistory.sdk.waiting import wait_for_run

        return wait_for_run(
            self,  # type: ignore[arg-type]  # a RunDetails is always a Run
            show_output=show_output,
            raise_on_error=raise_on_error,
        )

    def _raise_if_failed(self, details: Mapping[str, Any]) -> None:
        if details["status"] in (RunStatus.FAILED.value, RunStatus.CANCELED.value):
            error = details.get("error") or {}
            raise RunFailedError(
                f"run {self.id!r} ended {details['status']}: {error.get('message', 'no error message')}"
            )

    def _repr_html_(self) -> str:
        record = self._refresh()
        cells = [
            ("Experiment", record.experiment_name),
            ("Id", record.id),
            ("Type", record.run_type),
            ("Status", record.status.value),
            (
                "Details",
                f'<a href="{html.escape(self.get_portal_url())}" target="_blank">studio</a>',
            ),
        ]
        head = "".join(f"<th>{k}</th>" for k, _ in cells)
        body = "".join(f"<td>{v if k == 'Details' else html.escape(str(v))}</td>" for k, v in cells)
        return f"<table><tr>{head}</tr><tr>{body}</tr></table>"


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
