"""GB/T 36904 identifiers with the ISO 7064 MOD 37,36 check character, checked on real identifiers."""

import pytest

from core.certificates.identifier import (
    Identifier,
    InvalidIdentifier,
    check_character,
    is_valid,
    parse,
)

# Published identifiers of real certificates (housing-construction safety certificates, Hunan and
# Zhejiang, and a Shandong filing): their check characters were computed by the issuers.
REAL = [
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
    "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
]


@pytest.mark.parametrize("text", REAL)
def test_real_identifiers_parse_and_rebuild(text):
    ident = parse(text)
    assert str(ident) == text
    assert ident.check == text[-1]


def test_check_character_of_the_published_examples():
    assert check_character("11100000000013338W011", "11430000006122244L", "20230000403", 1) == "U"
    assert check_character("11100000000013338W009", "11330105002500287C", "2025052201", 2) == "0"


def test_next_version_changes_version_and_check():
    first = parse(REAL[0])
    assert str(first.next_version()) == REAL[2]  # .001.U → .002.S, as the issuer published


@pytest.mark.parametrize("text", [
    REAL[0][:-1] + "V",  # wrong check character
    REAL[0].replace(".001.", ".01."),  # version not 3 digits
    REAL[0].replace("1.2.156.3005.2", "1.2.156.3005.3"),  # wrong arc
    "1.2.156.3005.2.ABC.DEF",
    "",
])
def test_malformed_identifiers_are_refused(text):
    assert not is_valid(text)
    with pytest.raises(InvalidIdentifier):
        parse(text)


def test_parts_must_be_upper_case_alphanumerics():
    with pytest.raises(InvalidIdentifier):
        str(Identifier("ab-1", "11430000006122244L", "1", 1))
    with pytest.raises(InvalidIdentifier):
        str(Identifier("ABC", "11430000006122244L", "1", 1000))
