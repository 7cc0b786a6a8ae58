"""Courier simulators served over real HTTP under ``/sandbox/couriers/{ems,sf}``."""
