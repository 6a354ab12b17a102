"""ntopng knowledge shared by several netscope services: a library, not a service.

`ndpi` (nDPI protocols and categories), `applications` (a flow's application and category), `alert_types` (alert
types, severities, statuses), `schema` (ntopng's ClickHouse tables and views), `rest` (the ntopng REST API v2
client) and `settings` (how `NTOPNG_*` locate ntopng).
"""
