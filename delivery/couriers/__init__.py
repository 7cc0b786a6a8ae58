"""Courier gateways: one small interface (:mod:`delivery.couriers.base`), one adapter per courier."""
