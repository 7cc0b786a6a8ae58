"""Accounts, real-name identity, enterprises, proxies, staff, operators, regions (一次认证、全网通行)."""
