"""Record identity, digests and the privacy rules for real-name data (no broker needed)."""

from __future__ import annotations

import pytest

from schemas.codec import decode, encode
from schemas.message_types import MessageType
from schemas.samples import all_samples
from tax_exchange.records import RecordError, digest, hash_identity_number, identity, mask_phone


def _valid_id() -> str:
    """A synthetic resident ID number: a Chengdu district code, born 1990-01-01, its check character."""
    from stdnum.cn import ric

    body = "51010419900101123"
    return body + ric.calc_check_digit(body + "0")  # stdnum computes over the number with a check slot


def test_the_digest_is_the_same_whichever_encoding_carried_the_record() -> None:
    m = all_samples()[MessageType.TX101]
    via_xml, via_json = decode(encode(m, "xml")), decode(encode(m, "json"))
    assert digest(via_xml) == digest(via_json) == digest(m)
    assert identity(via_xml) == (m.body.record.record_id, 1)


def test_the_digest_changes_with_any_content_change() -> None:
    m = all_samples()[MessageType.TX101]
    altered = m.model_copy(update={"declaration": m.body.model_copy(update={"taxpayer_name": "Another Co."})})
    assert digest(altered) != digest(m)


def test_identity_numbers_are_checked_and_only_a_keyed_digest_is_kept() -> None:
    number = _valid_id()
    h1 = hash_identity_number(b"pepper-1", number)
    assert len(h1) == 64
    assert number not in h1
    assert h1 == hash_identity_number(b"pepper-1", number)  # matchable between the bureaus that share the key
    assert h1 != hash_identity_number(b"pepper-2", number)  # but not a plain, enumerable hash
    wrong_check = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(RecordError) as e:
        hash_identity_number(b"pepper-1", wrong_check)
    assert e.value.code == "ID_NUMBER_INVALID"


@pytest.mark.parametrize(("raw", "masked"), [("13812341234", "138****1234"), ("139-0000-5678", "139****5678")])
def test_phones_are_masked(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "phone", "+8613812341234"])
def test_bad_phones_are_refused_with_a_code(raw: str) -> None:
    with pytest.raises(RecordError) as e:
        mask_phone(raw)
    assert e.value.code == "PHONE_INVALID"
