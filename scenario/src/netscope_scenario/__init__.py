"""netscope scenario: one deterministic simulated network rendered for every backend."""
