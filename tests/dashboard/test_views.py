"""What the dashboard's API gives the page: the dead-letter panel, a long consignment's timeline, refusals."""

from __future__ import annotations

import httpx
import pytest

from gateway.dashboard import views
from gateway.service import Gateway
from schemas.codes import ClearanceDecision, ReceiptCode, RefundState, ResponseStatus
from schemas.message_types import MessageType
from schemas.response import ResponseType
from schemas.samples import all_samples

from .helpers import OPERATOR, dead_letter, record, sample


def test_dead_letter_panel_shows_the_newest_and_how_many(gw: Gateway) -> None:
    """It listed the oldest 20, so a new dead letter never showed once there were 20."""
    ids = [dead_letter(gw, f"s{i}") for i in range(25)]
    tick = views.tick(gw)
    assert [d["id"] for d in tick["deadletters"]] == ids[::-1][:20]  # newest first
    assert tick["counts"]["deadletters"] == 25  # the page shows "newest 20 of 25"
    newest = dead_letter(gw, "late")
    assert views.tick(gw)["deadletters"][0]["id"] == newest
    assert [d.id for d in gw.ledger.list_deadletters(None, 3, 0)] == ids[:3]  # /v1/deadletters: unchanged


def test_a_long_timeline_says_how_many_and_gives_the_newest_when_asked(
    gw: Gateway, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past SEARCH_LIMIT messages the timeline froze on the first ones, titled as if that were all of them."""
    monkeypatch.setattr(views, "SEARCH_LIMIT", 3)
    seqs = [record(gw.ledger, corr="BL-LONG") for _ in range(5)]
    first = views.search(gw, "BL-LONG")
    assert ([m["seq"] for m in first["messages"]], first["total"], first["offset"], first["more"]) == (
        seqs[:3], 5, 0, True)  # fmt: skip
    r = httpx.get(f"{url}/dashboard/api/search", params={"q": "BL-LONG", "latest": "true"}, headers=OPERATOR)
    latest = r.json()
    assert ([m["seq"] for m in latest["messages"]], latest["total"], latest["offset"], latest["more"]) == (
        seqs[2:], 5, 2, False)  # fmt: skip
    short = views.search(gw, "BL-NONE")
    assert (short["messages"], short["total"]) == ([], 0)


def test_search_finds_a_reference_or_message_id_typed_in_the_other_case(gw: Gateway) -> None:
    """A presenter typing 'bl-case' found nothing: the lookup was exact."""
    seqs = [record(gw.ledger, corr="BL-CASE") for _ in range(2)]
    lone = record(gw.ledger, corr=None, mid="msg-lower-1")
    for typed in ("BL-CASE", "bl-case", " Bl-Case "):
        found = views.search(gw, typed)
        assert (found["kind"], found["query"], [m["seq"] for m in found["messages"]]) == ("consignment", "BL-CASE",
                                                                                          seqs)  # fmt: skip
    by_id = views.search(gw, "MSG-LOWER-1")
    assert (by_id["kind"], [m["seq"] for m in by_id["messages"]]) == ("message", [lone])
    assert views.search(gw, "bl-cas")["messages"] == []  # still whole references, not fragments


_STEPS = all_samples()[MessageType.TX201].body.transition
REFUND_REFUSED = sample(
    MessageType.TX201,
    state_code=RefundState.REFUSED,
    reason="class 4",
    refund_amount=None,
    transition=[_STEPS[0], _STEPS[-1].model_copy(update={"to_state_code": RefundState.REFUSED})],
)
ALREADY_FILED = ResponseType(code=ReceiptCode.REJECTED_EXISTS, text="Bill already filed")
REJECTED_EXISTS = sample(MessageType.MT9999, status_code=ResponseStatus.REJECTED, response_type=ALREADY_FILED)


@pytest.mark.parametrize(
    ("message", "rejected"),
    [
        (REJECTED_EXISTS, True),  # "19001 Bill already filed": no "Rejected", no "19010"
        (sample(MessageType.CD101, decision_code=ClearanceDecision.REFUSED), True),
        (REFUND_REFUSED, True),
        (sample(MessageType.DC101, declaration_number="790020260019010345"), False),  # "19010" in its number
        (sample(MessageType.MT9999), False),
        (sample(MessageType.CD101), False),
    ],
)
def test_a_refusal_is_told_by_its_status_not_its_text(gw: Gateway, message: object, rejected: bool) -> None:
    view = views.message_view(gw.ledger.message_by_seq(record(gw.ledger, message)))  # type: ignore[arg-type]
    assert view["rejected"] is rejected, view["summary"]
