"""Pieces several tool domains use; no domain package imports another."""
