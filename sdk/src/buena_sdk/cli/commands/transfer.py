"""``buena leads import`` and ``buena leads export``, with progress bars."""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Optional

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from buena_sdk.cli import output
from buena_sdk.cli.app import EXIT_FAILURE, EXIT_OK, Cli, fail, pass_cli
from buena_sdk.cli.commands.leads import filter_options, leads
from buena_sdk.cli.importer import Importer, ImportSummary
from buena_sdk.cli.mapping import ColumnMapping, MappingError, parse_overrides
from buena_sdk.cli.sources import (
    Source,
    SourceError,
    default_failed_path,
    write_failed,
)
from buena_sdk.models import MAX_BATCH_SIZE

# Each batch may wait out a rate-limit window: more retries than the SDK's default 2.
IMPORT_RETRIES = 8


class RowsPerSecond(TextColumn):
    """The rate in rows per second (rich's own speed column counts bytes)."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        speed = task.finished_speed or task.speed
        return f"{speed:,.0f} rows/s" if speed else "- rows/s"


def progress_bar(what: str) -> Progress:
    """A bar with count, rate and ETA on stderr; off when stderr is not a terminal."""
    return Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RowsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=output.stderr,
        disable=not output.stderr.is_terminal,
        transient=False,
    )


@leads.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mode",
    type=click.Choice(("create", "upsert")),
    default="create",
    show_default=True,
    help="create: an existing email is an error; upsert: update that lead.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Map a column to a lead field, custom_fields.<key>, or - to skip it.",
)
@click.option("--dry-run", is_flag=True, help="Map and check every row; send nothing.")
@click.option(
    "--failed-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the failed rows (default: FILE.failed.<ext>).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_BATCH_SIZE),
    default=MAX_BATCH_SIZE,
    show_default=True,
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Batches in flight at once.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_cli
def import_leads(state: Cli, /, file: Path, mode: str, maps: tuple[str, ...], dry_run: bool,
                 failed_file: Optional[Path], batch_size: int, concurrency: int,
                 as_json: bool) -> int:  # fmt: skip
    """Import leads from FILE (.csv, .json or .ndjson) in batches.

    Columns are mapped by name (First Name -> first_name, E-mail -> email, Job Title ->
    job_title...); other columns become custom fields. The rows that fail are written,
    with their line and the reason, to the failed-rows file, which imports as it is once
    fixed. Exit 1 when any row failed. Running an import again duplicates nothing."""
    try:
        mapping = ColumnMapping(parse_overrides(maps))
        source = Source(file)
    except (MappingError, SourceError) as exc:
        fail(str(exc))
    api = state.api(retries=IMPORT_RETRIES) if not dry_run else None
    failed_path = failed_file or default_failed_path(file)
    with progress_bar("Checking" if dry_run else "Importing") as progress:
        total = source.count() if not progress.disable else None
        task = progress.add_task("import", total=total)
        importer = Importer(
            api,
            mapping,
            mode=mode,
            from_text=source.format == "csv",
            batch_size=batch_size,
            concurrency=concurrency,
            advance=lambda rows: progress.advance(task, rows),
        )
        try:
            if dry_run:
                for _ in importer.checked(_rows(source)):
                    progress.advance(task, 1)
            else:
                importer.run(_rows(source))
        except KeyboardInterrupt:
            _report(importer.summary, source, failed_path, dry_run, as_json, interrupted=True)
            raise
    if dry_run and not as_json:
        _print_mapping(mapping, source.columns)
    return _report(importer.summary, source, failed_path, dry_run, as_json)


def _rows(source: Source) -> Iterator[Any]:
    try:
        yield from source.rows()
    except SourceError as exc:
        fail(str(exc))
    except UnicodeDecodeError as exc:
        fail(f"{source.path}: not UTF-8 text ({exc.reason} at byte {exc.start})")


def _print_mapping(mapping: ColumnMapping, columns: list[str]) -> None:
    output.note("Column mapping:")
    for column, target in mapping.describe(columns):
        output.note(f"  {column} -> {'(skipped)' if target == '-' else target}")


def _report(summary: ImportSummary, source: Source, failed_path: Path, dry_run: bool,
            as_json: bool, *, interrupted: bool = False) -> int:  # fmt: skip
    if summary.failed:
        write_failed(failed_path, source.format, source.columns, summary.failed)
    if as_json:
        data = summary.as_json()
        data["failed_file"] = str(failed_path) if summary.failed else None
        data["dry_run"] = dry_run
        data["interrupted"] = interrupted
        output.print_json(data)
    else:
        verb = "Checked" if dry_run else "Imported"
        good = summary.rows - len(summary.failed) if dry_run else summary.succeeded
        counts = "" if dry_run else (
            f": {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged"
        )  # fmt: skip
        output.note(f"{verb} {good} of {summary.rows} rows{counts}; {len(summary.failed)} failed")
        for failure in sorted(summary.failed, key=lambda f: f.line)[:10]:
            output.note(f"  line {failure.line}: {failure.reason}")
        if len(summary.failed) > 10:
            output.note(f"  ... and {len(summary.failed) - 10} more")
        if summary.failed:
            output.note(f"Failed rows written to {failed_path} (fix them and import that file)")
        if interrupted:
            output.note("Interrupted: run the same import again to finish; nothing is duplicated")
    return EXIT_FAILURE if summary.failed else EXIT_OK


@leads.command("export")
@filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("csv", "ndjson")),
    help="Default: from -o's extension, else ndjson.",
)
@click.option(
    "-o",
    "--output",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout). Written whole or not at all.",
)
@pass_cli
def export_leads(state: Cli, /, fmt: Optional[str], target: Optional[Path], **filters: Any) -> None:
    """Export every lead matching the filters, as CSV or NDJSON."""
    if fmt is None:
        fmt = "csv" if target is not None and target.suffix.lower() == ".csv" else "ndjson"
    api = state.api()
    with progress_bar("Exporting") as progress:
        total = None
        if not progress.disable:
            total = api.list_leads(1, None, None, None, filters["search"], filters["company"],
                                   filters["status"], None, filters["tags"],
                                   filters["created_after"], filters["created_before"],
                                   filters["updated_after"], filters["updated_before"],
                                   filters["has_email"]).total  # fmt: skip
        task = progress.add_task("export", total=total)
        chunks = api.export_leads(fmt, **filters)
        # Rows counted by line ends: exact for NDJSON; a CSV note holding a line break
        # counts twice, so the bar is capped at the total and the CSV summary gives bytes.
        rows = size = 0
        with _destination(target) as sink:
            header = fmt == "csv"
            for chunk in chunks:
                sink.write(chunk)
                size += len(chunk)
                lines = chunk.count(b"\n")
                if header and lines:
                    lines, header = lines - 1, False
                rows += lines
                progress.update(task, completed=min(rows, total) if total else rows)
    if target is not None:
        what = f"{rows} leads" if fmt == "ndjson" else f"{size:,} bytes of CSV"
        output.note(f"Exported {what} to {target}")


@contextlib.contextmanager
def _destination(target: Optional[Path]) -> Iterator[IO[bytes]]:
    if target is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("wb") as file:
            yield file
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
