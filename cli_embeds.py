"""Commands for embed tokens (`flask --app app embeds …`): issue a signed, expiring token that
shows one panel in another portal's iframe, list them, revoke one. Every change is audited
with the operating-system user as the actor."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from cli_access import _actor
from components.embed_panels import EMBEDDABLE, check_params
from security import embed_tokens
from services.context import get_services

embeds_cli = AppGroup("embeds", help="Embedded panels for other portals: issue, list, revoke tokens.")


@embeds_cli.command("issue")
@click.argument("panel", type=click.Choice(EMBEDDABLE))
@click.option("--label", required=True, help="the portal that shows it (for the list and the audit log)")
@click.option("--hours", type=click.IntRange(1, embed_tokens.MAX_HOURS), default=24 * 30, show_default=True,
              help="how long the token opens the panel")  # fmt: skip
@click.option("--department", help="the department's figures only (departments.id); default the whole park")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--chain", help="chain_graph: the chain drawn (its id); default the park's first")
def embeds_issue(
    panel: str, label: str, hours: int, department: str | None, lang: str, chain: str | None
) -> None:
    """Issue a token; prints the address to put in the portal's iframe (/embed/<token>)."""
    params: dict[str, str | None] = {"department": department, "lang": lang}
    if chain is not None:
        params["chain"] = chain
    try:
        token, pk = embed_tokens.issue(get_services().engine, current_app.config["SECRET_KEY"], panel, params,
                                       hours=hours, label=label, actor=_actor(), check_params=check_params)  # fmt: skip
    except embed_tokens.EmbedTokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"embed token {pk} for {label} ({panel}, {hours} h); the iframe's address:", err=True)
    click.echo(f"/embed/{token}")


@embeds_cli.command("list")
def embeds_list() -> None:
    now = datetime.now(UTC)
    for row in embed_tokens.list_tokens(get_services().engine):
        state = "revoked" if row["revoked_at"] else "expired" if row["expires_at"] <= now else "valid"
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items() if v)
        expires = row["expires_at"].isoformat(timespec="minutes")
        click.echo(f"{row['pk']:>5} {row['panel']:<18} {params:<28} {row['label']:<24} {expires} {state}")


@embeds_cli.command("revoke")
@click.argument("token_id", type=int)
def embeds_revoke(token_id: int) -> None:
    """Revoke a token: its panel is refused from the next request on."""
    try:
        embed_tokens.revoke(get_services().engine, token_id, actor=_actor())
    except embed_tokens.EmbedTokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"embed token {token_id} revoked")
