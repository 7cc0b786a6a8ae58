"""The fast paths of the feed import give exactly what the plain ones give: CSV cut with
str.split vs the csv module, columns converted per distinct value vs row by row, the ID checks
vs the platform's resident ID rule and python-stdnum, COPY binary vs COPY text (what PostgreSQL
stores)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random

import pytest
from stdnum.cn import uscc

from core.feeds import parsers as p
from core.feeds import synthetic as syn
from core.feeds.convert import BatchConverter
from core.feeds.copyformat import CopyCodec, binary_rows, encode_text, text_rows
from core.feeds.csv_source import CsvSource
from core.feeds.reader import JsonlSource
from core.feeds.registry import get_feed
from core.identity import resident_id
from tests.conftest import BACKEND

FIELDS = ["a", "b", "c"]


def reference(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, cells) of every record, as the csv module reads the file."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline=""))
    header = next(reader)
    return header, [(reader.line_num, record) for record in reader if record]


def fast(data: bytes, block: int, size: int) -> list[tuple[int, list[str]]]:
    source = CsvSource(io.BytesIO(data), FIELDS, set(FIELDS), block=block)
    return [(line, list(batch.row(i))) for batch in source.batches(size) for i, line in enumerate(batch.lines)]


def plain_body(rng: random.Random, lines: int, newline: str) -> str:
    out = []
    for n in range(lines):
        kind = rng.random()
        if kind < 0.03:
            out.append("")  # blank line
        elif kind < 0.06:
            out.append(",".join(str(rng.randint(0, 9)) for _ in range(rng.choice((1, 2, 4)))))  # wrong width
        else:
            out.append(f"{n},株洲{rng.randint(0, 99)},\x00x y")
    return newline.join(out)


CASES = {
    "lf": lambda rng: "a,b,c\n" + plain_body(rng, 400, "\n") + "\n",
    "crlf, bom": lambda rng: "\ufeffa,b,c\r\n" + plain_body(rng, 400, "\r\n") + "\r\n",
    "mixed line ends, no final newline": lambda rng: "a,b,c\n" + plain_body(rng, 200, "\r\n") + "\n" + plain_body(rng, 200, "\n"),
    "quotes after some blocks": lambda rng: "a,b,c\r\n" + plain_body(rng, 300, "\r\n")
    + '\r\n1,"two\r\nlines, and ""quotes""",3\r\n' + plain_body(rng, 100, "\r\n") + "\r\n",
    "bare carriage return": lambda rng: "a,b,c\n" + plain_body(rng, 300, "\n") + "\n1,2\r3,4,5\n" + plain_body(rng, 50, "\n"),
    "quoted header": lambda rng: '"a","b","c"\n' + plain_body(rng, 100, "\n") + "\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("block, size", [(64, 7), (1000, 50), (1 << 20, 10_000)])
def test_plain_csv_reads_like_the_csv_module(case, block, size):
    data = CASES[case](random.Random(case)).encode()
    data = data.replace("株洲7".encode(), b"\xe6\xa0")  # an undecodable byte sequence, read as U+FFFD
    header, expected = reference(data)
    assert header == FIELDS
    assert fast(data, block, size) == expected


def test_second_part_of_a_file_counts_lines_from_the_cut():
    data = (CASES["quotes after some blocks"](random.Random(3))).encode()
    cut = data.index(b"\r\n", len(data) // 2) + 2
    before = data[:cut].count(b"\n")
    source = CsvSource(io.BytesIO(data[cut:]), FIELDS, set(FIELDS), header=FIELDS, line_offset=before, block=100)
    got = [(line, list(b.row(i))) for b in source.batches(64) for i, line in enumerate(b.lines)]
    assert got == [(line, cells) for line, cells in reference(data)[1] if line > before]


def test_jsonl_batches_keep_line_numbers_and_reasons():
    text = '{"a": 1}\n\n{broken\n[1]\n{"a": "x", "b": null}\n'
    batches = list(JsonlSource(io.BytesIO(text.encode()), FIELDS, set()).batches(10))
    rows = [(line, b.row(i)) for b in batches for i, line in enumerate(b.lines)]
    assert [line for line, _ in rows] == [1, 3, 4, 5]
    assert rows[0][1] == {"a": 1} and rows[3][1] == {"a": "x", "b": None}
    assert "not valid JSON" in str(rows[1][1]) and "one JSON object" in str(rows[2][1])


def test_resident_ids_and_credit_codes_agree_with_the_reference_rules():
    def outcome(check, value):
        try:
            return check(value)
        except p.RowRejected as exc:  # names the reason in brackets
            return str(exc).rsplit("(", 1)[-1].rstrip(")")
        except resident_id.InvalidResidentId as exc:
            return exc.reason
        except Exception as exc:  # stdnum's exception
            return exc.__class__.__name__

    rng = random.Random(11)
    today = dt.date.today()
    # Current, retired (110103 until 2010, 110110 until 1986), newer than most births (430212, 2018),
    # a province with no such county (439999), never listed (000000), Hong Kong (810000).
    prefixes = ["110101", "110103", "110110", "130100", "430202", "430212", "430225", "430281", "439999",
                "000000", "810000"]
    for _ in range(5000):
        if rng.random() < 0.3:
            value = syn.resident_id(rng)
        else:
            if rng.random() < 0.1:  # around today and 1900-01-01, where the birth date bounds are
                birth = (today + dt.timedelta(days=rng.randint(-3, 3))).strftime("%Y%m%d")
                birth = rng.choice([birth, f"1899123{rng.randint(0, 1)}", f"190001{rng.randint(0, 2):02d}"])
            else:
                birth = f"{rng.randint(1890, 2030):04d}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
            body = rng.choice(prefixes) + birth + f"{rng.randint(0, 999):03d}"
            check = resident_id.check_character(body)
            value = body + (check if rng.random() < 0.7 else rng.choice("0123456789Xx?"))
        if rng.random() < 0.05:
            value = value.lower()
        assert outcome(p.resident_id.__wrapped__, value) == outcome(resident_id.validate, value), value
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(3000):
        value = syn.credit_code(rng) if rng.random() < 0.5 else "".join(rng.choice(alphabet + "IOZa- ") for _ in range(18))
        assert outcome(p.credit_code.__wrapped__, value) == outcome(uscc.validate, value.upper()), value
    clean_up = {  # the forms only the full rule's clean-up handles, and what it makes of them
        "４３０２０２１９９８０７１５００１３": "430202199807150013",
        "\u3000４３０２８１１９７００１０１００１ｘ\u3000": "InvalidChecksum",  # full-width x is not mapped
        "４３０２８１１９７００１０１００１８": "430281197001010018",  # born before 醴陵市 430281 (1989)
        "430202-19980715-0013": "InvalidLength",  # separators are not removed (as in python-stdnum)
        "430202 19980715001": "InvalidFormat",
        "４３９９９９１９９００１０１０００９": "InvalidComponent",
    }
    for value, expected in clean_up.items():
        assert outcome(p.resident_id.__wrapped__, value) == outcome(resident_id.validate, value) == expected, value


def test_dates_are_iso_days_only():
    assert p.date("2026-11-15") == "2026-11-15" and p.date("20261115") == "2026-11-15"
    assert p.date("2026-W46-1") == "2026-11-09"  # an ISO week date is normalised, not passed through
    with pytest.raises(p.RowRejected):
        p.date("2026-02-30")


def row_by_row(converter: BatchConverter, batch) -> tuple:
    done = converter.row_by_row(batch)
    return list(zip(*done.columns, strict=True)), done.lines, done.rejections


def by_columns(converter: BatchConverter, batch) -> tuple:
    done = converter.convert(batch)
    return list(zip(*done.columns, strict=True)), done.lines, done.rejections


def test_batch_conversion_equals_row_by_row_csv(database):
    spec = get_feed("social_security", "contributions")
    rows = list(spec.generate(600, 5))
    rng = random.Random(5)
    for row in rng.sample(rows, 60):  # bad values of every kind, some rows twice
        field = rng.choice(spec.field_names)
        row[field] = rng.choice(["", "x", "12.5", "-1", "430202198001010018", "202613", "9" * 20, " pension"])
    rows += rows[:5]  # the last row of a key wins
    text = io.StringIO()
    writer = csv.DictWriter(text, spec.field_names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    text.write("too,few\n")
    source = CsvSource(io.BytesIO(text.getvalue().encode()), spec.field_names, {f.name for f in spec.fields if f.required})
    converter = BatchConverter(spec, source)
    for batch in source.batches(128):
        assert by_columns(converter, batch) == row_by_row(converter, batch)


def test_batch_conversion_equals_row_by_row_json(database):
    spec = get_feed("provident_fund", "accounts")
    rows = list(spec.generate(200, 8))
    odd = [1, True, 1.0, "1", [1], {"x": 1}, None, "", 10**30, "  430202 "]
    rng = random.Random(8)
    for row in rows[::3]:
        row[rng.choice(spec.field_names)] = rng.choice(odd)  # equal keys (1, True, 1.0) must not share a memo
    rows[1]["balance_fen"], rows[2]["balance_fen"] = True, 1
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    source = JsonlSource(io.BytesIO(text.encode()), spec.field_names, {f.name for f in spec.fields if f.required})
    converter = BatchConverter(spec, source)
    name_enc = spec.columns.index("name_enc")  # encrypted names differ by nonce: compare the rest

    def comparable(rows):
        return [r[:name_enc] + r[name_enc + 1:] for r in rows]

    for batch in source.batches(50):
        got, expected = by_columns(converter, batch), row_by_row(converter, batch)
        assert (got[1], got[2]) == (expected[1], expected[2])
        assert comparable(got[0]) == comparable(expected[0])


def test_build_columns_equals_build(database):
    spec = get_feed("social_security", "contributions")
    rows = list(spec.generate(500, 2))
    parsed = [[f.parse(r[f.name]) if r[f.name] else None for r in rows] for f in spec.fields]
    assert list(zip(*spec.build_columns(*parsed), strict=True)) == [spec.build(*values) for values in zip(*parsed, strict=True)]


def test_copy_text_encoding():
    columns = [["plain", "tab\there", "back\\slash", "line\nbreak\r", "", None],
               [1, -2, 3, 10**15, 0, None],
               [dt.date(2026, 1, 2), None, dt.date(2026, 1, 2), None, None, None]]
    lines = text_rows(encode_text(columns, ("2026-11-01T00:00:00+00:00",)))
    assert len(lines) == 6
    assert lines[0] == b"plain\t1\t2026-01-02\t2026-11-01T00:00:00+00:00\n"
    assert lines[1] == b"tab\\there\t-2\t\\N\t2026-11-01T00:00:00+00:00\n"
    assert lines[2].startswith(b"back\\\\slash\t3\t") and lines[3].startswith(b"line\\nbreak\\r\t1000000000000000\t")
    assert lines[4].startswith(b"\t0\t\\N") and lines[5].startswith(b"\\N\t\\N\t\\N")
    assert encode_text([[]]) == b""


TYPES = ["character varying", "bigint", "integer", "date", "timestamp with time zone", "boolean"]
VALUES = [
    ["plain", "tab\there", "back\\slash", "株洲\n市", "", None, "x"],
    [1, -(2**63), 2**63 - 1, 0, None, 5, 5],
    [1, -(2**31), 2**31 - 1, 0, None, 7, 7],
    ["2026-11-15", "1949-10-01", "2000-01-01", None, dt.date(1999, 12, 31), "2026-11-15", "2026-02-28"],
    [dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))), None,
     dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC), None, None, None, None],
    [True, False, None, True, True, False, False],
]


def test_binary_codec_falls_back_to_text_for_values_it_cannot_carry():
    codec = CopyCodec(TYPES)
    assert codec.encode(VALUES)[0] == "binary"
    assert codec.encode([*VALUES[:1], [1.0, 2, 3, 4, 5, 6, 7], *VALUES[2:]])[0] == "text"  # a float in a bigint
    assert codec.encode([*VALUES[:2], [2**31, 0, 0, 0, 0, 0, 0], *VALUES[3:]])[0] == "text"  # beyond integer
    naive = [*VALUES[:4], [dt.datetime(2026, 1, 1)] * 7, VALUES[5]]
    assert codec.encode(naive)[0] == "text"
    assert CopyCodec([*TYPES[:5], "numeric"]).encode(VALUES)[0] == "text"  # a type binary is not written for


@pytest.mark.skipif(BACKEND != "services", reason="COPY is PostgreSQL's")
async def test_binary_and_text_copy_store_the_same_values(database):
    from tortoise import connections

    names = [f"c{i}" for i in range(len(TYPES) + 1)]
    ddl = ", ".join(f"{n} {t}" for n, t in zip(names, [*TYPES, "timestamp with time zone"], strict=True))
    stamp = "2026-11-23T14:15:35.123456+00:00"
    fmt, binary = CopyCodec([*TYPES, "timestamp with time zone"]).encode(VALUES, (stamp,))
    assert fmt == "binary"
    async with connections.get("default").acquire_connection() as conn:
        await conn.execute(f"CREATE TEMP TABLE by_binary ({ddl}); CREATE TEMP TABLE by_text ({ddl}); "
                           "CREATE TEMP TABLE by_row ({ddl})".replace("{ddl}", ddl))
        await conn.copy_to_table("by_binary", source=memoryview(binary), columns=names, format="binary")
        await conn.copy_to_table("by_text", source=memoryview(encode_text(VALUES, (stamp,))), columns=names, format="text")
        for row in binary_rows(binary):
            await conn.copy_to_table("by_row", source=memoryview(row), columns=names, format="binary")
        tables = [await conn.fetch(f"SELECT * FROM {t} ORDER BY c1 NULLS FIRST, c0") for t in ("by_text", "by_binary", "by_row")]
    assert tables[0] == tables[1] == tables[2] and len(tables[0]) == 7
    first = tables[0][0]  # the row of NULLs: "" stays an empty string, NULL stays NULL
    assert (first["c0"], first["c1"], first["c2"], first["c3"], first["c4"], first["c5"]) == (
        "", None, None, dt.date(1999, 12, 31), None, True)
    assert tables[0][-1]["c1"] == 2**63 - 1 and tables[0][-1]["c2"] == 2**31 - 1
