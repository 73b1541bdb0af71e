"""Replay's id rewriting whatever the spacing, the run tag's rules, what it does with a body it cannot rewrite, and
the send rate it reports."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import TypeAdapter

from schemas.codec import decode, encode
from schemas.samples import all_samples
from schemas.types import MessageId
from simulators.generator import Generator, entries
from simulators.recording import Entry
from simulators.replay import TAG_MAX, ReplayError, check_tag, new_id, replay, rewrite

ID_FIELDS = {"MessageID", "CausationID", "ReferenceMessageID", "CausedByMessageID"}
_MESSAGE_ID = TypeAdapter(MessageId)


def _pairs(before: Any, after: Any, key: str = "") -> list[tuple[str, Any, Any]]:
    """Every leaf of two decoded messages, side by side (by JSON key)."""
    if isinstance(before, dict):
        assert isinstance(after, dict)
        assert before.keys() == after.keys()
        return [p for k in before for p in _pairs(before[k], after[k], k)]
    if isinstance(before, list):
        assert isinstance(after, list)
        assert len(before) == len(after)
        return [p for b, a in zip(before, after, strict=True) for p in _pairs(b, a, key)]
    return [(key, before, after)]


def _spellings(message: Any) -> dict[str, bytes]:
    compact = encode(message, "json")
    xml = encode(message, "xml", pretty=True)
    ns = re.search(rb'xmlns="([^"]+)"', xml)
    assert ns is not None
    prefixed = re.sub(rb"<(MessageID|CausationID)>", rb'<ns:\1 xmlns:ns="' + ns.group(1) + rb'" >', xml)
    return {
        "json compact": compact,
        "json pretty": encode(message, "json", pretty=True),
        "json.dumps": json.dumps(json.loads(compact)).encode(),  # '"MessageID": "..."'
        "xml": encode(message, "xml"),
        "xml pretty": xml,
        "xml prefixed, spaced": re.sub(rb"</(MessageID|CausationID)>", rb"</ns:\1\n>", prefixed),
    }


@pytest.mark.parametrize("spelling", list(_spellings(all_samples()[next(iter(all_samples()))])))
def test_every_id_is_rewritten_whatever_the_spacing(spelling: str) -> None:
    for message in all_samples().values():
        head = message.head.model_copy(update={"causation_id": "EARLIER-1"})
        original = _spellings(message.model_copy(update={"head": head}))[spelling]
        body, mid = rewrite(original, "r1")
        before, after = decode(original, rules=False), decode(body, rules=False)
        assert mid == after.head.message_id == new_id(before.head.message_id, "r1"), spelling
        ids = 0
        for key, old, new in _pairs(json.loads(encode(before, "json")), json.loads(encode(after, "json"))):
            if key in ID_FIELDS and old is not None:
                assert new == new_id(old, "r1"), (spelling, key)
                ids += 1
            else:
                assert new == old, (spelling, key)
        assert ids >= 2  # at least the MessageID and the CausationID


def test_a_message_whose_id_cannot_be_rewritten_stops_the_replay() -> None:
    """A body the gateway reads a MessageID from, written in a way the rewriting does not know (here a CDATA
    section): sending it unchanged would be swallowed as a duplicate, so the replay stops, naming the record."""
    xml = encode(all_samples()[next(iter(all_samples()))], "xml")
    hidden = re.sub(rb"<MessageID>([^<]+)</MessageID>", rb"<MessageID><![CDATA[\1]]></MessageID>", xml)
    assert decode(hidden, rules=False).head.message_id  # the gateway would read it
    good = Entry(1.0, "sw.ingress", None, [], xml)
    sent: list[bytes] = []
    with pytest.raises(ReplayError, match="record 2: the replay cannot rewrite the MessageID"):
        replay([good, Entry(2.0, "sw.ingress", None, [], hidden)], lambda e, b, m, i: sent.append(b), None, "r1",
               lambda t: True)  # fmt: skip
    assert len(sent) == 1


def test_a_body_that_is_no_message_is_sent_unchanged_and_counted() -> None:
    got: list[tuple[bytes, str | None]] = []
    stats = replay([Entry(1.0, "sw.ingress", None, [], b"not a message")], lambda e, b, m, i: got.append((b, m)),
                   None, "r1", lambda t: True)  # fmt: skip
    assert got == [(b"not a message", None)]
    assert (stats.sent, stats.unrewritten) == (1, 1)


@pytest.mark.parametrize("tag", ["a b", "<x>", 'q"', "a.b", "", "x" * (TAG_MAX + 1), "é"])
def test_a_tag_that_would_spoil_the_ids_is_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="must be 1 to 23 letters"):
        check_tag(tag)
    with pytest.raises(ValueError, match="must be 1 to 23 letters"):
        replay([], lambda *a: None, None, tag, lambda t: True)


def _replayed_id(body: bytes, tag: str) -> str | None:
    got: list[str | None] = []
    replay([Entry(1, "sw.ingress", None, [], body)], lambda e, b, m, i: got.append(m), None, tag, lambda t: True)
    return got[0]


def test_tags_sharing_a_prefix_give_distinct_valid_ids_or_are_refused() -> None:
    """A long original id takes a digest and the tag; a tag too long for that is refused, not cut (two runs whose
    tags share a prefix got the same ids)."""
    for original in ("M1", "X" * 40, "Y" * 63, "Z" * 64):
        body = b'{"Head":{"MessageID":"%s"}}' % original.encode()
        for length in (TAG_MAX + 1, 40):
            for last in "12":
                with pytest.raises(ValueError, match="must be 1 to 23"):
                    _replayed_id(body, "T" * (length - 1) + last)
        ids = {_replayed_id(body, "T" * (TAG_MAX - 1) + last) for last in "12"}
        assert len(ids) == 2, original
        for i in ids:
            assert _MESSAGE_ID.validate_python(i) == i  # raises for an id the gateway would refuse


@pytest.mark.parametrize(("rate", "duration"), [(1.0, 2.0), (4.0, 1.0), (40.0, 0.5)])
def test_the_reported_rate_is_the_schedule_rate(rate: float, duration: float) -> None:
    """N messages at R a second are N/R seconds of traffic: the replay reports R (it said N/(N-1) times R)."""
    planned = list(entries(Generator(3, "swsim-demo-network"), rate, duration, "sw.ingress"))
    assert len(planned) == int(rate * duration)
    stats = replay(planned, lambda *a: None, 1.0, "r1", lambda t: True)
    assert stats.rate == pytest.approx(rate, rel=0.03)  # it was 5% (N=20) to 100% (N=2) too high
    assert stats.duration_s == pytest.approx(duration, rel=0.03)
