"""The identity authority (身份核验): does this name belong to this resident ID number?

Production connects to the public-security identity service; the platform ships a provider backed
by the population register data it holds (``PopulationRecord``, loaded by the population data feed
or ``zhushida identity population-import FILE``). Sandbox and embedded deployments use it as is.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from core.identity.crypto import get_cipher
from core.identity.models import PopulationRecord
from core.identity.pii import normalize_id_number, normalize_name

COL_POP_ID = "population.id_number"
COL_POP_NAME = "population.name"

Outcome = Literal["match", "name_mismatch", "not_found", "deceased"]


@dataclass(frozen=True, slots=True)
class AuthorityAnswer:
    outcome: Outcome
    household_region_code: str | None = None


class IdentityAuthority(Protocol):
    async def verify(self, name: str, id_number: str) -> AuthorityAnswer: ...


class PopulationRegisterAuthority:
    """Answers from the population register the platform holds."""

    async def verify(self, name: str, id_number: str) -> AuthorityAnswer:
        cipher = get_cipher()
        record = await PopulationRecord.filter(
            id_number_hash__in=cipher.lookup_hashes(id_number, column=COL_POP_ID)
        ).first()
        if record is None:
            return AuthorityAnswer("not_found")
        if not record.alive:
            return AuthorityAnswer("deceased")
        if cipher.decrypt(record.name_enc, column=COL_POP_NAME) != name:
            return AuthorityAnswer("name_mismatch")
        return AuthorityAnswer("match", record.household_region_code)


_authority: IdentityAuthority = PopulationRegisterAuthority()


def get_authority() -> IdentityAuthority:
    return _authority


def set_authority(authority: IdentityAuthority) -> None:
    """Install the production identity service client."""
    global _authority
    _authority = authority


async def add_population_record(
    name: str, id_number: str, *, region_code: str | None = None, alive: bool = True
) -> PopulationRecord:
    """Insert or update one person of the register (idempotent by ID number)."""
    cipher = get_cipher()
    id_number = normalize_id_number(id_number)
    name = normalize_name(name)
    hashes = cipher.lookup_hashes(id_number, column=COL_POP_ID)
    record = await PopulationRecord.filter(id_number_hash__in=hashes).first()
    values = {
        "id_number_hash": cipher.lookup_hash(id_number, column=COL_POP_ID),
        "id_number_enc": cipher.encrypt(id_number, column=COL_POP_ID),
        "name_enc": cipher.encrypt(name, column=COL_POP_NAME),
        "household_region_code": region_code,
        "alive": alive,
    }
    if record is None:
        return await PopulationRecord.create(**values)
    await PopulationRecord.filter(id=record.id).update(**values)
    return await PopulationRecord.get(id=record.id)


def read_population_csv(path: Path) -> list[tuple[str, str, str | None, bool]]:
    """Rows ``name,id_number[,region_code[,alive]]`` validated up front: any bad row aborts the file."""
    rows: list[tuple[str, str, str | None, bool]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for line_no, row in enumerate(csv.reader(fh), start=1):
            if not row or (line_no == 1 and row[0].strip().lower() == "name"):
                continue
            try:
                name = normalize_name(row[0])
                number = normalize_id_number(row[1] if len(row) > 1 else "")
            except Exception as exc:  # AppError with a stable code
                problems.append(f"line {line_no}: {getattr(exc, 'code', exc)}")
                continue
            region = row[2].strip() if len(row) > 2 and row[2].strip() else None
            alive = not (len(row) > 3 and row[3].strip().lower() in ("0", "false", "deceased"))
            rows.append((name, number, region, alive))
    if problems:
        raise ValueError(
            "; ".join(problems[:20])
            + (f" (+{len(problems) - 20} more)" if len(problems) > 20 else "")
        )
    return rows
