"""Citizen card (市民卡): virtual card, offline-verifiable QR, wallet and ledger, terminals."""
