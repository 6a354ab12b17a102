"""The Elasticsearch (and OpenSearch) backend of the flows service: ECS NetFlow documents in `logs-netflow-*`."""
