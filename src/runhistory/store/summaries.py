"""Metric summaries of a run, kept in one compact text column and decoded lazily.

Listing ten thousand runs with twenty metrics each must not build 200,000 objects or parse
200,000 float texts. The text has three lines: a JSON header (names, kinds, value types), which
runs of one experiment usually share, so it is decoded once and cached; the numbers (count, last
step, last value, min, max of each metric) as packed doubles in base64; and JSON of the last
values that are not numbers (often empty). ``last_values()`` gives a table view its column values
without an object per metric.

>>> text = encode_summaries({"loss": ["scalar", 3, 2, 0.25, 0.25, 1.0]})
>>> MetricSummaries(text)["loss"].last
0.25
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
from array import array
from collections.abc import Iterator, Mapping
from typing import Any

from runhistory.model import MetricKind, MetricSummary

_FIELDS = 5  # count, last step, last, min, max
_FLOAT, _INT, _JSON = "f", "i", "j"
_EXACT_INT = 2**53


def encode_summaries(entries: Mapping[str, list[Any]]) -> str:
    """Encode ``{name: [kind, count, last_step, last, min, max]}``."""
    names = list(entries)
    numbers = array("d")
    types = []
    lasts: dict[str, Any] = {}
    for index, name in enumerate(names):
        _kind, count, last_step, last, low, high = entries[name]
        if type(last) is float and not math.isnan(last):
            kind, number = _FLOAT, last
        elif type(last) is int and -_EXACT_INT < last < _EXACT_INT:
            kind, number = _INT, float(last)
        else:
            kind, number = _JSON, math.nan
            lasts[str(index)] = last
        types.append(kind)
        numbers.extend((count, _or_nan(last_step), number, _or_nan(low), _or_nan(high)))
    if not names:
        return ""
    header = json.dumps(
        {"n": names, "k": [entries[n][0] for n in names], "t": "".join(types)},
        separators=(",", ":"),
    )
    packed = base64.b64encode(_little_endian(numbers)).decode("ascii")
    others = json.dumps(lasts, separators=(",", ":"), allow_nan=True) if lasts else ""
    return f"{header}\n{packed}\n{others}"


def decode_entries(text: str) -> dict[str, list[Any]]:
    """The ``{name: [kind, count, last_step, last, min, max]}`` that ``text`` encodes."""
    summaries = MetricSummaries(text)
    return {
        s.name: [s.kind.value, s.count, s.last_step, s.last, s.minimum, s.maximum]
        for s in summaries.values()
    }


class MetricSummaries(Mapping[str, MetricSummary]):
    """``{name: MetricSummary}`` of one run, decoded on first use."""

    __slots__ = ("_index", "_kinds", "_lasts", "_names", "_numbers", "_text", "_types")

    def __init__(self, text: str | None = None) -> None:
        self._text = text
        self._names: list[str] = []

    def _decode(self) -> None:
        text, self._text = self._text, None
        if text and "\n" not in text and text != "{}":
            text = encode_summaries(json.loads(text))  # the JSON object of earlier versions
        if not text or text == "{}":
            header, packed, others = _EMPTY_HEADER, "", ""
        else:
            header, packed, others = text.split("\n")
        self._names, self._kinds, self._types, self._index = _header(header)
        numbers = array("d")
        numbers.frombytes(binascii.a2b_base64(packed))  # base64.b64decode's checks cost as much
        if _BIG_ENDIAN:
            numbers.byteswap()
        self._numbers = numbers
        self._lasts = json.loads(others) if others else {}

    def _ready(self) -> None:
        if self._text is not None:
            self._decode()

    def __getitem__(self, name: str) -> MetricSummary:
        self._ready()
        index = self._index[name]
        base = index * _FIELDS
        count, last_step, _, low, high = self._numbers[base : base + _FIELDS]
        return MetricSummary(
            name=name,
            kind=MetricKind(self._kinds[index]),
            count=int(count),
            last_step=None if math.isnan(last_step) else int(last_step),
            last=self._last(index),
            minimum=None if math.isnan(low) else low,
            maximum=None if math.isnan(high) else high,
        )

    def _last(self, index: int) -> Any:
        kind = self._types[index]
        value = self._numbers[index * _FIELDS + 2]
        if kind == _FLOAT:
            return value
        if kind == _INT:
            return int(value)
        return self._lasts[str(index)]

    def last_values(self) -> dict[str, Any]:
        """``{name: last value}`` of every metric, without building a summary per metric."""
        self._ready()
        if _JSON not in self._types and _INT not in self._types:
            return dict(zip(self._names, self._numbers[2::_FIELDS], strict=True))
        return {name: self._last(i) for i, name in enumerate(self._names)}

    def kinds(self) -> dict[str, str]:
        self._ready()
        return dict(zip(self._names, self._kinds, strict=True))

    def __iter__(self) -> Iterator[str]:
        self._ready()
        return iter(self._names)

    def __len__(self) -> int:
        self._ready()
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        self._ready()
        return name in self._index

    def __repr__(self) -> str:
        return f"MetricSummaries({dict(self.items())!r})"


_EMPTY_HEADER = '{"n":[],"k":[],"t":""}'


@functools.lru_cache(maxsize=1024)
def _header(text: str) -> tuple[list[str], list[str], str, dict[str, int]]:
    """Names, kinds, value types and name index of a header; shared by the runs that have it,
    so callers must not change what it returns."""
    document = json.loads(text)
    names = document["n"]
    return names, document["k"], document["t"], {name: i for i, name in enumerate(names)}


def _or_nan(value: float | int | None) -> float:
    return math.nan if value is None else float(value)


_BIG_ENDIAN = array("d", [1.0]).tobytes() != b"\x00\x00\x00\x00\x00\x00\xf0?"


def _little_endian(numbers: array[float]) -> bytes:
    if _BIG_ENDIAN:
        numbers = array("d", numbers)
        numbers.byteswap()
    return numbers.tobytes()
