"""netscope alerts service: ntopng alert tables, exclusions and policies."""
