"""Races that must have one winner: two ratings of one case, two reviews of one appeal
(row locks on PostgreSQL, a unique constraint everywhere)."""

from __future__ import annotations

import asyncio

from core.errors import AppError
from core.evaluations import api
from core.evaluations.models import Evaluation
from tests.evaluations.test_ratings import finish_case
from tests.support.auth import make_citizen, make_operator, make_staff


def _codes(results) -> list[str]:
    return sorted("ok" if not isinstance(r, Exception) else r.code for r in results)


async def test_two_ratings_at_once_make_one(host, app):
    alice = await make_citizen()
    case_id = await finish_case(host, alice)
    results = await asyncio.gather(
        api.rate(alice.principal, case_id, 1, channel="app"),
        api.rate(alice.principal, case_id, 5, comment="差", channel="miniapp"),
        return_exceptions=True,
    )
    assert all(isinstance(r, Evaluation | AppError) for r in results), results
    assert _codes(results) == ["evaluations.already_rated", "ok"]
    assert await Evaluation.filter(case_id=case_id).count() == 1


async def test_two_reviews_of_one_appeal_decide_once(host, app):
    alice = await make_citizen()
    head = await make_staff(department_code="RSJ", roles=("head",), region_code="430281000000")
    operator = await make_operator()
    case_id = await finish_case(host, alice)
    evaluation = await api.rate(alice.principal, case_id, 5, comment="恶意", channel="app")
    appeal = await api.appeal(head.principal, evaluation.id, "恶意评价")
    results = await asyncio.gather(
        api.review_appeal(operator.principal, appeal.id, decision="upheld", comment="成立"),
        api.review_appeal(operator.principal, appeal.id, decision="rejected", comment="驳回"),
        return_exceptions=True,
    )
    assert _codes(results) == ["evaluations.appeal_decided", "ok"]
