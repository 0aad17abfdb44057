"""``voxpop ingest FILE``: import a CSV, JSON or JSON Lines export (gzip or not) into the store."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from voxpop.cli import app
from voxpop.cli.common import console, err_console, load_settings, open_store, user_errors
from voxpop.cli.reanalyze import analyze_with_progress
from voxpop.ingest.connectors.detect import file_formats
from voxpop.ingest.mapping import MAP_HELP, parse_map, parse_scale
from voxpop.ingest.reader import FORMATS
from voxpop.ingest.service import ImportOptions, ImportSummary, import_file
from voxpop.store import Store

SHOWN_ERRORS = 10


def _interrupt_on_sigterm() -> None:
    """SIGTERM ends an import like Ctrl-C: the current batch is rolled back and the run marked interrupted."""

    def _raise(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)


@app.command("ingest")
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, JSON or JSONL file, optionally gzip-compressed.")],
    source: Annotated[
        str | None, typer.Option(help="Name of the source the items belong to (default: the file's name).")
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="Channel of the items, e.g. twitter, google, tripadvisor, survey.")
    ] = None,
    kind: Annotated[str, typer.Option(help="review, mention, survey, ticket, feedback, note or idea.")] = "review",
    map_: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
    rating_scale: Annotated[
        str | None, typer.Option(help="The ratings' scale as LOW-HIGH, e.g. 1-5 (the default) or 0-10.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding, e.g. latin-1 or cp1252 (default: UTF-8, or as the BOM says).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, json, jsonl or a platform's export format (see `voxpop formats`); default: found from the file.",
        ),
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Write every rejected row, with the reason, to this CSV file.")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="IANA time zone of the times written without an offset, e.g. Europe/Madrid (default: UTC). "
            "Times with an offset, and formats whose platform names the zone, are not affected."
        ),
    ] = None,
    competitor: Annotated[
        str | None,
        typer.Option(
            help="The items are a competitor's (e.g. its reviews): the competitor's name. They count only in "
            "the competitor benchmark, never in your own metrics."
        ),
    ] = None,
    analyze: Annotated[
        bool | None,
        typer.Option(
            "--analyze/--no-analyze",
            help="Analyse the new items once stored (default: the analyze_on_ingest setting, on). "
            "`voxpop reanalyze` finishes what an interrupted or --no-analyze import left.",
        ),
    ] = None,
) -> None:
    """Import FILE. Re-running the same import adds only what is new.

    Columns map to item fields with --map FIELD=COLUMN,… ; without it, columns named like a field are
    used; the other columns are kept with each item (its raw record). Bad rows are rejected (file, row
    and field named) and the rest are stored; a file that cannot be read at all is refused before anything
    is written. Ctrl-C keeps the batches written so far: run the same command again to finish.
    """
    with user_errors():
        if fmt is not None and fmt not in FORMATS and fmt not in {f.name for f in file_formats()}:
            known = ", ".join([*FORMATS, *(f.name for f in file_formats())])
            raise typer.BadParameter(f"{fmt!r} is not one of {known}", param_hint="--format")
        options = ImportOptions(
            source=source,
            channel=channel,
            kind=kind,
            mapping=parse_map(map_) if map_ else None,
            rating_scale=parse_scale(rating_scale) if rating_scale else None,
            encoding=encoding,
            format=fmt,
            rejects=rejects,
            timezone=timezone,
        )
        _interrupt_on_sigterm()
        settings = load_settings()
        analyse_after = settings.analyze_on_ingest if analyze is None else analyze
        added: list[int] = []  # kept only when they are analysed afterwards: ~36 bytes an item
        collect = added.extend if analyse_after else None
        with open_store(settings) as store:
            with _progress() as progress:
                task = progress.add_task(f"ingest {file.name}", total=None)

                def on_progress(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                try:
                    summary = import_file(
                        store,
                        file,
                        options,
                        on_added=collect,
                        on_progress=on_progress,
                        on_updated=collect,  # edited on the platform: analysed again
                    )
                except KeyboardInterrupt:
                    progress.stop()
                    err_console.print(
                        "interrupted: the batches written so far are kept; run the same command to finish.",
                        soft_wrap=True,
                    )
                    raise typer.Exit(130) from None
            _print_summary(summary)
            if competitor is not None:
                _mark_competitor(store, summary.source, competitor)
            if added and analyse_after:
                try:
                    analyze_with_progress(store, added)
                except KeyboardInterrupt:
                    err_console.print("analysis interrupted: `voxpop reanalyze` finishes it.", soft_wrap=True)
                    raise typer.Exit(130) from None


@app.command("formats")
def formats() -> None:
    """List the platform export formats `voxpop ingest` recognises, with what each can read."""
    for fmt in file_formats():
        caps = fmt.capabilities
        console.print(f"{fmt.name}: {fmt.label}", markup=False, highlight=False, soft_wrap=True)
        details = f"reads {', '.join(caps.reads)}" + (f"; {caps.history}" if caps.history else "")
        console.print(f"    {details}", markup=False, highlight=False, soft_wrap=True)
        if caps.docs_url:
            console.print(f"    format: {caps.docs_url}", markup=False, highlight=False, soft_wrap=True)
    console.print("Any other CSV, JSON or JSON Lines file: `voxpop ingest FILE --map text=COLUMN,…`.", markup=False)


def _mark_competitor(store: Store, source_name: str, brand: str) -> None:
    from sqlalchemy import select

    from voxpop.measure.competitors import set_competitor
    from voxpop.store.models import Source

    with store.write() as session:
        source_id = session.scalar(select(Source.id).where(Source.name == source_name))
        if source_id is not None:
            set_competitor(session, None, source_id, brand)
            console.print(f"source '{source_name}' is {brand}'s: benchmarked, not counted as yours", markup=False)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def _print_summary(summary: ImportSummary) -> None:
    console.print(
        f"{summary.path} → source '{summary.source}' (run {summary.run_id}): "
        f"read {summary.read:,}, added {summary.added:,}, already present {summary.duplicates:,}, "
        f"rejected {summary.rejected:,}"
        + (f", updated in place {summary.updated:,}" if summary.updated else "")
        + (f" [format: {summary.format}]" if summary.format else ""),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    for message in summary.errors[:SHOWN_ERRORS]:
        err_console.print(f"  rejected: {message}", highlight=False, markup=False, soft_wrap=True)
    if summary.rejected > SHOWN_ERRORS:
        more = summary.rejected - SHOWN_ERRORS
        err_console.print(f"  … and {more:,} more", highlight=False, markup=False, soft_wrap=True)
