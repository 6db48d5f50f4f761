"""Personal data at rest: consignee ID numbers and phones are sealed (Fernet: AES-128-CBC
with an HMAC) and stored beside a masked form for screens; only a document that must
carry them (the customs inventory list, the courier label) unseals them.

The key comes from settings (``WMS_DATA_KEY``, or a per-installation file in
``instance/``).  Fingerprints of requests that carry personal data are keyed hashes,
so an ID number cannot be recovered by hashing the few billion plausible ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from config.settings import load_settings
from labels.masking import mask_id, mask_phone


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


@cache
def _key() -> str:
    return load_settings().data_key


def seal(text: str) -> bytes:
    return _fernet(_key()).encrypt(text.encode())


def unseal(token: bytes) -> str:
    try:
        return _fernet(_key()).decrypt(bytes(token)).decode()
    except InvalidToken as exc:  # a different key: say so rather than show garbage
        raise RuntimeError("personal data was sealed with another data key") from exc


def fingerprint(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_key().encode(), text.encode(), hashlib.sha256).hexdigest()


__all__ = ["fingerprint", "mask_id", "mask_phone", "seal", "unseal"]
