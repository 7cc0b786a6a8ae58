"""Clients of outside providers, each pointed at the sandbox gateways when the sandbox is on."""
