"""``voxpop surveys …`` and ``voxpop invitations …``: the close-the-loop channels from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
import yaml
from rich.table import Table

from voxpop.cli import app
from voxpop.cli.common import console, err_console, open_store, user_errors
from voxpop.errors import IngestError, ValidationError
from voxpop.loop import invitations as review
from voxpop.loop.survey_mail import add_recipients, send_invitations
from voxpop.loop.survey_results import export_csv, results
from voxpop.loop.surveys import create_survey, get_survey, list_surveys, spec_from_dict

surveys_app = typer.Typer(help="Surveys: create from a file, invite, results, export.", no_args_is_help=True)
invitations_app = typer.Typer(help="Review invitations (the same for every customer).", no_args_is_help=True)
app.add_typer(surveys_app, name="surveys")
app.add_typer(invitations_app, name="invitations")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise IngestError(str(path), "no such file") from None
    except UnicodeDecodeError:
        raise IngestError(str(path), "is not UTF-8 text") from None


@surveys_app.command("list")
def surveys_list() -> None:
    """Every survey, with its public link's slug and its number of responses."""
    with open_store() as store, store.read() as session:
        table = Table("id", "title", "slug", "state", "responses")
        for survey in list_surveys(session):
            total, _ = results(session, survey)
            table.add_row(str(survey.id), survey.title, survey.slug, "open" if survey.is_open else "closed", str(total))
        console.print(table)


@surveys_app.command("create")
def surveys_create(
    file: Path = typer.Argument(..., help="YAML or JSON: title, intro, questions (kind, prompt…)."),
) -> None:
    """Create a survey from a file; prints its public link."""
    with user_errors():
        try:
            data = yaml.safe_load(_read_text(file))
        except yaml.YAMLError as exc:
            raise IngestError(str(file), f"is not valid YAML: {exc}") from exc
        with open_store() as store, store.write() as session:
            try:
                survey = create_survey(session, spec_from_dict(data, str(file)))
            except ValidationError as exc:
                message = str(exc)
                raise ValidationError(message if message.startswith(str(file)) else f"{file}: {message}") from exc
            link = f"{store.settings.base_url.rstrip('/')}/s/{survey.slug}"
            console.print(f"survey {survey.id} created: {link}")


@surveys_app.command("invite")
def surveys_invite(
    survey_id: int = typer.Argument(...),
    file: Path = typer.Argument(..., help="CSV with an 'email' column ('name' optional)."),
    send: bool = typer.Option(False, "--send", help="Also mail every recipient not mailed yet."),
) -> None:
    """Add recipients (personal links) from a CSV; with --send, mail them their invitation."""
    with user_errors(), open_store() as store:
        rows = review.read_customers(_read_text(file), str(file))
        with store.write() as session:
            added, known = add_recipients(session, get_survey(session, survey_id), [(r.email, r.name) for r in rows])
        console.print(f"{added} recipients added, {known} already invited")
        if send:
            result = send_invitations(store, survey_id)
            console.print(f"{result.sent} mailed, {result.opted_out} opted out, {len(result.errors)} failed")
            for error in result.errors:
                err_console.print(error)


@surveys_app.command("results")
def surveys_results(survey_id: int = typer.Argument(...)) -> None:
    """NPS, CSAT, means and counts per question."""
    with user_errors(), open_store() as store, store.read() as session:
        survey = get_survey(session, survey_id)
        total, per_question = results(session, survey)
        console.print(f"{survey.title}: {total} responses")
        for r in per_question:
            line = f"- {r.question.prompt} [{r.question.kind}] {r.answers} answers"
            if r.nps is not None:
                line += f", NPS {r.nps:+.0f}"
            if r.csat is not None:
                line += f", CSAT {r.csat:.0f}%"
            if r.mean is not None:
                line += f", mean {r.mean:.2f}"
            console.print(line, markup=False, highlight=False)


@surveys_app.command("export")
def surveys_export(survey_id: int = typer.Argument(...)) -> None:
    """The responses as CSV on stdout (cells that look like formulas are defused)."""
    with user_errors(), open_store() as store, store.read() as session:
        survey = get_survey(session, survey_id)
        for line in export_csv(session, survey):
            sys.stdout.write(line)


@invitations_app.command("link")
def invitations_link(
    platform: str = typer.Argument(..., help="google, yelp, tripadvisor or trustpilot"),
    url: str = typer.Argument(..., help="The page where a customer writes the review."),
    location: str = typer.Option("", help="Only for this location (default: every location without its own)."),
) -> None:
    """Set where customers review the business on a platform."""
    with user_errors(), open_store() as store, store.write() as session:
        link = review.set_link(session, platform, url, location or None)
        console.print(f"{link.platform} link for {link.location or 'every location'} saved")


@invitations_app.command("send")
def invitations_send(
    file: Path = typer.Argument(..., help="CSV of recent customers: email (required), name, location."),
    platform: str = typer.Option(..., help="google, yelp, tripadvisor or trustpilot"),
    location: str = typer.Option("", help="Location for rows without one."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say who would be invited; send nothing."),
) -> None:
    """Invite every customer in FILE to review on PLATFORM — the same invitation for all (no gating)."""
    with user_errors(), open_store() as store:
        rows = review.read_customers(_read_text(file), str(file))
        result = review.send_invitations(store, rows, platform, location=location or None, dry_run=dry_run)
        verb = "would invite" if dry_run else "invited"
        console.print(
            f"{verb} {len(result.sent)}; opted out {len(result.opted_out)}; invited recently {len(result.capped)}; "
            f"repeated rows {result.duplicates}; failed {len(result.errors)}"
        )
        for error in result.errors:
            err_console.print(error, markup=False)
        if result.errors:
            raise typer.Exit(1)
