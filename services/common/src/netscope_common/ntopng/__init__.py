"""ntopng vocabulary shared by the services and the scenario: ClickHouse schema, nDPI and alert ids."""
