"""Wording several tool domains share."""

NEEDS_TWO_POLLS = "rates need two polls: run poll_snmp_device_now again or wait one poll interval"
