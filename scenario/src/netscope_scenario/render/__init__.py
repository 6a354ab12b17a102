"""Renderings of the world for each backend (ntopng ClickHouse, ECS, NetFlow, snmpsim, ground truth)."""
