"""``GET /plugins/utility_bills/bills``: the signed-in citizen's households and bills."""

from __future__ import annotations

from litestar import Request, get

from core.auth import principal_of, requires


@get("/bills", guards=[requires("citizen", min_level=2)])
async def my_bills(request: Request) -> dict:
    from zhuzhou_utility_bills.service import bills_of

    return {"households": await bills_of(principal_of(request).subject_id)}
