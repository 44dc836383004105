"""Metric points as compressed columnar chunks (one database row holds thousands of points).

A chunk has three columns of equal length: steps (int64), timestamps (int64 microseconds since the
epoch) and values (float64, int64, bool, or JSON for anything else: strings, None, mixed types, rows).
Steps that count up by a fixed stride cost 16 bytes per chunk; timestamps are delta-coded; numeric
columns are byte-shuffled before zlib so that exponent and high bytes compress.

>>> blob = encode_chunk(np.arange(3), np.array([10, 11, 12]), [0.5, 0.25, 0.125])
>>> decode_chunk(blob).values.tolist()
[0.5, 0.25, 0.125]
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from runhistory.store.chunk_format import (
    ARANGE,
    BITS_ZLIB,
    DELTA_PLANES,
    DELTA_SHUFFLE_ZLIB,
    FORMAT_VERSION,
    HEADER,
    JSON_ZLIB,
    RAW,
    SECTION,
    SHUFFLE_ZLIB,
    ZLIB_LEVEL,
    Points,
    compress_planes,
    decompress_planes,
    section,
)

_DTYPES: dict[bytes, Any] = {b"d": np.float64, b"q": np.int64, b"?": np.bool_}
_DTYPE_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}


def typed_values(values: Sequence[Any]) -> npt.NDArray[Any] | list[Any]:
    """The narrowest column for Python values: a float64/int64/bool array, else the list itself."""
    kinds = set(map(type, values))
    if kinds == {float}:
        return np.array(values, dtype=np.float64)
    if kinds == {int}:
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            return list(values)
    if kinds == {bool}:
        return np.array(values, dtype=np.bool_)
    return list(values)


def concat_values(
    first: npt.NDArray[Any] | list[Any], second: npt.NDArray[Any] | list[Any]
) -> npt.NDArray[Any] | list[Any]:
    """Two value columns as one, keeping the narrow type only when both share it."""
    if isinstance(first, list) and isinstance(second, np.ndarray):
        first = typed_values(first)  # a small tail: typing it is cheaper than listing the rest
    if (
        isinstance(first, np.ndarray)
        and isinstance(second, np.ndarray)
        and first.dtype == second.dtype
    ):
        return np.concatenate([first, second])
    first_list = first.tolist() if isinstance(first, np.ndarray) else first
    second_list = second.tolist() if isinstance(second, np.ndarray) else second
    return typed_values(first_list + second_list)


def encode_chunk(
    steps: npt.NDArray[Any] | Sequence[int],
    timestamps_us: npt.NDArray[Any] | Sequence[int],
    values: npt.NDArray[Any] | Sequence[Any],
    index: bytes | None = None,
) -> bytes:
    """Encode one chunk; ``values`` may be a typed array or a list of JSON-able Python values.
    ``index`` is ``encode_index(steps, timestamps_us)`` when the caller already has it."""
    count = len(steps)
    if not (len(timestamps_us) == count == len(values)):
        raise ValueError("steps, timestamps and values must have the same length")
    if not isinstance(values, np.ndarray):
        values = typed_values(values)
    if index is None:
        index = encode_index(steps, timestamps_us)
    return b"".join([HEADER.pack(FORMAT_VERSION, count), index, _encode_values(values)])


def encode_index(
    steps: npt.NDArray[Any] | Sequence[int], timestamps_us: npt.NDArray[Any] | Sequence[int]
) -> bytes:
    """The steps and timestamps sections of a chunk (shared by metrics logged together)."""
    return _encode_steps(np.asarray(steps, dtype=np.int64)) + _encode_delta(
        np.asarray(timestamps_us, dtype=np.int64)
    )


def decode_chunk(blob: bytes) -> Points:
    view = memoryview(blob)
    version, count = HEADER.unpack_from(view, 0)
    if version != FORMAT_VERSION:
        raise ValueError(f"metric chunk format {version} is newer than this runhistory; upgrade it")
    offset = HEADER.size
    columns = []
    for _ in range(3):
        codec, dtype, length = SECTION.unpack_from(view, offset)
        offset += SECTION.size
        columns.append(_decode_section(codec, dtype, view[offset : offset + length], count))
        offset += length
    steps, timestamps, values = columns
    return Points(steps, timestamps, values)


def concat_points(parts: Sequence[Points]) -> Points:
    if not parts:
        return Points(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
    if len(parts) == 1:
        return parts[0]
    steps = np.concatenate([p.steps for p in parts])
    timestamps = np.concatenate([p.timestamps_us for p in parts])
    first = parts[0].values
    if all(
        isinstance(p.values, np.ndarray) and p.values.dtype == getattr(first, "dtype", None)
        for p in parts
    ):
        values: npt.NDArray[Any] | list[Any] = np.concatenate([p.values for p in parts])
    else:
        values = []
        for p in parts:
            values.extend(p.values.tolist() if isinstance(p.values, np.ndarray) else p.values)
    return Points(steps, timestamps, values)


def _encode_steps(steps: npt.NDArray[np.int64]) -> bytes:
    if len(steps) >= 1:
        start = int(steps[0])
        stride = int(steps[1]) - start if len(steps) > 1 else 1  # Python ints: no wrap-around
        fits = -(2**63) <= stride < 2**63 and -(2**63) <= start + stride * (len(steps) - 1) < 2**63
        if len(steps) == 1 or (fits and bool(np.all(np.diff(steps) == stride))):
            return section(ARANGE, b"q", struct.pack("<qq", start, stride))
    return _encode_delta(steps)


def _encode_delta(column: npt.NDArray[np.int64]) -> bytes:
    """The first value, then differences as byte planes: timestamps and counters leave most
    high planes all zero."""
    first = int(column[0]) if len(column) else 0
    deltas = np.diff(column, prepend=column[:1]) if len(column) else column
    payload = struct.pack("<q", first) + compress_planes(_shuffle(deltas), len(column))
    return section(DELTA_PLANES, b"q", payload)


def _encode_values(values: npt.NDArray[Any] | list[Any]) -> bytes:
    if isinstance(values, list):
        text = json.dumps(values, separators=(",", ":"), allow_nan=True)
        return section(JSON_ZLIB, b"j", zlib.compress(text.encode(), ZLIB_LEVEL))
    code = _DTYPE_CODES[values.dtype]
    if code == b"?":
        packed = np.packbits(values).tobytes()
        return section(BITS_ZLIB, code, zlib.compress(packed, ZLIB_LEVEL))
    if code == b"q":
        return section(DELTA_PLANES, code, _encode_delta(values)[SECTION.size :])
    return section(SHUFFLE_ZLIB, code, compress_planes(_shuffle(values), len(values)))


def _decode_section(codec: bytes, dtype: bytes, payload: memoryview, count: int) -> Any:
    if codec == ARANGE:
        start, stride = struct.unpack("<qq", payload)
        return np.arange(count, dtype=np.int64) * stride + start
    if codec == JSON_ZLIB:
        return json.loads(zlib.decompress(payload))
    if codec == BITS_ZLIB:
        bits = np.frombuffer(zlib.decompress(payload), dtype=np.uint8)
        return np.unpackbits(bits, count=count).astype(np.bool_)
    numpy_dtype = np.dtype(_DTYPES[dtype]).newbyteorder("<")
    if codec == RAW:
        return np.frombuffer(payload, dtype=numpy_dtype, count=count).astype(_DTYPES[dtype])
    if codec == DELTA_SHUFFLE_ZLIB:
        column = _unshuffle(zlib.decompress(payload), numpy_dtype, count)
        return np.cumsum(column, dtype=np.int64)
    if codec == SHUFFLE_ZLIB:
        return _unshuffle(
            decompress_planes(payload, numpy_dtype.itemsize, count), numpy_dtype, count
        )
    if codec == DELTA_PLANES:
        (first,) = struct.unpack_from("<q", payload)
        planes = decompress_planes(payload[8:], numpy_dtype.itemsize, count)
        return np.cumsum(_unshuffle(planes, numpy_dtype, count), dtype=np.int64) + first
    raise ValueError(f"unknown metric chunk codec {codec!r}")


def _shuffle(column: npt.NDArray[Any]) -> bytes:
    """Byte-transpose: all first bytes, then all second bytes, ... (little-endian)."""
    width = column.dtype.itemsize
    raw = np.ascontiguousarray(column, dtype=column.dtype.newbyteorder("<")).view(np.uint8)
    return bytes(raw.reshape(-1, width).T.tobytes())


def _unshuffle(data: bytes, dtype: np.dtype[Any], count: int) -> npt.NDArray[Any]:
    width = dtype.itemsize
    planes = np.frombuffer(data, dtype=np.uint8).reshape(width, count)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(count).astype(dtype.newbyteorder("="))
