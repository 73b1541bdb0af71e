"""A manifest is accepted or refused as a whole: a filing refused for one of its bills records none of them."""

from __future__ import annotations

from pathlib import Path

import customs_cq
from schemas import codes as c
from schemas.codec import decode, encode
from schemas.message_types import MessageType
from schemas.parts import DocumentRef
from swsim.demo.scenarios import manifest
from swsim.node.runtime import Node
from tests.node.helpers import CARRIER, make_node


def _filing(node: Node, message_id: str, bills: list[str]) -> bytes:
    """An ocean manifest (MT2301) from the carrier to Chongqing customs, one consignment per bill."""
    m = manifest(node.ctx(), MessageType.MT2301, "8000", bills[0], c.Locode.PLMAA)
    x = m.body.consignment[0]
    cons = [x.model_copy(update={"transport_contract_document": DocumentRef(id=b)}) for b in bills]
    head = m.head.model_copy(update={"sender_id": CARRIER, "message_id": message_id, "receiver_id": "8000"})
    body = m.body.model_copy(update={"consignment": cons})
    raw = encode(type(m)(head=head, declaration=body), "json")  # type: ignore[call-arg]
    decode(raw)  # a valid filing
    return raw


def test_a_refused_multi_bill_manifest_records_none_of_its_bills(tmp_path: Path) -> None:
    node = make_node(tmp_path, "8000", customs_cq.handler())
    inbox = node.topics.inbox("8000")
    for mid, bills in (("C-1", ["SWB2"]), ("C-2", ["SWB1", "SWB2"]), ("C-3", ["SWB1"])):
        node.transport.send(inbox, _filing(node, mid, bills))
    node.step(0)
    answers = {(r := decode(e.body).body).reference_message_id: r.status_code for e in node.store.outbox()}
    assert answers == {
        "C-1": c.ResponseStatus.ACCEPTED,
        "C-2": c.ResponseStatus.REJECTED,  # SWB2 is on C-1 already: the whole filing is refused ...
        "C-3": c.ResponseStatus.ACCEPTED,  # ... so SWB1 is still free to file
    }
    assert {d["bill"]: d["message"] for d in node.store.all("manifest")} == {"SWB1": "C-3", "SWB2": "C-1"}
    node.store.close()
