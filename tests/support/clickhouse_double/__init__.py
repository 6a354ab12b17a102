"""A test double of ClickHouse's HTTP interface in front of chdb's real engine (see server.py for its rules)."""
