"""Social security (人社/社保) service plugin."""
