"""netscope flows service: historical flows in ClickHouse/chdb and Elasticsearch."""
