"""Database rules Tortoise 1.1.9 migrations cannot express portably, applied per dialect.

* card_one_live_card: at most one card per holder that is not cancelled (a partial unique index,
  the same SQL on SQLite and PostgreSQL).
* card_account_balance_not_negative and card_state_known: CHECK constraints on PostgreSQL, the
  equivalent triggers on SQLite (which cannot add a CHECK to an existing table).
"""

from __future__ import annotations

LIVE_CARD_INDEX = (
    'CREATE UNIQUE INDEX "card_one_live_card" ON "card_card" ("holder_id") WHERE "state" <> \'cancelled\''
)

POSTGRES = [
    LIVE_CARD_INDEX,
    'ALTER TABLE "card_account" ADD CONSTRAINT "card_account_balance_not_negative" CHECK ("balance" >= 0)',
    'ALTER TABLE "card_card" ADD CONSTRAINT "card_state_known" CHECK ("state" IN (\'active\', \'frozen\', \'cancelled\'))',
]


def _sqlite_guard(name: str, table: str, event: str, condition: str) -> str:
    return (
        f'CREATE TRIGGER "{name}_{event.split()[0].lower()}" BEFORE {event} ON "{table}" '
        f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
    )


SQLITE = [
    LIVE_CARD_INDEX,
    _sqlite_guard("card_account_balance_not_negative", "card_account", "INSERT", 'NEW."balance" < 0'),
    _sqlite_guard("card_account_balance_not_negative", "card_account", 'UPDATE OF "balance"', 'NEW."balance" < 0'),
    _sqlite_guard("card_state_known", "card_card", "INSERT", "NEW.\"state\" NOT IN ('active', 'frozen', 'cancelled')"),
    _sqlite_guard("card_state_known", "card_card", 'UPDATE OF "state"', "NEW.\"state\" NOT IN ('active', 'frozen', 'cancelled')"),
]


async def _run(schema_editor, sql: str) -> None:
    # One statement per call: the SQLite editor splits on ";" which would cut a trigger body.
    await schema_editor.client.execute_query(sql)


async def database_rules(_apps, schema_editor) -> None:
    for sql in POSTGRES if schema_editor.DIALECT == "postgres" else SQLITE:
        await _run(schema_editor, sql)


async def drop_database_rules(_apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        statements = [
            'DROP INDEX IF EXISTS "card_one_live_card"',
            'ALTER TABLE "card_account" DROP CONSTRAINT IF EXISTS "card_account_balance_not_negative"',
            'ALTER TABLE "card_card" DROP CONSTRAINT IF EXISTS "card_state_known"',
        ]
    else:
        statements = ['DROP INDEX IF EXISTS "card_one_live_card"'] + [
            f'DROP TRIGGER IF EXISTS "{name}_{event}"'
            for name in ("card_account_balance_not_negative", "card_state_known")
            for event in ("insert", "update")
        ]
    for sql in statements:
        await _run(schema_editor, sql)
