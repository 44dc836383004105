"""The metric half of ``Run``: logging every kind, and reading metrics back in the SDK's shapes.

``log`` has a fast path: a float, int or bool logged without a step under a name already known to
be a scalar metric is two list appends. Everything else goes through validation first.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidValueError, MetricKindError, NotFoundError
from runhistory.model import (
    INT64_MAX,
    INT64_MIN,
    LOGGING_CALL,
    MAX_ROW_COLUMNS,
    MAX_STRING_BYTES,
    MetricKind,
    is_unicode_text,
    validate_name,
)
from runhistory.sdk.metric_schemas import wrap_json_metric
from runhistory.writer import RunBuffers, SeriesBuffer

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas

    from runhistory.sdk.workspace import Workspace
    from runhistory.store.base import MetricData, Store
    from runhistory.writer import Writer

_FAST_TYPES = frozenset({float, int, bool})
_FLOATS = frozenset({float})
_MAX_LAYOUTS = 64  # distinct name layouts of log_metrics remembered per run
_now = time.time
_IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
    b"GIF87a": ".gif",
    b"GIF89a": ".gif",
    b"BM": ".bmp",
    b"II*\x00": ".tif",
    b"MM\x00*": ".tif",
}


@dataclasses.dataclass
class MetricHistory:
    """Every point of one metric: steps, timestamps (seconds since the epoch) and values."""

    name: str
    kind: MetricKind
    steps: npt.NDArray[Any]
    timestamps: npt.NDArray[Any]
    values: npt.NDArray[Any]

    def __len__(self) -> int:
        return len(self.steps)


class RunMetrics:
    """Mixed into ``Run``; expects ``id``, ``_store``, ``_writer``, ``_buffers`` and ``_kinds``."""

    id: str
    _store: Store
    _workspace: Workspace
    _buffers: RunBuffers | None
    _scalars: dict[str, SeriesBuffer]  # scalar series log() may append to directly
    _framed: dict[str, SeriesBuffer]  # scalar series that log_metrics has logged into
    _layouts: dict[tuple[str, ...], tuple[str, ...]]  # log_metrics name layouts, all framed
    _kinds: dict[str, MetricKind] | None

    @property
    def _writer(self) -> Writer:
        return self._workspace.writer

    # logging ----------------------------------------------------------------------------------

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Append one value (number, string, bool or None) to the scalar metric ``name``."""
        series = self._scalars.get(name)
        if series is not None and step is None and series.steps is None:
            kind = type(value)
            if kind is float or kind is bool or (kind is int and INT64_MIN <= value <= INT64_MAX):
                values = series.values
                values.append(value)
                series.times.append(_now())
                if len(values) >= series.limit:  # the writer is behind this series
                    self._writer.relieve(series)
                return
        if name in self._framed:
            self._active_buffers().settle_frames()
        value = _scalar(name, value, "log")
        if step is not None:
            step = _step(step)
        self._append(self._series(name, MetricKind.SCALAR, description), value, _now(), step)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log many scalars at one step (one timestamp) in one call."""
        if not isinstance(metrics, Mapping):
            raise InvalidValueError(
                f"log_metrics takes a dict of name -> value, not {type(metrics).__name__}"
            )
        if step is not None:
            step = _step(step)
        # A call with a known set of names, in a known order, holding only plain numbers is one
        # append of a frame: the tuple of names is shared by every frame of that layout.
        names = self._layouts.get(tuple(metrics))
        values = tuple(metrics.values())
        types = set(map(type, values))
        if names is None or not types <= _FAST_TYPES or (int in types and not _int64s(values)):
            names, values = self._new_layout(metrics)
            if not names:
                return
            types = set(map(type, values))
        buffers = self._active_buffers()
        frames = buffers.frames
        frames.append((step, _now(), names, values, types == _FLOATS))
        if len(frames) >= buffers.frame_limit:  # the writer is behind this run
            self._writer.relieve_frames(buffers)

    def _new_layout(self, metrics: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        """Check every entry before storing any (a refused call stores nothing), start a series
        for each new name and remember the layout (names in order)."""
        checked = {name: _scalar(name, value, "log_metrics") for name, value in metrics.items()}
        framed = self._framed
        for name in checked:
            if name not in framed:
                validate_name("metric", name)
                self._check_kind(name, MetricKind.SCALAR, record=False)
        for name in checked:
            if name not in framed:
                framed[name] = self._series(name, MetricKind.SCALAR, "")
                # log() on this name now settles waiting frames first, to keep the order.
                self._scalars.pop(name, None)
        names = tuple(checked)
        self._active_buffers().frame_width(len(names))
        if len(self._layouts) < _MAX_LAYOUTS:
            self._layouts[names] = names
        return names, tuple(checked.values())

    def log_list(self, name: str, value: Iterable[Any], description: str = "") -> None:
        """Append every value of an iterable (a list, a generator, an array) to list metric ``name``."""
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise InvalidValueError(
                f"log_list({name!r}, ...) takes a list or other iterable of scalars, "
                f"not {type(value).__name__}; use log for one value"
            )
        values = [_scalar(name, v, "log_list") for v in value]
        if not values:
            return
        series = self._series(name, MetricKind.LIST, description)
        now = _now()
        for item in values:
            self._append(series, item, now, None)

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        """Append one row of named scalar columns to the row metric ``name``."""
        if not kwargs:
            raise InvalidValueError(
                f"log_row({name!r}) needs at least one column, as log_row(name, x=1, y=2)"
            )
        row = _row(name, kwargs)
        series = self._series(name, MetricKind.ROW, description or "")
        self._append(series, row, _now(), None)

    def log_table(self, name: str, value: Mapping[str, Any], description: str = "") -> None:
        """Append columns (a dict of column -> list; a scalar counts as one row) to table ``name``."""
        if not isinstance(value, Mapping) or not value:
            raise InvalidValueError(
                f"log_table({name!r}, ...) takes a non-empty dict of column -> list of values"
            )
        columns = {
            column: list(v) if isinstance(v, (list, tuple)) or _is_array(v) else [v]
            for column, v in value.items()
        }
        lengths = {column: len(v) for column, v in columns.items()}
        if len(set(lengths.values())) > 1:
            raise InvalidValueError(
                f"log_table({name!r}, ...) columns have unequal lengths {lengths}; give every column "
                "the same number of values"
            )
        rows = [
            _row(name, dict(zip(columns, values, strict=True)))
            for values in zip(*columns.values(), strict=True)
        ]
        series = self._series(name, MetricKind.TABLE, description)
        now = _now()
        for row in rows:
            self._append(series, row, now, None)

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: Any = None,
        description: str = "",
    ) -> None:
        """Log an image file (``path``) or a matplotlib figure or pyplot module (``plot``)."""
        if (path is None) == (plot is None):
            raise InvalidValueError(f"log_image({name!r}) takes exactly one of path= or plot=")
        validate_name("metric", name)
        self._check_kind(name, MetricKind.IMAGE, record=False)
        if path is not None:
            data = _read_image(Path(path))
            extension = _image_extension(data) or Path(path).suffix.lower()
        else:
            data, extension = _render_plot(name, plot), ".png"
        artifact = f"images/{_file_stem(name)}_{self._next_step(name)}{extension}"
        self._store.add_artifact(self.id, artifact, io.BytesIO(data))
        series = self._series(name, MetricKind.IMAGE, description)
        self._append(series, artifact, _now(), None)

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        self._log_json(name, MetricKind.CONFUSION_MATRIX, value, description)

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        self._log_json(name, MetricKind.ACCURACY_TABLE, value, description)

    def log_residuals(self, name: str, value: Any, description: str = "") -> None:
        self._log_json(name, MetricKind.RESIDUALS, value, description)

    def log_predictions(self, name: str, value: Any, description: str = "") -> None:
        self._log_json(name, MetricKind.PREDICTIONS, value, description)

    def _log_json(self, name: str, kind: MetricKind, value: Any, description: str) -> None:
        validate_name("metric", name)
        self._check_kind(name, kind, record=False)
        document = wrap_json_metric(kind, name, value)
        artifact = f"metrics/{_file_stem(name)}_{self._next_step(name)}.json"
        self._store.add_artifact(self.id, artifact, io.BytesIO(json.dumps(document).encode()))
        series = self._series(name, kind, description)
        self._append(series, artifact, _now(), None)

    def _next_step(self, name: str) -> int:
        """The step the next value of the image or JSON metric ``name`` gets (its file is named
        by it, so the same image of two runs has the same name in ``history compare``)."""
        found = self._read([name])
        if not found or len(found[0].steps) == 0:
            return 0
        return int(found[0].steps[-1]) + 1

    def _series(self, name: str, kind: MetricKind, description: str) -> SeriesBuffer:
        buffers = self._active_buffers()
        series = buffers.series.get(name)
        if series is not None and series.kind is kind:
            return series
        validate_name("metric", name)
        _description(name, description)
        self._check_kind(name, kind)
        series = SeriesBuffer(name, kind, description or "")
        buffers.add_series(series)
        if kind is MetricKind.SCALAR and name not in self._framed:
            self._scalars[name] = series
        return series

    def _check_kind(self, name: str, kind: MetricKind, record: bool = True) -> None:
        """Refuse ``kind`` for a metric that has another; with ``record``, fix it as the kind."""
        kinds = self._known_kinds()
        known = kinds.get(name)
        if known is None:
            if record:
                kinds[name] = kind
        elif known is not kind:
            raise MetricKindError(
                f"metric {name!r} of run {self.id!r} is a {known} metric (logged with "
                f"{LOGGING_CALL[known]}); it cannot take {LOGGING_CALL[kind]} values. "
                "Log them under another name"
            )

    def _known_kinds(self) -> dict[str, MetricKind]:
        if self._kinds is None:
            self._kinds = self._store.metric_kinds(self.id)
        return self._kinds

    def _active_buffers(self) -> RunBuffers:
        if self._buffers is None:
            self._buffers = RunBuffers(self.id)
            self._writer.register(self._buffers)
        return self._buffers

    def _append(self, series: SeriesBuffer, value: Any, now: float, step: int | None) -> None:
        """Append one validated value (and its validated step)."""
        if step is not None:
            steps = series.use_steps()
            series.values.append(value)
            series.times.append(now)
            steps.append(step)
        else:
            series.values.append(value)
            series.times.append(now)
            if series.steps is not None:
                series.steps.append(None)
        if len(series.values) >= series.limit:
            self._writer.relieve(series)

    # reading ----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Store everything logged so far (the background writer does this every second)."""
        self._writer.flush()

    def _read(self, names: list[str] | None = None) -> list[MetricData]:
        if self._buffers is not None:
            self.flush()
        return self._store.read_metrics(self.id, names)

    def get_metric_history(self, name: str) -> MetricHistory:
        """Every point of metric ``name`` as numpy arrays (steps, timestamps, values)."""
        found = self._read([name])
        if not found:
            known = sorted(self._store.metric_kinds(self.id))
            raise NotFoundError(f"run {self.id!r} has no metric {name!r}; it has {known}")
        import numpy as np

        data = found[0]
        values = data.values if isinstance(data.values, np.ndarray) else _object_array(data.values)
        return MetricHistory(data.name, data.kind, data.steps, data.timestamps, values)

    def _own_metrics(self, name: str | None, populate: bool) -> dict[str, Any]:
        return {
            data.name: self._shape(data, populate)
            for data in self._read(None if name is None else [name])
        }

    def _shape(self, data: MetricData, populate: bool) -> Any:
        values = data.values if isinstance(data.values, list) else data.values.tolist()
        if data.kind.is_columnar:
            columns = data.columns or []
            if len(values) == 1:
                return {c: values[0].get(c) for c in columns}
            return {c: [row.get(c) for row in values] for c in columns}
        if data.kind.is_artifact:
            values = [self._artifact_value(data.kind, v, populate) for v in values]
        return values[0] if len(values) == 1 else values

    def _artifact_value(self, kind: MetricKind, artifact: str, populate: bool) -> Any:
        if not populate:
            return f"runhistory://runs/{self.id}/{artifact}"
        with self._store.open_artifact(self.id, artifact) as stream:
            content = stream.read()
        return content if kind is MetricKind.IMAGE else json.loads(content)

    def get_metrics_frame(self) -> pandas.DataFrame:
        """Scalar and list metrics as a pandas DataFrame with one row per (metric, step)."""
        from runhistory.sdk.frames import import_pandas

        pandas = import_pandas("get_metrics_frame()")

        frames = []
        for data in self._read():
            if data.kind.is_columnar or data.kind.is_artifact:
                continue
            frames.append(
                pandas.DataFrame(
                    {
                        "metric": data.name,
                        "step": data.steps,
                        "timestamp": pandas.to_datetime(data.timestamps, unit="s", utc=True),
                        "value": data.values,
                    }
                )
            )
        if not frames:
            return pandas.DataFrame(columns=["metric", "step", "timestamp", "value"])
        return pandas.concat(frames, ignore_index=True)


def _object_array(values: list[Any]) -> npt.NDArray[Any]:
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _scalar(name: str, value: Any, call: str) -> Any:
    """A loggable scalar: numpy scalars become Python values; collections are refused."""
    kind = type(value)
    if kind is float or kind is bool or value is None:
        return value
    if kind is int:
        return _int64(name, value, call)
    if isinstance(value, str):
        return _text(name, str(value), call)
    if type(value).__module__ == "numpy":
        return _numpy_scalar(name, value, call)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):  # subclasses such as IntEnum
        return _int64(name, int(value), call)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple, set)) or hasattr(value, "__iter__"):
        hint = "log_table or log_row" if isinstance(value, Mapping) else "log_list"
        raise InvalidValueError(
            f"{call}({name!r}, ...) takes one number, string or bool, not {type(value).__name__}; "
            f"use {hint} for several values"
        )
    raise InvalidValueError(
        f"{call}({name!r}, {value!r}) cannot log a {type(value).__name__}; "
        "log a number, string, bool or None"
    )


def _numpy_scalar(name: str, value: Any, call: str) -> Any:
    import numpy as np

    if isinstance(value, np.str_):
        return _scalar(name, str(value), call)
    if isinstance(value, (np.number, np.bool_)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return _scalar(name, value.item(), call)
    raise InvalidValueError(
        f"{call}({name!r}, ...) takes one number, string or bool, not a numpy "
        f"{type(value).__name__} of shape {getattr(value, 'shape', '?')}; use log_list for several values"
    )


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "ndim") and value.ndim == 1


def _int64(name: str, value: int, call: str) -> int:
    """An int every store keeps: beyond 64 bits it is stored as JSON, which still needs it to
    have a float value (its summary's min and max)."""
    if INT64_MIN <= value <= INT64_MAX:
        return value
    try:
        float(value)
    except OverflowError:
        raise InvalidValueError(
            f"{call}({name!r}, {_short(value)}) is too large a number to store (beyond "
            "±1.8e308, the float range); log it as a string"
        ) from None
    return value


def _int64s(values: tuple[Any, ...]) -> bool:
    """Whether every int of ``values`` is a 64-bit integer."""
    return all(INT64_MIN <= v <= INT64_MAX for v in values if type(v) is int)


def _text(name: str, value: str, call: str) -> str:
    if not is_unicode_text(value):
        raise InvalidValueError(
            f"{call}({name!r}, {_short(value)}) holds a lone surrogate, which is not Unicode text "
            "and cannot be stored; decode the text properly (or log its repr())"
        )
    size = len(value) if value.isascii() else len(value.encode("utf-8"))
    if size > MAX_STRING_BYTES:
        raise InvalidValueError(
            f"{call}({name!r}, ...) got a string of {size:,} bytes; metric strings "
            "are limited to 64 KiB, so upload long text as a file with upload_file"
        )
    return value


def _description(name: str, description: Any) -> None:
    """A metric description: text, stored with the metric when it is first logged."""
    if description is None or description == "":
        return
    if not isinstance(description, str):
        raise InvalidValueError(
            f"the description of metric {name!r} must be a str, not {type(description).__name__}"
        )
    if "\x00" in description or not is_unicode_text(description):
        raise InvalidValueError(
            f"the description of metric {name!r}, {_short(description)}, holds NUL or a lone "
            "surrogate, which the databases cannot keep; remove them"
        )
    if len(description) > MAX_STRING_BYTES:
        raise InvalidValueError(
            f"the description of metric {name!r} has {len(description):,} characters; "
            "the limit is 64 KiB"
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _step(step: Any) -> int:
    if type(step) is not int:
        if type(step).__module__ == "numpy" and hasattr(step, "item"):
            step = step.item()
        if type(step) is not int:
            raise InvalidValueError(f"step {step!r} must be an int")
    if not INT64_MIN <= step <= INT64_MAX:
        raise InvalidValueError(
            f"step {_short(step)} is outside the 64-bit integers every store keeps "
            f"({INT64_MIN} to {INT64_MAX}); number steps within that range"
        )
    return step


def _row(name: str, columns: Mapping[str, Any]) -> dict[str, Any]:
    if len(columns) > MAX_ROW_COLUMNS:
        raise InvalidValueError(
            f"row of metric {name!r} has {len(columns)} columns; the limit is {MAX_ROW_COLUMNS}"
        )
    return {
        validate_name("column", c): _scalar(f"{name}.{c}", v, "log_row") for c, v in columns.items()
    }


def _read_image(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidValueError(f"log_image cannot read {str(path)!r}: {error.strerror}") from None
    if _image_extension(data) is None and path.suffix.lower() != ".svg":
        raise InvalidValueError(
            f"{str(path)!r} is not an image (PNG, JPEG, GIF, BMP, TIFF, WebP or SVG); log an image file"
        )
    return data


def _image_extension(data: bytes) -> str | None:
    for signature, extension in _IMAGE_SIGNATURES.items():
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


def _render_plot(name: str, plot: Any) -> bytes:
    figure = plot.gcf() if hasattr(plot, "gcf") else plot
    if not hasattr(figure, "savefig"):
        raise InvalidValueError(
            f"log_image({name!r}, plot=...) takes a matplotlib Figure or the pyplot module, "
            f"not {type(plot).__name__}"
        )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _file_stem(name: str) -> str:
    """``name`` as a file name; a name that had to change gets a short digest of the original,
    so that ``a b`` and ``a_b`` never share files."""
    safe = _file_safe(name)
    if safe == name:
        return safe
    import hashlib

    return f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _file_safe(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return safe[:100] or "metric"
