"""Material uploads: type and size checked against the item's material, content hashed, bytes
kept in the configured storage (``core.cases.storage``)."""

from __future__ import annotations

import hashlib
import uuid

from core.cases import errors as E
from core.cases.engine import item_of
from core.cases.models import Upload
from core.cases.storage import get_storage

# Leading bytes of the types materials accept: the declared type must match the content.
_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/ofd": (b"PK\x03\x04",),  # OFD (GB/T 33190) is a zip container
}


def sniff(data: bytes) -> str | None:
    for mime, heads in _MAGIC.items():
        if any(data.startswith(h) for h in heads):
            return mime
    return None


async def store_upload(owner_id: int, item_code: str, material_key: str, filename: str,
                       content_type: str, data: bytes) -> Upload:
    item = item_of(item_code)
    material = item.material(material_key)
    if material is None:
        raise E.UPLOAD_INVALID(details={"reason": "unknown material", "material_key": material_key})
    if not data:
        raise E.UPLOAD_INVALID(details={"reason": "empty file"})
    if len(data) > material.max_bytes:
        raise E.UPLOAD_INVALID(details={"reason": "too large", "max_bytes": material.max_bytes, "size": len(data)})
    actual = sniff(data)
    if content_type not in material.mime_types or actual != content_type:
        raise E.UPLOAD_INVALID(details={"reason": "type not accepted", "declared": content_type, "detected": actual,
                                        "accepted": list(material.mime_types)})
    digest = hashlib.sha256(data).hexdigest()
    upload_id = str(uuid.uuid4())
    key = f"{item.code}/{digest[:2]}/{upload_id}"
    await get_storage().put(key, data, content_type)
    return await Upload.create(
        id=upload_id, owner_id=owner_id, item_code=item.code, material_key=material_key,
        filename=(filename or "file")[:255], content_type=content_type, size=len(data), sha256=digest, storage_key=key,
    )


async def read_upload(upload: Upload) -> bytes:
    return await get_storage().get(upload.storage_key)


ORPHAN_AFTER_DAYS = 7


async def purge_orphans(*, older_than_days: int = ORPHAN_AFTER_DAYS, batch: int = 500) -> int:
    """Delete uploads no case refers to after ``older_than_days``: personal documents are not kept
    for applications that were never sent. Returns how many were removed."""
    from datetime import timedelta

    from core.cases.clock import now
    from core.cases.models import Case

    cutoff = now() - timedelta(days=older_than_days)
    candidates = await Upload.filter(created_at__lt=cutoff).order_by("created_at").limit(batch)
    removed = 0
    attached_by_owner: dict[int, set[str]] = {}
    for upload in candidates:
        if upload.owner_id not in attached_by_owner:
            attached: set[str] = set()
            for materials in await Case.filter(applicant_id=upload.owner_id).values_list("materials", flat=True):
                for entry in (materials or {}).values():
                    attached.update(f["upload_id"] for f in entry.get("files", []))
            attached_by_owner[upload.owner_id] = attached
        if upload.id in attached_by_owner[upload.owner_id]:
            continue
        await get_storage().delete(upload.storage_key)
        await Upload.filter(id=upload.id).delete()
        removed += 1
    return removed
