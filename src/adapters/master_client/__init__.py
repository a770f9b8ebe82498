"""Delivery to the master: HTTP client with retries, and the on-disk spool."""
