"""Which replica polls which device: rendezvous (highest-random-weight) consistent hashing on the id.

Every device belongs to exactly one of `count` shards; changing the shard count moves only the devices
whose winning shard changed (about 1/count of them), and no coordination between replicas is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from netscope_common.sharding import shard_of

__all__ = ["Shard", "shard_of"]


@dataclass(frozen=True)
class Shard:
    """This replica's shard: index in [0, count)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"need 0 <= shard index < shard count; got {self.index}/{self.count}")

    def owns(self, device_id: str) -> bool:
        """True when this replica polls the device."""
        return self.count == 1 or shard_of(device_id, self.count) == self.index
