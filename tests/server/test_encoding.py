"""JSON responses: UTF-8 as is, NaN kept, and strings Python allows but UTF-8 does not escaped."""

from __future__ import annotations

import json
import math

from runhistory.server.encoding import json_response


def test_responses_are_utf8_with_nan_and_escape_lone_surrogates() -> None:
    body = json_response({"name": "größe", "loss": math.nan}).body
    assert "größe".encode() in body and b"NaN" in body
    odd = json_response({"file": "bad\udcff.txt"}).body  # a surrogate-escaped file name byte
    assert b"\\udcff" in odd and json.loads(odd)["file"] == "bad\udcff.txt"


def test_fast_responses_fall_back_for_what_orjson_refuses() -> None:
    from runhistory.server.encoding import FastJSONResponse

    assert json.loads(FastJSONResponse({"rows": [("a", 1.5, None)]}).body) == {
        "rows": [["a", 1.5, None]]
    }
    odd = FastJSONResponse({"file": "bad\udcff.txt", "big": 2**70}).body
    assert json.loads(odd) == {"file": "bad\udcff.txt", "big": 2**70}
