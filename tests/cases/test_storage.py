"""Material storage: local directory and the S3-compatible client (SigV4) against the sandbox."""

from __future__ import annotations

import hashlib

import pytest

from core.cases import s3, storage
from core.cases.uploads import read_upload, store_upload
from core.errors import AppError
from tests.cases.demo_plugin import GJJ_CODE
from tests.cases.helpers import PDF


def test_signer_matches_aws_published_example():
    # "GET Object" example of the AWS Signature Version 4 documentation for Amazon S3.
    headers = {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9",
               "x-amz-content-sha256": s3.EMPTY_SHA256, "x-amz-date": "20130524T000000Z"}
    value = s3.sign("GET", "/test.txt", headers, s3.EMPTY_SHA256, access_key="AKIAIOSFODNN7EXAMPLE",
                    secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region="us-east-1", amz_date="20130524T000000Z")
    assert value == ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                     "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                     "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


async def test_s3_storage_against_sandbox(sandbox_server):
    store = s3.S3Storage(f"{sandbox_server}/s3", "materials", "sandbox-access", "sandbox-secret")
    await store.put("a/b/file.pdf", PDF, "application/pdf")
    assert await store.get("a/b/file.pdf") == PDF
    await store.delete("a/b/file.pdf")
    with pytest.raises(s3.S3Error, match="404"):
        await store.get("a/b/file.pdf")
    forged = s3.S3Storage(f"{sandbox_server}/s3", "materials", "sandbox-access", "wrong-secret")
    with pytest.raises(s3.S3Error, match="403"):
        await forged.put("x.pdf", PDF, "application/pdf")


@pytest.mark.usefixtures("database", "demo")
async def test_uploads_checked_hashed_and_stored(sandbox_server, tmp_path):
    for backend in (storage.LocalStorage(tmp_path), s3.S3Storage(f"{sandbox_server}/s3", "materials",
                                                                 "sandbox-access", "sandbox-secret")):
        storage.set_storage(backend)
        try:
            row = await store_upload(7, GJJ_CODE, "contract", "合同.pdf", "application/pdf", PDF)
            assert row.sha256 == hashlib.sha256(PDF).hexdigest() and row.size == len(PDF)
            assert await read_upload(row) == PDF
            for content_type, data, reason in (
                ("image/png", b"\x89PNG\r\n\x1a\n..", "type not accepted"),  # contracts are PDF only
                ("application/pdf", b"MZ\x90 not a pdf", "type not accepted"),  # content is not what it claims
                ("application/pdf", b"%PDF-" + b"x" * 200_001, "too large"),
                ("application/pdf", b"", "empty file"),
            ):
                with pytest.raises(AppError) as exc:
                    await store_upload(7, GJJ_CODE, "contract", "f", content_type, data)
                assert exc.value.code == "cases.upload_invalid" and exc.value.details["reason"] == reason
        finally:
            storage.set_storage(None)
    with pytest.raises(ValueError):
        storage.LocalStorage(tmp_path)._path("../escape")


@pytest.mark.usefixtures("database", "demo")
async def test_orphan_uploads_are_purged_attached_ones_kept(demo, tmp_path):
    from datetime import UTC, datetime, timedelta

    from core.cases import api as cases
    from core.cases import clock
    from core.cases.models import Upload
    from core.cases.uploads import purge_orphans
    from tests.cases.conftest import COUNTY
    from tests.cases.helpers import citizen_with_data, enable, gjj_form, upload

    storage.set_storage(storage.LocalStorage(tmp_path))
    try:
        await enable(GJJ_CODE)
        alice = await citizen_with_data(demo)
        used = await upload(alice.account_id, "contract")
        unused = await upload(alice.account_id, "contract")
        await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(), materials={
            "contract": {"upload_id": used}, "id_card": {"paper": True}, "marriage": {"paper": True}})
        assert await purge_orphans() == 0  # too young
        with clock.frozen(datetime.now(UTC) + timedelta(days=8)):
            assert await purge_orphans() == 1
        assert await Upload.filter(id=used).exists() and not await Upload.filter(id=unused).exists()
    finally:
        storage.set_storage(None)
