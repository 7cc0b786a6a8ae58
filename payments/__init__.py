"""Unified payment platform (统一公共支付平台): orders, channels, notifications, refunds, reconciliation."""
