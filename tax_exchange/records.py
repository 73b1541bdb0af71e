"""Tax records of the dual channel: their kinds, content digests, and privacy rules for real-name data.

A record is one TX101-TX104 message body. Its identity is (RecordID, RecordVersion); its content digest is the
SHA-256 of the body's canonical JSON, so both channels can be compared whatever the envelope or encoding.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime
from typing import Any

from stdnum.cn import ric

from schemas.codes import AuthChannel, IdDocumentType, RealNameRole
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.tax import RealNameBody, TaxRecordHeader

RECORD_TYPES = {
    MessageType.TX101: "registration",
    MessageType.TX102: "real-name",
    MessageType.TX103: "abnormal",
    MessageType.TX104: "high-risk",
}
"""The four dual-channel categories [design: DOMAIN.md §5]."""

CUSTOMS_SHARED = frozenset({MessageType.TX103, MessageType.TX104})
"""Lists also sent to the customs risk engines (abnormal enterprise 非正常户, high-risk taxpayer)."""


class RecordError(ValueError):
    """A record a bureau tried to publish is not acceptable (code + what to fix)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def is_record(message: Message) -> bool:
    return message.head.message_type in RECORD_TYPES


def identity(message: Message) -> tuple[str, int]:
    r = message.body.record
    return str(r.record_id), int(r.record_version)


def digest(message: Message) -> str:
    """SHA-256 of the record body's canonical JSON (sorted keys, no spaces)."""
    body: dict[str, Any] = message.body.model_dump(mode="json", by_alias=True, exclude_none=True)
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def hash_identity_number(pepper: bytes, number: str, id_type: IdDocumentType = IdDocumentType.RESIDENT_ID) -> str:
    """The keyed digest (HMAC-SHA256) of a resident identity number, after checking it.

    An 18-digit ID number has too little entropy for a plain hash: anyone could hash every birth date and serial
    and reverse it. Keying the digest with a secret both bureaus hold keeps it matchable between them but not
    reversible by a third party. The raw number is never stored or sent.
    """
    if id_type != IdDocumentType.RESIDENT_ID:
        valid = re.sub(r"\s", "", number).upper()
        if not re.fullmatch(r"[A-Z0-9]{5,20}", valid):
            raise RecordError("ID_NUMBER_INVALID", "an identity document number is 5 to 20 letters or digits")
    else:
        try:
            valid = ric.validate(number)
        except Exception as exc:  # stdnum raises its own ValidationError subclasses
            raise RecordError("ID_NUMBER_INVALID", f"not a valid resident identity number: {exc}") from None
    return hmac.new(pepper, valid.encode(), hashlib.sha256).hexdigest()


_PHONE = re.compile(r"1[3-9][0-9]{9}")


def real_name_body(
    pepper: bytes,
    record: TaxRecordHeader,
    role: RealNameRole,
    id_type: IdDocumentType,
    id_number: str,
    phone: str,
    at: datetime,
    channel: AuthChannel,
) -> RealNameBody:
    """A real-name authentication record from raw inputs: the ID number keyed-hashed, the phone masked."""
    return RealNameBody(
        record=record,
        role_code=role,
        id_document_type_code=id_type,
        id_document_hash=hash_identity_number(pepper, id_number, id_type),
        masked_phone=mask_phone(phone),
        auth_date_time=at,
        channel_code=channel,
    )


def mask_phone(phone: str) -> str:
    """138****1234: keep the first 3 and last 4 digits of a mainland mobile number."""
    digits = re.sub(r"[\s-]", "", phone)
    if not _PHONE.fullmatch(digits):
        raise RecordError("PHONE_INVALID", "give an 11-digit mainland mobile number starting with 13-19")
    return f"{digits[:3]}****{digits[-4:]}"
