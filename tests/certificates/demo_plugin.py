"""A department plugin declaring two certificate types (used by the certificate tests)."""

from core.hooks import CertificateField, CertificateType, hookimpl

ZHUSHIDA_CONTRACT = "1"

PROPERTY = "11100000000013338W011"
MARRIAGE = "11100000000013338W009"
ISSUER = "11430000006122244L"


@hookimpl
def zhushida_certificate_types():
    return [
        CertificateType(
            code=PROPERTY, name="不动产权证书", name_en="Real estate title certificate",
            issuer_credit_code=ISSUER, issuer_name="株洲市不动产登记中心",
            fields=[
                CertificateField("holder_name", "权利人", "Holder", mask="name"),
                CertificateField("id_number", "证件号码", "ID number", mask="id_number"),
                CertificateField("location", "坐落", "Location"),
                CertificateField("area", "面积", "Area (m²)", required=False),
            ],
            public_fields=["holder_name", "location"],
        ),
        CertificateType(
            code=MARRIAGE, name="居民身份证明", name_en="Residence certificate",
            issuer_credit_code="11330105002500287C", issuer_name="某区公安分局",
            fields=[CertificateField("holder_name", "姓名", "Name", mask="name")],
            validity_days=30,
        ),
    ]
