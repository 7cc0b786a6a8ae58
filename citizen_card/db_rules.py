"""Database rules Tortoise 1.1.9 migrations cannot express portably, applied per dialect.

* card_one_live_card: at most one card per holder that is not cancelled (a partial unique index,
  the same SQL on SQLite and PostgreSQL).
* card_account_balance_not_negative and card_state_known: CHECK constraints on PostgreSQL, the
  equivalent triggers on SQLite (which cannot add a CHECK to an existing table).
* The hot ledger tables on PostgreSQL (migration 0003): ``card_entry`` and ``card_debit`` carry no
  foreign-key triggers, and the ledger's tables refuse DELETE (:data:`POSTGRES_APPEND_ONLY`).
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


# Foreign keys of the two tables every card payment writes. Each is a trigger that looks up and
# key-share-locks the row it names: five per debit (seven checks), about 0.3 ms of PostgreSQL CPU
# of a debit's ~1 ms, most of it on the few hot rows every payment names (a card, a merchant's
# account), where the shared locks pile up into multixacts. What they guaranteed holds without
# them: the writes name rows they just read or created in the same statement (debits._ONE_STATEMENT,
# ledger.post), the named rows are never deleted (the guard below), and ledger_problems() reports
# an entry or debit whose journal, account, card or terminal is missing. SQLite keeps them: the
# embedded default is not the throughput path, and dropping one there rebuilds the table.
HOT_PATH_FOREIGN_KEYS = [
    ("card_entry", "card_entry_journal_id_fkey", "journal_id", "card_journal"),
    ("card_entry", "card_entry_account_id_fkey", "account_id", "card_account"),
    ("card_debit", "card_debit_card_id_fkey", "card_id", "card_card"),
    ("card_debit", "card_debit_journal_id_fkey", "journal_id", "card_journal"),
    ("card_debit", "card_debit_terminal_id_fkey", "terminal_id", "card_terminal"),
]
# The ledger and what it names are append-only: money's history is kept (and the rows the dropped
# foreign keys named stay). A statement-level guard costs nothing per insert; TRUNCATE (the tests'
# reset) is a separate event and is not refused.
APPEND_ONLY_TABLES = ["card_journal", "card_entry", "card_debit", "card_account", "card_card", "card_terminal"]
_REFUSE_DELETE = """
CREATE OR REPLACE FUNCTION "card_refuse_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the card ledger is append-only: rows of % are never deleted', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$
"""

POSTGRES_APPEND_ONLY = [
    *(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"' for table, name, _col, _ref in HOT_PATH_FOREIGN_KEYS),
    _REFUSE_DELETE,
    *(f'CREATE TRIGGER "{table}_append_only" BEFORE DELETE ON "{table}" '
      'FOR EACH STATEMENT EXECUTE FUNCTION "card_refuse_delete"()' for table in APPEND_ONLY_TABLES),
]
POSTGRES_APPEND_ONLY_UNDO = [
    *(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"' for table in APPEND_ONLY_TABLES),
    'DROP FUNCTION IF EXISTS "card_refuse_delete"()',
    *(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}") REFERENCES "{ref}" ("id") '
      "ON DELETE RESTRICT" for table, name, column, ref in HOT_PATH_FOREIGN_KEYS),
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


async def append_only_ledger(_apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        for sql in POSTGRES_APPEND_ONLY:
            await _run(schema_editor, sql)


async def undo_append_only_ledger(_apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        for sql in POSTGRES_APPEND_ONLY_UNDO:
            await _run(schema_editor, sql)
