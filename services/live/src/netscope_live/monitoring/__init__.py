"""Active monitoring: TCP connect and HTTP(S) reachability and latency probes run by the live service."""
