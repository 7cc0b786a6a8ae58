"""Helpers shared by the test packages (servers in threads, service probes)."""
