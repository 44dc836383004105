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
from collections.abc import Iterable, Iterator, Mapping
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
        kind, number = _last_type(last)
        if kind == _JSON:
            lasts[str(index)] = last
        types.append(kind)
        numbers.extend((count, _or_nan(last_step), number, _or_nan(low), _or_nan(high)))
    if not names:
        return ""
    header = _encode_header(names, [entries[n][0] for n in names], "".join(types))
    return _join(header, numbers, lasts)


def entries_of(text: str | None, names: Iterable[str]) -> dict[str, list[Any]]:
    """The entries of ``names`` that ``text`` holds (as ``decode_entries`` gives them), without
    decoding the others."""
    parts = _Parts.of(text)
    if parts is None:
        summaries = MetricSummaries(text)
        return {
            name: [s.kind.value, s.count, s.last_step, s.last, s.minimum, s.maximum]
            for name in names
            if name in summaries
            for s in (summaries[name],)
        }
    return {name: parts.entry(name) for name in names if name in parts.index}


def patch_summaries(text: str | None, entries: Mapping[str, list[Any]]) -> str:
    """``text`` with the summaries of ``entries`` replaced or added. The others are copied, not
    decoded, so the cost follows the entries changed, not the number of metrics of the run
    (apart from copying the text once).

    >>> text = encode_summaries({"loss": ["scalar", 3, 2, 0.25, 0.25, 1.0]})
    >>> patched = patch_summaries(text, {"acc": ["scalar", 1, 0, 0.5, 0.5, 0.5]})
    >>> MetricSummaries(patched).last_values()
    {'loss': 0.25, 'acc': 0.5}
    """
    parts = _Parts.of(text)
    if text is None or parts is None or not parts.keeps_header(entries):
        # New names, a kind or a value type changes, or an earlier version's format: re-encode.
        return encode_summaries({**decode_entries(text or ""), **entries})
    fields: dict[int, bytes] = {}
    lasts: dict[str, Any] | None = None
    for name, (_kind, count, last_step, last, low, high) in entries.items():
        position = parts.index[name]
        if parts.types[position] == _JSON:
            if lasts is None:
                lasts = json.loads(parts.others()) if parts.others() else {}
            lasts[str(position)] = last
        _, number = _last_type(last)
        numbers = array("d", (count, _or_nan(last_step), number, _or_nan(low), _or_nan(high)))
        fields[position] = _little_endian(numbers)
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces
    for start, stop, patches in _spans(fields, parts.packed_bytes):
        raw = bytearray(binascii.a2b_base64(text[parts.packed + start : parts.packed + stop]))
        for offset, value in patches:
            raw[offset : offset + _ENTRY_BYTES] = value
        pieces += (
            text[done : parts.packed + start],
            binascii.b2a_base64(raw, newline=False).decode(),
        )
        done = parts.packed + stop
    if lasts is None:
        pieces.append(text[done:])
    else:
        pieces += (text[done : parts.others_start], _encode_lasts(lasts))
    return "".join(pieces)


class _Parts:
    """Where the three lines of an encoded text are, with the header's names looked up (cached).
    The packed numbers are not copied out of the text."""

    def __init__(self, text: str, first: int, second: int) -> None:
        self.text = text
        self.packed = first + 1  # where the packed numbers start
        self.packed_bytes = (second - first - 1) // 4 * 3
        self.others_start = second + 1
        self.names, self.kinds, self.types, self.index = _header(text[:first])

    @classmethod
    def of(cls, text: str | None) -> _Parts | None:
        """None for an empty text or the JSON object of earlier versions."""
        if not text or "\n" not in text:
            return None
        first = text.index("\n")
        return cls(text, first, text.index("\n", first + 1))

    def others(self) -> str:
        return self.text[self.others_start :]

    def keeps_header(self, entries: Mapping[str, list[Any]]) -> bool:
        for name, entry in entries.items():
            position = self.index.get(name)
            if position is None or self.kinds[position] != entry[0]:
                return False
            if self.types[position] != _last_type(entry[3])[0]:
                return False
        return True

    def entry(self, name: str) -> list[Any]:
        position = self.index[name]
        start, stop, offset = _groups(position, self.packed_bytes)
        raw = binascii.a2b_base64(self.text[self.packed + start : self.packed + stop])
        numbers = array("d")
        numbers.frombytes(raw[offset : offset + _ENTRY_BYTES])
        if _BIG_ENDIAN:
            numbers.byteswap()
        count, last_step, number, low, high = numbers
        kind = self.types[position]
        last: Any
        if kind == _FLOAT:
            last = number
        elif kind == _INT:
            last = int(number)
        else:
            last = json.loads(self.others())[str(position)]
        return [
            self.kinds[position],
            int(count),
            None if math.isnan(last_step) else int(last_step),
            last,
            None if math.isnan(low) else low,
            None if math.isnan(high) else high,
        ]


_ENTRY_BYTES = _FIELDS * 8


def _groups(position: int, total_bytes: int) -> tuple[int, int, int]:
    """The base64 characters [start, stop) that hold entry ``position``, and the entry's byte
    offset within what they decode to (base64 turns each 3 bytes into 4 characters)."""
    first_byte = position * _ENTRY_BYTES
    first_group = first_byte // 3
    last_group = min(first_byte + _ENTRY_BYTES, total_bytes) + 2
    return first_group * 4, last_group // 3 * 4, first_byte - first_group * 3


def _spans(
    fields: dict[int, bytes], total_bytes: int
) -> list[tuple[int, int, list[tuple[int, bytes]]]]:
    """The character ranges to rewrite for ``fields`` (position -> packed entry), in order;
    entries whose characters overlap (two entries can share a base64 group) share a range.
    Each range lists (byte offset within the range, entry bytes)."""
    spans: list[tuple[int, int, list[tuple[int, bytes]]]] = []
    for position in sorted(fields):
        start, stop, _ = _groups(position, total_bytes)
        if spans and start < spans[-1][1]:
            start = spans[-1][0]
            stop = max(stop, spans[-1][1])
            patches = spans.pop()[2]
        else:
            patches = []
        patches.append((position * _ENTRY_BYTES - start // 4 * 3, fields[position]))
        spans.append((start, stop, patches))
    return spans


def _last_type(last: Any) -> tuple[str, float]:
    """How a last value is kept: its type letter and the number stored for it."""
    if type(last) is float and not math.isnan(last):
        return _FLOAT, last
    if type(last) is int and -_EXACT_INT < last < _EXACT_INT:
        return _INT, float(last)
    return _JSON, math.nan


def _encode_header(names: list[str], kinds: list[str], types: str) -> str:
    return json.dumps({"n": names, "k": kinds, "t": types}, separators=(",", ":"))


def _join(header: str, numbers: array[float], lasts: dict[str, Any]) -> str:
    return _join_parts(header, base64.b64encode(_little_endian(numbers)).decode("ascii"), lasts)


def _join_parts(header: str, packed: str, lasts: dict[str, Any]) -> str:
    return f"{header}\n{packed}\n{_encode_lasts(lasts)}"


def _encode_lasts(lasts: dict[str, Any]) -> str:
    return json.dumps(lasts, separators=(",", ":"), allow_nan=True) if lasts else ""


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
