"""Message centre: in-app messages, WeChat subscribe messages and SMS by background tasks."""
