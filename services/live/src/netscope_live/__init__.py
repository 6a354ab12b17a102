"""netscope live service: live hosts and flows from ntopng REST or the built-in collector."""
