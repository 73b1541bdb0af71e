"""XML <-> model <-> JSON round trips are lossless for every message type (property-tested)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.codec import decode, encode
from schemas.envelope import Message
from schemas.registry import SPECS

from .strategies import messages

CODES = list(SPECS)


@pytest.mark.parametrize("code", CODES, ids=[c.value for c in CODES])
def test_roundtrip_every_type(code: object) -> None:
    spec = SPECS[code]  # type: ignore[index]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(messages(spec.code, spec.model))
    def check(message: Message) -> None:
        xml = encode(message, "xml")
        js = encode(message, "json")
        from_xml = decode(xml, rules=False)
        from_json = decode(js, rules=False)
        assert from_xml == message
        assert from_json == message
        # and across: XML -> model -> JSON -> model
        assert decode(encode(from_xml, "json"), rules=False) == message
        assert decode(encode(from_json, "xml", pretty=True), rules=False) == message

    check()


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(CODES).flatmap(lambda c: messages(c, SPECS[c].model)))
def test_pretty_and_compact_xml_decode_the_same(message: Message) -> None:
    assert decode(encode(message, "xml", pretty=True), rules=False) == decode(encode(message, "xml"), rules=False)
