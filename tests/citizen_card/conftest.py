"""Citizen-card fixtures. After every test that touched the database, the ledger must balance
to the fen (every journal sums to zero, every wallet equals the sum of its entries, none is
negative) - a test that moves money cannot pass with a broken ledger."""

from __future__ import annotations

import pytest

from tests.citizen_card.helpers import make_terminal
from tests.support.auth import make_citizen


@pytest.fixture(autouse=True)
async def ledger_invariant(request):
    yield
    if "database" not in request.fixturenames and "app" not in request.fixturenames:
        return
    from citizen_card.ledger import ledger_problems

    problems = await ledger_problems()
    assert not problems, f"ledger does not balance after {request.node.name}: {problems}"


@pytest.fixture
async def citizen(client):
    return await make_citizen(level=2)


@pytest.fixture
async def card_holder(client, citizen):
    response = await client.post("/card", headers=citizen.headers)
    assert response.status_code == 201, response.text
    return citizen


@pytest.fixture
async def terminal(client):
    return await make_terminal(client)
