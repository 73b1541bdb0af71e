"""Gateway error codes (the message-level codes live in :data:`schemas.errors.CODES`)."""

from __future__ import annotations

GATEWAY_CODES: dict[str, str] = {
    "AUTH_REQUIRED": "No credentials: send X-API-Key, or the X-SW-Sender/-Created/-Nonce/-Signature headers.",
    "AUTH_INVALID": "The API key is unknown or does not belong to the claimed sender.",
    "UNKNOWN_SENDER": "The sender is not a registered party.",
    "SIGNATURE_MISSING": "A Kafka record or request lacks the signature headers.",
    "SIGNATURE_INVALID": "The Ed25519 signature does not verify for this sender, channel and body.",
    "SIGNATURE_EXPIRED": "The signature's created time is outside the allowed window.",
    "NONCE_REPLAYED": "The signature's nonce was used before: a replay.",
    "SENDER_MISMATCH": "Head/SenderID is not the authenticated sender.",
    "UNKNOWN_RECEIVER": "Head/ReceiverID is not a registered party.",
    "NOT_AUTHORIZED": "The sender's role may not send this message type to this receiver.",
    "MESSAGE_ID_CONFLICT": "The sender already used this MessageID for a different message.",
    "NOT_FOUND": "No such resource visible to the caller.",
    "PAYLOAD_TOO_LARGE": "The request body is larger than the limit.",
    "UNSUPPORTED_MEDIA_TYPE": "The Content-Type is not application/xml or application/json, or the body is compressed.",
    "BATCH_TOO_LARGE": "The batch holds more messages than the limit.",
    "BATCH_INVALID": "A batch is a JSON array of messages (JSON objects, or XML documents as strings).",
    "FORBIDDEN": "The caller's role may not use this endpoint.",
    "REQUEST_INVALID": "The request's parameters are invalid.",
    "METHOD_NOT_ALLOWED": "The endpoint does not accept this HTTP method.",
    "BROKER_UNAVAILABLE": "The broker did not acknowledge; retry with the same MessageID (it is de-duplicated).",
    "REDRIVE_IMPOSSIBLE": "The dead letter has no registered sender to re-run it for.",
    "INTERNAL_ERROR": "An unexpected error; the response carries a reference to find it in the gateway log.",
}
