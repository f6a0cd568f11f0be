"""Content hashes: blake2b over canonical JSON, tagged with the algorithm.

Every hash the product stores (company content, segment version, prompt template, grade input)
comes from here, so two processes that see the same content always agree on its identity.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

HASH_PREFIX = "b2:"


def canonical_json(value: Any) -> str:
    """Serialise ``value`` deterministically: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(value: Any) -> str:
    """Return ``b2:<hex>`` over the canonical JSON of ``value`` (16-byte digest: short and collision-safe here)."""
    digest = hashlib.blake2b(canonical_json(value).encode("utf-8"), digest_size=16).hexdigest()
    return HASH_PREFIX + digest
