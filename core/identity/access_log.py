"""The access log (个人信息查询记录): who read which of a citizen's personal data, when and why."""

from __future__ import annotations

from typing import Any

from core.auth import Principal
from core.identity.models import AccessLogEntry


async def record_read(
    subject_id: int,
    *,
    reader: Principal | str,
    fields: list[str],
    purpose: str,
    request_id: str = "",
) -> AccessLogEntry | None:
    """Write one entry, unless the reader is the citizen reading their own data."""
    if isinstance(reader, Principal):
        if (
            reader.kind == "citizen"
            and reader.account_id == subject_id
            and reader.acting_for is None
        ):
            return None
        kind = reader.kind
        reader_id = str(reader.account_id)
        department_id = reader.department_id
        # A proxy reads on behalf of the grantor: the grantor is the subject, the grantee the reader.
        if kind == "citizen":
            kind = "proxy"
    else:
        kind, reader_id, department_id = "plugin", str(reader).removeprefix("plugin:"), None
    return await AccessLogEntry.create(
        subject_id=subject_id,
        reader_kind=kind,
        reader_id=reader_id[:64],
        department_id=department_id,
        data_fields=fields,
        purpose=purpose[:128] or "unspecified",
        request_id=request_id[:64],
    )


async def list_for(
    subject_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    query = AccessLogEntry.filter(subject_id=subject_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    entries = await query.order_by("-id").limit(max(1, min(limit, 200)))
    return [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "reader_kind": e.reader_kind,
            "reader_id": e.reader_id,
            "reader_name": e.reader_name,
            "department_id": e.department_id,
            "fields": e.data_fields,
            "purpose": e.purpose,
        }
        for e in entries
    ]
