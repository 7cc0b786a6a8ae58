"""E-certificates (电子证照): types, identifiers (GB/T 36904), wallet, show-QR, verification."""
