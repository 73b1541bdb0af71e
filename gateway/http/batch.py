"""A batch request split into its messages, each kept as the exact bytes the caller sent.

An object item is handed to the pipeline as it was written, not parsed and serialized again: the pipeline's decoder
then sees what the caller sent (and refuses duplicate keys, over-long numbers and lone surrogates in it, item by
item, exactly as ``POST /v1/messages`` does). Splitting only finds where each item ends; it converts no number.
"""

from __future__ import annotations

import json
import re
from typing import Any

_OBJECT = object()
"""What the splitter makes of an object (its members are not needed, only where it ends)."""
_OTHER = object()
"""What the splitter makes of a number or a constant (NaN, Infinity): never converted, so never an error here."""


def _object(pairs: list[tuple[str, Any]]) -> object:
    return _OBJECT


def _other(text: str) -> object:
    return _OTHER


_SPLITTER = json.JSONDecoder(object_pairs_hook=_object, parse_int=_other, parse_float=_other, parse_constant=_other)
_BLANK = re.compile(r"[ \t\n\r]*")
_SIGNIFICANT = re.compile(r'\\.|["\[\]{}]', re.DOTALL)
"""What decides where a value ends: an escape (two characters, so that an escaped quote is passed over), a quote,
a bracket."""
_CLOSERS = {"{": "}", "[": "]"}
DEEP_SCAN_LIMIT = 200_000
"""How many quotes, escapes and brackets :func:`_deep_end` reads at most (about 70 ms here)."""


class BatchInvalid(ValueError):
    """The request is not a JSON array of messages (JSON objects, or XML documents as strings)."""


def _skip(text: str, pos: int) -> int:
    """The position of the first non-blank character at or after ``pos``."""
    found = _BLANK.match(text, pos)
    return found.end() if found else pos


def _item(index: int, value: object, raw: str) -> bytes:
    """The message one item carries: an object's exact text, or a string's content (an XML document)."""
    if value is _OBJECT:
        return raw.encode()  # decoded from UTF-8 above, so it encodes back to the very bytes sent
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace")  # a lone surrogate escape becomes "?": refused as XML
    raise BatchInvalid(f"item {index} is neither a JSON message object nor an XML string")


def _deep_end(text: str, pos: int) -> int:
    """Where an object too deeply nested for the splitter ends: its brackets matched, strings skipped. Only where
    it ends is needed: the pipeline refuses the item itself (JSON_TOO_DEEP), as on a single submit. The scan is
    bounded (:data:`DEEP_SCAN_LIMIT`), so a body that is one huge nest costs milliseconds, not seconds."""
    closers: list[str] = []
    in_string = False
    for n, found in enumerate(_SIGNIFICANT.finditer(text, pos)):
        if n == DEEP_SCAN_LIMIT:
            raise BatchInvalid(f"the item at character {pos} is nested too deeply and too long to find its end")
        c = found.group()
        if in_string:
            in_string = c != '"'  # an escape is two characters, never a lone quote
        elif c == '"':
            in_string = True
        elif c in _CLOSERS:
            closers.append(_CLOSERS[c])
        elif c in ("]", "}"):  # (an escape outside a string is left to the decoder, which refuses it)
            expected = closers.pop()
            if c != expected:
                at = found.start()
                raise BatchInvalid(f"the batch is not valid JSON ('{c}' at character {at} where '{expected}' closes "
                                   "what is open)")  # fmt: skip
            if not closers:
                return found.end()
    raise BatchInvalid(f"the batch is not valid JSON (the item at character {pos} is never closed)")


def _next_item(text: str, pos: int, index: int) -> tuple[bytes, int]:
    """The item starting at ``pos`` and the position just after it."""
    try:
        value, end = _SPLITTER.raw_decode(text, pos)
    except json.JSONDecodeError as e:
        raise BatchInvalid(f"the batch is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except (ValueError, RecursionError):
        if not text.startswith("{", pos):
            raise BatchInvalid(f"item {index} is neither a JSON message object nor an XML string") from None
        value, end = _OBJECT, _deep_end(text, pos)
    return _item(index, value, text[pos:end]), end


def _closed(text: str, pos: int, items: list[bytes]) -> list[bytes]:
    """``items``, once nothing but blanks follows the closing ``]`` at ``pos``."""
    if _skip(text, pos + 1) != len(text):
        raise BatchInvalid(f"text after the batch's closing ']' (at character {pos + 1})")
    return items


def split_batch(raw: bytes) -> list[bytes]:
    """The messages of a batch: a JSON array (UTF-8) of message objects and XML documents as strings."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise BatchInvalid(f"the batch is not valid UTF-8 (at byte {e.start}): send a JSON array in UTF-8") from None
    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        raise BatchInvalid("a batch is a JSON array of messages")
    items: list[bytes] = []
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return _closed(text, pos, items)
    while True:
        item, pos = _next_item(text, pos, len(items))
        items.append(item)
        pos = _skip(text, pos)
        if text.startswith("]", pos):
            return _closed(text, pos, items)
        if not text.startswith(",", pos):
            raise BatchInvalid(f"expected ',' or ']' after item {len(items) - 1} (at character {pos})")
        pos = _skip(text, pos + 1)
