"""Consistent hashing: every device in exactly one shard; growing the fleet moves few devices."""

from __future__ import annotations

import pytest

from netscope_snmp.sharding import Shard, shard_of


def test_each_device_in_exactly_one_shard() -> None:
    ids = [f"dev-{i}" for i in range(1000)]
    for count in (1, 2, 3, 7):
        owners = [[s for s in range(count) if Shard(s, count).owns(d)] for d in ids]
        assert all(len(o) == 1 for o in owners)
        sizes = [sum(1 for o in owners if o == [s]) for s in range(count)]
        assert min(sizes) > 1000 / count * 0.8  # balanced


def test_adding_a_replica_moves_only_its_share() -> None:
    ids = [f"dev-{i}" for i in range(2000)]
    moved = sum(1 for d in ids if shard_of(d, 3) != shard_of(d, 4))
    assert moved < 2000 * 0.35  # about 1/4 move to the new shard, none between old ones
    assert all(shard_of(d, 4) == 3 for d in ids if shard_of(d, 3) != shard_of(d, 4))


def test_bad_shard_settings() -> None:
    with pytest.raises(ValueError, match="need 0 <= shard index < shard count; got 2/2"):
        Shard(2, 2)
