"""The metric chunk format, and a pure-Python encoder for small chunks.

A chunk is a header (format version, point count) and three sections (steps, timestamps in int64
microseconds, values), each ``codec, dtype, length, payload``. ``chunks.py`` encodes and decodes
with numpy; ``encode_small_chunk`` writes the same format without numpy, so that a short process
logging a few points never pays numpy's import.

>>> len(encode_small_chunk([0, 1], [10, 20], [0.5, 1.5])) > 0
True
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import struct
import zlib
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy.typing as npt

CHUNK_POINTS = 8192
FORMAT_VERSION = 1
HEADER = struct.Struct("<BI")  # version, point count
SECTION = struct.Struct("<ccI")  # codec, dtype, payload length
PLANE = struct.Struct("<BI")  # compressed?, length
ZLIB_LEVEL = 1
PLANE_SAMPLE = 1024

# codecs
ARANGE = b"A"  # start and stride, no per-point data
RAW = b"R"  # kept so that older chunks still decode
SHUFFLE_ZLIB = b"Z"  # byte planes, each zlib-compressed when that pays
DELTA_SHUFFLE_ZLIB = b"D"  # int64 differences, byte-shuffled, zlib (written by earlier versions)
DELTA_PLANES = b"E"  # int64 differences, byte planes as in SHUFFLE_ZLIB
BITS_ZLIB = b"P"
JSON_ZLIB = b"J"


@dataclasses.dataclass
class Points:
    """Points of one metric: steps, timestamps (int64 µs) and values, as numpy arrays or, for
    small batches built without numpy, as lists."""

    steps: npt.NDArray[Any] | list[int]
    timestamps_us: npt.NDArray[Any] | list[int]
    values: npt.NDArray[Any] | list[Any]

    def __len__(self) -> int:
        return len(self.steps)


def section(codec: bytes, dtype: bytes, payload: bytes) -> bytes:
    return SECTION.pack(codec, dtype, len(payload)) + payload


def compress_planes(shuffled: bytes, count: int) -> bytes:
    """zlib each byte plane that compresses; planes of noise (low mantissa bytes) stay raw and
    planes of zeros are only marked.

    Planes are judged from the most significant down, the first ones on a sample: once a plane is
    noise, every plane below it (lower mantissa bytes, lower bits of a difference) is taken for
    noise too without asking zlib, so noise costs almost nothing to store.
    """
    if not count:
        return b""
    width = len(shuffled) // count
    zeros = bytes(count)
    out = [b""] * width
    noise = False
    for index in reversed(range(width)):
        plane = shuffled[index * count : (index + 1) * count]
        if plane == zeros:  # high bytes of small integers: no need to ask zlib
            out[index] = PLANE.pack(2, 0)
            continue
        if not noise:
            sample = plane[:PLANE_SAMPLE]
            noise = len(plane) > PLANE_SAMPLE and len(
                zlib.compress(sample, ZLIB_LEVEL)
            ) > 0.9 * len(sample)
        if not noise:
            packed = zlib.compress(plane, ZLIB_LEVEL)
            if len(packed) < len(plane):
                out[index] = PLANE.pack(1, len(packed)) + packed
                continue
            noise = True
        out[index] = PLANE.pack(0, len(plane)) + plane
    return b"".join(out)


def decompress_planes(payload: memoryview, width: int, count: int) -> bytes:
    if not count:
        return b""
    planes = []
    offset = 0
    for _ in range(width):
        compressed, length = PLANE.unpack_from(payload, offset)
        offset += PLANE.size
        data = payload[offset : offset + length]
        if compressed == 2:
            planes.append(bytes(count))
        else:
            planes.append(zlib.decompress(data) if compressed else bytes(data))
        offset += length
    return b"".join(planes)


def encode_small_chunk(
    steps: Sequence[int], timestamps_us: Sequence[int], values: Sequence[Any]
) -> bytes:
    """The same bytes format as ``chunks.encode_chunk``, built with the standard library only."""
    count = len(steps)
    parts = [HEADER.pack(FORMAT_VERSION, count), _small_steps(steps), _small_delta(timestamps_us)]
    if count and all(type(v) is float for v in values):
        raw = array("d", values)
        if raw.itemsize == 8 and struct.pack("=d", 1.0) == struct.pack("<d", 1.0):
            parts.append(
                section(
                    SHUFFLE_ZLIB, b"d", compress_planes(_shuffle_bytes(raw.tobytes(), 8), count)
                )
            )
            return b"".join(parts)
    text = json.dumps(list(values), separators=(",", ":"), allow_nan=True)
    parts.append(section(JSON_ZLIB, b"j", zlib.compress(text.encode(), ZLIB_LEVEL)))
    return b"".join(parts)


def _small_steps(steps: Sequence[int]) -> bytes:
    if steps:
        stride = steps[1] - steps[0] if len(steps) > 1 else 1
        fits = -(2**63) <= stride < 2**63  # steps at both ends of int64 are 2**64 apart
        if fits and all(b - a == stride for a, b in itertools.pairwise(steps)):
            return section(ARANGE, b"q", struct.pack("<qq", steps[0], stride))
    return _small_delta(steps)


def _small_delta(column: Sequence[int]) -> bytes:
    # Differences wrap around as int64 arithmetic does; the decoder's cumulative sum (int64)
    # wraps them back, so steps at both ends of the range survive.
    deltas = [(b - a + 2**63) % 2**64 - 2**63 for a, b in itertools.pairwise([0, *column])]
    raw = struct.pack(f"<{len(deltas)}q", *deltas)
    return section(DELTA_SHUFFLE_ZLIB, b"q", zlib.compress(_shuffle_bytes(raw, 8), ZLIB_LEVEL))


def _shuffle_bytes(raw: bytes, width: int) -> bytes:
    view = memoryview(raw)
    return b"".join(view[i::width].tobytes() for i in range(width))
