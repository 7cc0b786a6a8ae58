"""Written for a contract the platform no longer speaks."""

ZHUSHIDA_CONTRACT = "0.9"
