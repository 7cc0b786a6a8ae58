"""Card numbers: issuer prefix + 14 random digits + a Luhn (ISO/IEC 7812-1) check digit, 19 digits.

Luhn is what payment cards use, so a mistyped digit or a swap of neighbours is caught at once.
"""

from __future__ import annotations

import secrets

from stdnum import luhn

LENGTH = 19


def new_card_number(prefix: str) -> str:
    body = prefix + "".join(secrets.choice("0123456789") for _ in range(LENGTH - 1 - len(prefix)))
    return body + luhn.calc_check_digit(body)


def is_valid_card_number(number: str) -> bool:
    return len(number) == LENGTH and number.isdigit() and luhn.is_valid(number)


def mask(number: str) -> str:
    """Show the prefix and the last four digits: 8643 **** **** 1234."""
    return f"{number[:4]} **** **** {number[-4:]}" if len(number) > 8 else "****"


def is_valid_bank_card(number: str) -> bool:
    """A physical financial IC card number (银行卡 PAN): 13-19 digits with a Luhn check digit."""
    return number.isdigit() and 13 <= len(number) <= 19 and luhn.is_valid(number)


def mask_bank_card(number: str) -> str:
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"
