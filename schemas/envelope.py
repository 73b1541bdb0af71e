"""The common envelope: ``Head`` (after China Customs' new-manifest header [fact], plus swsim's tracing ids)
and ``Message``, a Head plus one body under a root element."""

from __future__ import annotations

from typing import Any, ClassVar

from schemas.base import Element
from schemas.codes import FunctionCode
from schemas.message_types import MessageType
from schemas.types import CustomsDateTime, DocumentId, MessageId, NodeId, Version


class Head(Element):
    message_id: MessageId
    function_code: FunctionCode
    message_type: MessageType
    sender_id: NodeId
    receiver_id: NodeId
    send_time: CustomsDateTime
    version: Version = "1.0"
    # [design] tracing: the consignment / document this message is about, and the message that caused it
    correlation_id: DocumentId | None = None
    causation_id: MessageId | None = None


class Message(Element):
    """A whole message: ``Head`` plus one body (``Declaration`` or ``Response``) under a root element."""

    ROOT: ClassVar[str] = "Manifest"
    BODY: ClassVar[str] = "declaration"
    head: Head

    @property
    def body(self) -> Any:
        return getattr(self, self.BODY)
