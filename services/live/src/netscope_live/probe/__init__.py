"""Packet probe: a pcap file or a network interface metered into flows by NFStream (nDPI inside)."""
