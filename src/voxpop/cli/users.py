"""``voxpop user``, ``voxpop token`` and ``voxpop department``: accounts from the command line."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from voxpop.accounts.audit import record
from voxpop.accounts.tokens import SCOPES, create_token, list_tokens, revoke_token
from voxpop.accounts.users import create_user, get_user_by_email, list_users
from voxpop.act.departments import create_department, get_department_by_name
from voxpop.cli import app
from voxpop.cli.common import console, err_console, open_store, user_errors

user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for the REST API.", no_args_is_help=True)
department_app = typer.Typer(help="Departments feedback is routed to.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(department_app, name="department")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("create")
def user_create(
    email: str = typer.Argument(..., help="Log-in e-mail."),
    role: str = typer.Option("agent", help="admin, manager, agent or viewer."),
    name: str = typer.Option("", help="Display name."),
    department: list[str] = typer.Option([], help="Department name (repeatable); agents see only these."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
) -> None:
    """Add a user; the password is prompted for (never echoed) unless piped with --password-stdin."""
    password = _read_password(password_stdin)
    with user_errors(), open_store() as store, store.write() as session:
        ids = [get_department_by_name(session, d).id for d in department]
        user = create_user(session, email=email, password=password, role=role, name=name, department_ids=ids)
        session.flush()
        record(session, "user_created", actor="cli", object_type="user", object_id=user.id, role=user.role)
        console.print(f"user {user.email} created (id {user.id}, role {user.role})")


@user_app.command("list")
def user_list() -> None:
    """Every user, their role and departments."""
    with open_store() as store:
        session = store.read()
        try:
            table = Table("id", "e-mail", "name", "role", "departments", "active", "last log-in")
            for user in list_users(session):
                table.add_row(
                    str(user.id),
                    user.email,
                    user.name,
                    user.role,
                    ", ".join(d.name for d in user.departments),
                    "yes" if user.is_active else "no",
                    user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "",
                )
            console.print(table)
        finally:
            session.close()


@token_app.command("create")
def token_create(
    email: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option(..., help="What the token is for."),
    scope: list[str] = typer.Option([], help=f"Repeatable: {', '.join(SCOPES)}."),
) -> None:
    """Create an API token; it is printed once and cannot be shown again."""
    with user_errors(), open_store() as store, store.write() as session:
        user = get_user_by_email(session, email)
        token = create_token(session, user, name=name, scopes=scope)
    err_console.print(f"token '{name}' for {email} ({', '.join(sorted(set(scope)))}); store it now:")
    console.print(token, highlight=False, soft_wrap=True)


@token_app.command("list")
def token_list(email: str = typer.Argument(..., help="Whose tokens.")) -> None:
    """A user's tokens (never their secret), newest last."""
    with user_errors(), open_store() as store:
        session = store.read()
        try:
            table = Table("id", "name", "prefix", "scopes", "created", "last used", "revoked")
            for token in list_tokens(session, get_user_by_email(session, email)):
                table.add_row(
                    str(token.id),
                    token.name,
                    token.prefix + "…",
                    " ".join(token.scopes),
                    token.created_at.strftime("%Y-%m-%d %H:%M"),
                    token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "",
                    token.revoked_at.strftime("%Y-%m-%d %H:%M") if token.revoked_at else "",
                )
            console.print(table)
        finally:
            session.close()


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="The id shown by 'voxpop token list'.")) -> None:
    """Revoke a token: the API refuses it from now on."""
    with user_errors(), open_store() as store, store.write() as session:
        token = revoke_token(session, token_id)
        console.print(f"token {token.id} ('{token.name}') revoked")


@department_app.command("create")
def department_create(
    name: str = typer.Argument(..., help="Department name."),
    description: str = typer.Option("", help="What it handles."),
    sla_hours: int | None = typer.Option(None, help="Hours to answer an item."),
    email: str | None = typer.Option(None, help="Team e-mail for digests and alerts."),
) -> None:
    """Add a department."""
    with user_errors(), open_store() as store, store.write() as session:
        department = create_department(session, name=name, description=description, sla_hours=sla_hours, email=email)
        console.print(f"department '{department.name}' created (id {department.id})")
