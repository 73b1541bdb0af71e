"""Ed25519 signatures over raw bytes (non-repudiation); the gateway holds public keys only.

The signed string binds the channel (HTTP method and path, or ``KAFKA ingress``), the sender, a ``created``
timestamp (checked against a window) and a single-use nonce to the SHA-256 of the exact body bytes, so a
signature cannot be moved to another body, another endpoint or another time, nor replayed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

VERSION = "sw-sig-v1"
KAFKA_METHOD = "KAFKA"
KAFKA_PATH = "ingress"


well_formed_created = re.compile("0|-?[1-9][0-9]{0,3999}").fullmatch
"""``created`` as it is signed, str(int): int() would also read " 12", "+12" and "1_2" as 12."""
well_formed_nonce = re.compile("[!-~]{1,128}").fullmatch
"""A nonce: 1 to 128 visible ASCII characters (the HTTP side remembers each until it expires)."""


def canonical(method: str, path: str, sender: str, created: int, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((VERSION, method.upper(), path, sender, str(created), nonce, digest)).encode()


def sign(
    key: Ed25519PrivateKey, method: str, path: str, sender: str, body: bytes, created: int | None = None
) -> dict[str, str]:
    """Signature fields for one request/record: sender, created, nonce, signature (base64)."""
    created = int(time.time()) if created is None else created
    nonce = secrets.token_hex(16)
    sig = _signing_key(key).sign(canonical(method, path, sender, created, nonce, body)).signature
    return {
        "sender": sender,
        "created": str(created),
        "nonce": nonce,
        "signature": base64.b64encode(sig).decode(),
    }


def verify(
    public: Ed25519PublicKey,
    signature_b64: str,
    method: str,
    path: str,
    sender: str,
    created: int,
    nonce: str,
    body: bytes,
) -> bool:
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except (ValueError, TypeError):
        return False
    if len(sig) != 64:
        return False
    try:
        _verify_key(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).verify(
            canonical(method, path, sender, created, nonce, body), sig
        )
    except BadSignatureError:
        return False
    return True


@lru_cache(maxsize=4096)
def _verify_key(raw: bytes) -> VerifyKey:
    # Verification uses libsodium (PyNaCl): 2.5x faster than OpenSSL's Ed25519 here (86 vs 214 us measured),
    # and it sits on the gateway's per-message hot path. Keys and signing stay with `cryptography`.
    return VerifyKey(raw)


@lru_cache(maxsize=1024)
def _signing_key(key: Ed25519PrivateKey) -> SigningKey:
    # libsodium signs in 58 us against OpenSSL's 90 us here (measured); replay and load sign every message.
    # The cache holds the key object itself, so its identity-based hash cannot be reused by another key.
    return SigningKey(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def public_key_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_public_key(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))
