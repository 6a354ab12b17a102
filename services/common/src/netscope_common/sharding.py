"""Which shard owns a key: rendezvous (highest-random-weight) consistent hashing.

Every key belongs to exactly one of `count` shards; changing the shard count moves only the keys whose winning
shard changed (about 1/count of them), and no coordination is needed: the snmp replicas and the aggregator that
routes to them compute the same answer.
"""

from __future__ import annotations

import hashlib


def _weight(key: str, shard: int) -> int:
    digest = hashlib.blake2b(f"{shard}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def shard_of(key: str, count: int) -> int:
    """The shard (0..count-1) that owns this key."""
    if count < 1:
        raise ValueError("shard count must be at least 1")
    return max(range(count), key=lambda shard: _weight(key, shard))
