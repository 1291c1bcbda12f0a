"""Who may use crisisplan: console users (`user add`, `user list`) and API tokens (`token add`, `token revoke`).
"""

from __future__ import annotations

import click

from crisisplan.cli.shared import (
    actor_option,
    emit,
    friendly,
    main,
    open_services,
    pass_json,
    plan_option,
    table,
    when,
)


@main.group()
def user() -> None:
    """People who use the console."""


@user.command(name="add")
@click.argument("name")
@click.option("--role", required=True, help="viewer, responder, communicator, approver or admin.")
@click.option("--password", default=None, help="Their password (default: a generated one, printed once). "
              "Or set CRISISPLAN_PASSWORD.", envvar="CRISISPLAN_PASSWORD")
@actor_option
@plan_option
@pass_json
@friendly
def user_add(name: str, role: str, password: str | None, actor: str | None, plan_dir: str | None,
             as_json: bool) -> None:
    """Add a person who can log in to the console."""
    from crisisplan.services import default_actor
    from crisisplan.services.accounts import Accounts

    account, secret = Accounts(open_services(plan_dir).db).add_user(name, role, password, actor or default_actor())
    if as_json:
        emit({"id": account.id, "name": account.name, "role": account.role,
               "password": None if password else secret})
        return
    click.echo(f"user {account.name} ({account.role}) added")
    if not password:
        click.echo(f"password: {secret}  (shown once)")


@user.command(name="list")
@plan_option
@pass_json
@friendly
def user_list(plan_dir: str | None, as_json: bool) -> None:
    """Everyone who can log in, with their role."""
    from crisisplan.services.accounts import Accounts

    users = Accounts(open_services(plan_dir).db).users()
    if as_json:
        emit([{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat()} for u in users])
        return
    table(["NAME", "ROLE", "SINCE"], [[u.name, u.role, when(u.created_at)] for u in users])


@main.group()
def token() -> None:
    """API tokens for scripts and other tools."""


@token.command(name="add")
@click.argument("name")
@click.option("--role", required=True, help="viewer, responder, communicator, approver or admin.")
@actor_option
@plan_option
@pass_json
@friendly
def token_add(name: str, role: str, actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Create an API token; it is shown once and stored only as a hash."""
    from crisisplan.services import default_actor
    from crisisplan.services.accounts import Accounts

    token_id, secret = Accounts(open_services(plan_dir).db).add_token(name, role, actor or default_actor())
    if as_json:
        emit({"id": token_id, "name": name, "role": role, "token": secret})
        return
    click.echo(f"token {token_id} for {name} ({role}): {secret}")
    click.echo("shown once: store it now; use it as  Authorization: Bearer <token>")


@token.command(name="revoke")
@click.argument("token_id", type=int)
@actor_option
@plan_option
@pass_json
@friendly
def token_revoke(token_id: int, actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Revoke an API token."""
    from crisisplan.services import default_actor
    from crisisplan.services.accounts import Accounts

    Accounts(open_services(plan_dir).db).revoke_token(token_id, actor or default_actor())
    emit({"revoked": token_id}) if as_json else click.echo(f"token {token_id} revoked")
