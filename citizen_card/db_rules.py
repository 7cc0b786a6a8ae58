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
# them: the writes name rows they just read or created in the same statement (db_rules.DEBIT_BATCH_FUNCTION,
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

# One debit is one statement: it records the request's nonce (when given), takes the amount from
# the wallet only if the card is active, the balance covers it, it is within the card's limits and
# the terminal, its merchant and its secret version are as signed - PostgreSQL re-checks those on
# the newest row version after waiting for a lock (READ COMMITTED) - and writes the journal, both
# entries and the debit. Zero rows written means a condition failed (only the nonce stays). The
# function runs a batch of them (citizen_card/debit_batches.py), each in a block of its own: a
# debit breaking a unique index (nonce, txn id, token) is rolled back alone and reported by the
# constraint's name. Changing the statement means a new migration that replaces the function.
DEBIT_BATCH_FUNCTION = """
CREATE OR REPLACE FUNCTION "card_debit_batch"(
    p_amount bigint[], p_card_number varchar[], p_terminal_id bigint[], p_merchant_id bigint[],
    p_txn_id varchar[], p_counter bigint[], p_kid varchar[], p_memo varchar[], p_secret_version int[],
    p_nonce_key varchar[], p_day date[], p_at timestamptz[], p_limit_per_day bigint, p_limit_per_payment bigint)
RETURNS TABLE ("idx" int, "debit_id" bigint, "card_id" bigint, "journal_id" bigint, "violated" text)
LANGUAGE plpgsql AS $fn$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_amount, 1), 0) LOOP
        idx := i; debit_id := NULL; card_id := NULL; journal_id := NULL; violated := NULL;
        BEGIN
            WITH n AS (
                INSERT INTO "card_debit_nonce" ("key", "seen_at") SELECT p_nonce_key[i], p_at[i] WHERE p_nonce_key[i] IS NOT NULL
                RETURNING 1
            ), w AS (
                UPDATE "card_account" a SET
                    "balance" = a."balance" - p_amount[i],
                    "spent_today" = CASE WHEN a."spent_day" = p_day[i] THEN a."spent_today" + p_amount[i] ELSE p_amount[i] END,
                    "spent_day" = p_day[i]
                FROM "card_card" c
                WHERE c."number" = p_card_number[i] AND a."card_id" = c."id" AND a."spendable" AND a."balance" >= p_amount[i]
                  AND (SELECT count(*) FROM n) <= 1
                  AND p_amount[i] <= COALESCE(c."limit_per_payment", p_limit_per_payment)
                  AND (CASE WHEN a."spent_day" = p_day[i] THEN a."spent_today" ELSE 0 END) + p_amount[i] <= COALESCE(c."limit_per_day", p_limit_per_day)
                  AND EXISTS (SELECT 1 FROM "card_terminal" t JOIN "card_merchant" m ON m."id" = t."merchant_id"
                              WHERE t."id" = p_terminal_id[i] AND t."merchant_id" = p_merchant_id[i]
                                AND t."secret_version" = p_secret_version[i] AND t."state" = 'active' AND m."state" = 'active')
                RETURNING a."id", a."balance", a."card_id"
            ), j AS (
                INSERT INTO "card_journal" ("kind", "reference", "memo", "created_at")
                SELECT 'debit', p_terminal_id[i] || ':' || p_txn_id[i], p_memo[i], p_at[i] FROM w RETURNING "id"
            ), e AS (
                INSERT INTO "card_entry" ("journal_id", "account_id", "amount", "balance_after", "created_at")
                SELECT j."id", w."id", -p_amount[i], w."balance", p_at[i] FROM j, w
                UNION ALL
                SELECT j."id", m."id", p_amount[i], NULL, p_at[i] FROM j, "card_account" m WHERE m."merchant_id" = p_merchant_id[i]
            )
            INSERT INTO "card_debit" ("terminal_id", "merchant_id", "txn_id", "card_id", "amount", "qr_counter",
                                      "qr_kid", "refunded", "journal_id", "created_at")
            SELECT p_terminal_id[i], p_merchant_id[i], p_txn_id[i], w."card_id", p_amount[i], p_counter[i], p_kid[i], 0, j."id", p_at[i]
            FROM j, w
            RETURNING "card_debit"."id", "card_debit"."card_id", "card_debit"."journal_id" INTO debit_id, card_id, journal_id;
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS violated = CONSTRAINT_NAME;
        END;
        RETURN NEXT;
    END LOOP;
END
$fn$
"""
DROP_DEBIT_BATCH_FUNCTION = (
    'DROP FUNCTION IF EXISTS "card_debit_batch"(bigint[], varchar[], bigint[], bigint[], varchar[], bigint[], '
    "varchar[], varchar[], int[], varchar[], date[], timestamptz[], bigint, bigint)"
)


async def debit_batch_function(_apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        await _run(schema_editor, DEBIT_BATCH_FUNCTION)


async def drop_debit_batch_function(_apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        await _run(schema_editor, DROP_DEBIT_BATCH_FUNCTION)
