"""``zhushida certificates …``: check an identifier, list the declared types."""

from __future__ import annotations

import click

from core.certificates.identifier import InvalidIdentifier, parse


@click.group()
def certificates() -> None:
    """E-certificates (电子证照)."""


@certificates.command("check")
@click.argument("identifier")
def check(identifier: str) -> None:
    """Parse a GB/T 36904 identifier and verify its MOD 37,36 check character."""
    try:
        ident = parse(identifier)
    except InvalidIdentifier as exc:
        raise click.ClickException(f"invalid identifier: {exc}") from exc
    click.echo(f"type {ident.type_code} · issuer {ident.issuer_credit_code} · serial {ident.serial} · "
               f"version {ident.version:03d} · check {ident.check}: valid")


@certificates.command("types")
def list_types() -> None:
    """The certificate types the installed plugins declare."""
    from core.certificates import registry

    for code, ctype in sorted(registry.types().items()):
        click.echo(f"{code}\t{ctype.name}\t{ctype.issuer_name} ({registry.owner(code)})")
