"""``zhushida certificates check|types``."""

from click.testing import CliRunner

from core.certificates.cli import certificates

REAL = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"


def test_check_accepts_a_real_identifier_and_refuses_a_wrong_check_character():
    ok = CliRunner().invoke(certificates, ["check", REAL])
    assert ok.exit_code == 0 and "check U: valid" in ok.output
    bad = CliRunner().invoke(certificates, ["check", REAL[:-1] + "V"])
    assert bad.exit_code == 1 and "check character does not match" in bad.output


def test_types_lists_declared_types_with_their_plugin(cert_types):
    result = CliRunner().invoke(certificates, ["types"])
    assert result.exit_code == 0
    assert "11100000000013338W011\t不动产权证书\t株洲市不动产登记中心 (demo_certs)" in result.output
