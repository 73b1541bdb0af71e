"""The JSON fast path (jiter) gives the very outcome of the standard-library parse it stands in for: the same
objects, or the same refusal with the same code and location."""

from __future__ import annotations

import json
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.errors import MessageError
from schemas.jsoncodec import _parse, _parse_stdlib

TOO_LONG = "1" * (sys.get_int_max_str_digits() + 5)


def _outcome(parse: Any, data: bytes) -> str:
    try:
        return "ok " + repr(parse(data))
    except MessageError as e:
        return "refused " + repr([(i.code, i.location, i.message) for i in e.issues])


def _fast(data: bytes) -> Any:
    return _parse(data, data.decode("utf-8"))


def _slow(data: bytes) -> Any:
    return _parse_stdlib(data.decode("utf-8"))


TRICKY = [
    b'{"a": 1, "a": 2}',
    b'{"x": [{"b": 1}, {"b": 1, "b": 2}]}',
    b'{"a": NaN, "b": Infinity, "c": -Infinity}',
    b'{"a": 1e999, "b": -0, "c": 0.1, "d": 12345678901234567890123456789}',
    b'{"a": ' + TOO_LONG.encode() + b"}",
    b"[" * 300 + b"]" * 300,  # deeper than jiter goes, not than the standard library
    b'{"a": "\\ud800"}',  # a lone surrogate: jiter refuses it, the standard library does not
    b'\xef\xbb\xbf{"a": 1}',
    b'{"a": "x\ty"}',
    b'{"a": 01}',
    b'{"a": 1,}',
    b"{'a': 1}",
    b'{"a": 1} trailing',
    b'  {"a": {"b": [true, false, null, "\\u00e9\\/"]}}  ',
]


def test_tricky_documents_parse_the_same() -> None:
    for data in TRICKY:
        assert _outcome(_fast, data) == _outcome(_slow, data), data


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        # a list of pairs, not a dict, so that some objects repeat a key
        st.lists(st.tuples(st.sampled_from(["a", "b", "Head", "é"]), inner), max_size=4),
    ),
    max_leaves=20,
)


def _dump(v: Any) -> str:
    if isinstance(v, list) and v and all(isinstance(p, tuple) for p in v):
        return "{" + ", ".join(json.dumps(k) + ": " + _dump(x) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_dump(x) for x in v) + "]"
    return json.dumps(v)


@settings(max_examples=300, deadline=None)
@given(_values, st.integers(min_value=0, max_value=40), st.sampled_from(["", ",", "}", "x", " ", "]"]))
def test_generated_documents_parse_the_same(value: Any, cut: int, tail: str) -> None:
    """Whole documents, documents with repeated keys, and cut or extended ones (malformed)."""
    text = _dump(value)
    for data in (text.encode(), (text[: len(text) - cut] + tail).encode()):
        assert _outcome(_fast, data) == _outcome(_slow, data), data
