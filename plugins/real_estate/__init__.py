"""Real-estate registration (不动产登记) service plugin."""
