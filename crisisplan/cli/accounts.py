"""Who may use crisisplan: console users (`user add|list|disable|enable|remove|role|passwd`) and API tokens
(`token add`, `token revoke`). Every change to people is an admin action in the audit trail, by `--as`.
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
    from crisisplan.services.accounts import Accounts

    account, secret = Accounts(open_services(plan_dir).db).add_user(name, role, password, _who(actor))
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
        emit([{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat(), "active": u.active,
               "sso": bool(u.sso_subject)} for u in users])
        return
    table(["NAME", "ROLE", "SINCE", "STATUS"],
          [[u.name, u.role, when(u.created_at), _status(u.active, bool(u.sso_subject))] for u in users])


def _status(active: bool, sso: bool) -> str:
    return ("active" if active else "disabled") + (", signs in through SSO" if sso else "")


def _who(actor: str | None) -> str:
    from crisisplan.services import default_actor

    return actor or default_actor()


def _change(what: str, name: str, actor: str | None, plan_dir: str | None, as_json: bool, **extra: str) -> None:
    """One admin change to a person, then say what happened."""
    from crisisplan.services.accounts import Accounts

    accounts = Accounts(open_services(plan_dir).db)
    done = {"disable": "disabled; their sessions ended", "enable": "enabled",
            "remove": "removed; their sessions ended", "role": f"now {extra.get('role')}; their sessions ended"}
    if what == "disable":
        accounts.disable_user(name, _who(actor))
    elif what == "enable":
        accounts.enable_user(name, _who(actor))
    elif what == "remove":
        accounts.remove_user(name, _who(actor))
    else:
        accounts.set_role(name, extra["role"], _who(actor))
    emit({"user": name, what: True, **extra}) if as_json else click.echo(f"user {name} {done[what]}")


def _confirm(question: str, yes: bool) -> None:
    if not yes and not click.confirm(question, default=False):
        raise click.Abort()


yes_option = click.option("--yes", is_flag=True, help="Do not ask for confirmation.")


@user.command(name="disable")
@click.argument("name")
@yes_option
@actor_option
@plan_option
@pass_json
@friendly
def user_disable(name: str, yes: bool, actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Keep a person out: no login, and every session they have ends now."""
    _confirm(f"Disable {name} and end their sessions?", yes)
    _change("disable", name, actor, plan_dir, as_json)


@user.command(name="enable")
@click.argument("name")
@actor_option
@plan_option
@pass_json
@friendly
def user_enable(name: str, actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Let a disabled person log in again."""
    _change("enable", name, actor, plan_dir, as_json)


@user.command(name="remove")
@click.argument("name")
@yes_option
@actor_option
@plan_option
@pass_json
@friendly
def user_remove(name: str, yes: bool, actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Delete a person's account (their id is never given to anybody else)."""
    _confirm(f"Remove {name} for good?", yes)
    _change("remove", name, actor, plan_dir, as_json)


@user.command(name="role")
@click.argument("name")
@click.argument("role")
@actor_option
@plan_option
@pass_json
@friendly
def user_role(name: str, role: str, actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Give a person another role (viewer, responder, communicator, approver, admin); their sessions end."""
    _change("role", name, actor, plan_dir, as_json, role=role)


@user.command(name="passwd")
@click.argument("name")
@click.option("--password", default=None, help="The new password (default: a generated one, printed once). "
              "Or set CRISISPLAN_PASSWORD.", envvar="CRISISPLAN_PASSWORD")
@actor_option
@plan_option
@pass_json
@friendly
def user_passwd(name: str, password: str | None, actor: str | None, plan_dir: str | None, as_json: bool) -> None:
    """Give a person a new password; their sessions end."""
    from crisisplan.services.accounts import Accounts

    secret = Accounts(open_services(plan_dir).db).set_password(name, password, _who(actor))
    if as_json:
        emit({"user": name, "password": None if password else secret})
        return
    click.echo(f"password of {name} changed; their sessions ended")
    if not password:
        click.echo(f"password: {secret}  (shown once)")


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
