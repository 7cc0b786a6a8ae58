"""Backend-for-frontend for the WeChat mini-program and the mobile app: screen-shaped endpoints."""
