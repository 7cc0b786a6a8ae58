"""Water, power and gas bills (水电气缴费) — a plugin shipped as its own distribution."""
