"""Paging, ETags, idempotent taps and the catalogue cache's local copies."""

from __future__ import annotations

import asyncio

import pytest
from litestar.connection import ASGIConnection

from core.auth import Principal
from core.errors import AppError
from miniapp_bff import catalogue_cache, idempotency
from miniapp_bff.http_cache import etag_of, json_response
from miniapp_bff.paging import MAX_SIZE, Page, page_of

ME = Principal(kind="citizen", account_id=41, level=2)


def connection(query: str = "", headers: dict[str, str] | None = None) -> ASGIConnection:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return ASGIConnection({"type": "http", "query_string": query.encode(), "headers": raw, "path": "/", "method": "GET"})


def test_paging_defaults_bounds_and_envelope():
    assert page_of(connection()) == Page(1, 20)
    assert page_of(connection("page=3&size=5")).offset == 10
    for bad in ("page=0", f"size={MAX_SIZE + 1}", "size=0", "page=x", "page=-1"):
        with pytest.raises(AppError) as refused:
            page_of(connection(bad))
        assert refused.value.code == "bff.bad_page" and str(MAX_SIZE) in refused.value.message
    assert Page(2, 2).slice(list("abcde")) == {"items": ["c", "d"], "page": 2, "size": 2, "total": 5, "has_more": True}
    assert Page(3, 2).slice(list("abcde"))["has_more"] is False
    assert Page(9, 2).slice(list("abcde"))["items"] == []


def test_etag_answers_304_for_the_same_body_only():
    first = json_response(connection(), {"a": 1})
    tag = first.headers["ETag"]
    assert tag == etag_of(b'{"a":1}') and first.status_code == 200
    assert json_response(connection(headers={"If-None-Match": tag}), {"a": 1}).status_code == 304
    assert json_response(connection(headers={"If-None-Match": f'W/{tag}, "other"'}), {"a": 1}).status_code == 304
    assert json_response(connection(headers={"If-None-Match": tag}), {"a": 2}).status_code == 200
    public = json_response(connection(), {"a": 1}, max_age=60, public=True)
    assert public.headers["Cache-Control"] == "public, max-age=60" and "Accept-Language" in public.headers["Vary"]


async def test_a_second_tap_while_the_first_runs_is_refused_and_a_failed_one_can_be_retried(database):
    gate = asyncio.Event()
    runs = []

    async def slow():
        runs.append(1)
        await gate.wait()
        return {"case": 7}

    first = asyncio.create_task(idempotency.once(ME, "apply", "key-12345678", slow))
    await asyncio.sleep(0.01)
    with pytest.raises(AppError) as busy:
        await idempotency.once(ME, "apply", "key-12345678", slow)
    assert busy.value.code == "bff.request_in_progress"
    gate.set()
    assert await first == ({"case": 7}, False)
    assert await idempotency.once(ME, "apply", "key-12345678", slow) == ({"case": 7}, True)
    assert len(runs) == 1

    async def refused():
        raise ValueError("bad form")

    with pytest.raises(ValueError):
        await idempotency.once(ME, "apply", "key-abcdefgh", refused)
    assert await idempotency.once(ME, "apply", "key-abcdefgh", slow) == ({"case": 7}, False)


async def test_cache_builds_once_per_generation(database):
    builds = []

    async def build():
        builds.append(1)
        return {"n": len(builds)}

    assert await catalogue_cache.cached("k", build) == {"n": 1}
    catalogue_cache.forget_local()  # another process: reads the shared entry, does not rebuild
    assert await catalogue_cache.cached("k", build) == {"n": 1}
    await catalogue_cache.invalidate("test")
    assert await catalogue_cache.cached("k", build) == {"n": 2}
    assert len(builds) == 2


def test_cli_invalidates_the_shared_catalogue_cache():
    from click.testing import CliRunner

    from core.cli import main

    result = CliRunner().invoke(main, ["bff", "invalidate-catalogue", "--reason", "test"])
    assert result.exit_code == 0, result.output
    assert "catalogue cache invalidated (generation " in result.output
