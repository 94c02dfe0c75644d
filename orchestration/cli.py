"""`dangol`: run the pipeline, make sample exports, or both (the demo)."""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from operations.preflight import OperatorError
from orchestration.config import ConfigError, DangolHome, load_config

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

# A run imports Dagster, dbt and great-expectations (4,000 modules); the garbage collector's
# passes over all of them as Python exits took 1.5 s of every `dangol run`. Frozen objects are
# still freed, and every exit handler registered later (all but this) has run before it.
atexit.register(gc.freeze)

HomeOption = Annotated[
    Path | None,
    typer.Option(help="Dangol home [default: $DANGOL_HOME or ./.dangol]", show_default=False),
]
LandingOption = Annotated[
    Path | None,
    typer.Option(
        help="Folder with shop/, crm/ and sns/ exports [default: <home>/landing]",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(help="Config file [default: $DANGOL_CONFIG or dangol.yaml]", show_default=False),
]


@contextmanager
def _refused_before_work() -> Iterator[None]:
    """A bad config or a path that cannot be used: one line, exit code 2, nothing done."""
    try:
        yield
    except ConfigError as error:
        typer.echo(f"Config error: {error}", err=True)
        raise typer.Exit(2) from None
    except OperatorError as error:
        typer.echo(f"Not started: {error}", err=True)
        raise typer.Exit(2) from None


def _run(
    home: DangolHome,
    config: Path | None,
    verbose: bool = False,
    accept_anomalies: bool = False,
    quiet: bool = False,
    force: bool = False,
) -> None:
    if not force and _nothing_new(home, config, quiet):
        return
    from orchestration.warm_gate import warm_gate

    def say(line: str) -> None:
        if not quiet:  # cron mails whatever a job prints: a good run prints nothing
            typer.echo(line)

    say(f"Running the pipeline on {home.landing}")
    # Before the imports below: the gate imports great-expectations beside them.
    with warm_gate():
        from operations.progress import progress_display
        from orchestration.runner import run_pipeline
        from publish.builds import RunLocked

        display = progress_display(sys.stdout, quiet=quiet or verbose)
        try:
            with _refused_before_work():
                outcome = run_pipeline(home, config, verbose, accept_anomalies, display)
        except RunLocked as error:
            typer.echo(f"Not started: {error}", err=True)
            raise typer.Exit(3) from None
    if not outcome.published:
        typer.echo(
            f"Run {outcome.run_id} did not publish; the published warehouse is unchanged.",
            err=True,
        )
        for problem in outcome.problems or ["no step published (see the Dagster run log)"]:
            typer.echo(f"  - {problem}", err=True)
        if outcome.quality_report:
            typer.echo(f"Quality report: {outcome.quality_report}", err=True)
        if outcome.anomaly_blocked:
            typer.echo(
                "If this change is expected (a new shop, a backfill), run again with"
                " --accept-anomalies: the anomalies are then reported, not blocking.",
                err=True,
            )
        typer.echo(f"dbt's log of this run: {home.logs_dir / 'last_run.log'}", err=True)
        _undelivered(outcome.undelivered_alerts)
        raise typer.Exit(1)
    _undelivered(outcome.undelivered_alerts)
    for warning in outcome.warnings:
        say(f"Warning: {warning}")
    if outcome.unchanged:
        say(f"Data unchanged: BI tools keep reading release {outcome.release_id}")
    else:
        say(f"Published release {outcome.release_id}")
    say(f"  BI warehouse (open read-only): {home.published_db}")
    for segment, people in outcome.exports.items():
        say(f"  Segment list {segment}: {people} people")
    if outcome.export_folder:
        say(f"  Segment lists (CSV and XLSX, owner-only): {outcome.export_folder}")
        say(f"  Export manifest: {outcome.export_manifest}")
    if outcome.marketing_report:
        say(f"  Marketing report: {outcome.marketing_report}")
    if outcome.quality_report:
        say(f"  Quality report: {outcome.quality_report}")
    if outcome.problems:
        # Published, but the lists or the report failed: marketers must not use stale ones.
        typer.echo("Segment lists or report not written:", err=True)
        for problem in outcome.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1)


def _nothing_new(home: DangolHome, config: Path | None, quiet: bool) -> bool:
    """Same inputs as the last run that succeeded: say so and stop, before Dagster loads."""
    from operations.run_inputs import check_nothing_new, note_skipped_run

    with _refused_before_work():
        settings = load_config(config)
    try:
        check = check_nothing_new(home, settings)
    except OSError:
        return False  # an unreadable landing or home: the run's own checks name it and the fix
    if not check.nothing_new:
        return False
    if not quiet:
        typer.echo(check.describe())
    note_skipped_run(home, check.last_good_run)
    return True


def _undelivered(destinations: list[str]) -> None:
    for destination in destinations:
        typer.echo(f"Alert not delivered: {destination} (the run's outcome stands)", err=True)


@app.command()
def run(
    home: HomeOption = None,
    landing: LandingOption = None,
    config: ConfigOption = None,
    verbose: Annotated[bool, typer.Option(help="Print the full Dagster event log")] = False,
    accept_anomalies: Annotated[
        bool,
        typer.Option(
            help="This run's big change against the last release is expected (a new shop,"
            " a backfill): report the anomaly checks instead of blocking on them."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress, nothing printed unless it fails")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Run even when nothing is new since the last run that succeeded (same files,"
            " code, config and day)"
        ),
    ] = False,
):
    """Ingest new exports, build and audit the marts, publish, write segment lists. With
    nothing new since the last run that succeeded, say so and stop."""
    _run(DangolHome.resolve(home, landing), config, verbose, accept_anomalies, quiet, force)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option(help="Folder to write shop/, crm/ and sns/ exports into")],
    customers: Annotated[int, typer.Option(min=1)] = 2_000,
    seed: int = 7,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day of history [default: today]"),
    ] = None,
    dirt_rate: Annotated[
        float,
        typer.Option(min=0, max=0.5, help="Share of rows with realistic dirt in the other formats"),
    ] = 0.02,
):
    """Write realistic sample export files of every format Dangol reads (deterministic for a
    seed and as-of day): Shopify, Cafe24 (CP949 CSV and XLSX), SmartStore (XLSX), CRM and SNS."""
    from operations.preflight import make_output_folder
    from sample_data.base_exports import write_sample_exports
    from sample_data.more_exports import write_channel_exports

    try:
        make_output_folder(out)
    except OperatorError as error:
        typer.echo(f"Not written: {error}", err=True)
        raise typer.Exit(2) from None
    day = as_of.date() if as_of else None
    written = write_sample_exports(out, customers, seed, day)
    others = write_channel_exports(out, seed, day, dirt_rate)
    typer.echo(
        f"Wrote {written.orders} orders ({written.order_lines} lines), {written.contacts} CRM"
        f" contacts and {written.engagement_events} SNS events under {out}, and "
        + ", ".join(f"{rows} {name.replace('_', ' ')} rows" for name, rows in others.rows.items())
    )


@app.command()
def demo(
    home: HomeOption = None,
    customers: Annotated[int, typer.Option(min=1)] = 2_000,
    seed: int = 7,
    config: ConfigOption = None,
):
    """Sample exports into the landing folder (unless it has some already), then one run."""
    paths = DangolHome.resolve(home)
    if any(paths.landing.glob("*/*")):
        # A new day's sample would be a different history, not new exports of the same one.
        typer.echo(f"Sample exports already in {paths.landing}; running on those.")
    else:
        demo_data(out=paths.landing, customers=customers, seed=seed, as_of=None, dirt_rate=0.02)
    _run(paths, config)
    typer.echo(
        "Next: the asset graph and its checks in the Dagster UI (README, 'The Dagster UI'):\n"
        f"  export DANGOL_HOME={paths.root} DAGSTER_HOME={paths.root / 'dagster'}\n"
        '  mkdir -p "$DAGSTER_HOME" && .venv/bin/dagster dev'
    )


@app.command()
def releases(home: HomeOption = None):
    """List the kept releases; the one BI tools read now is marked."""
    from publish.releases import list_releases, published_release_id

    paths = DangolHome.resolve(home)
    current = published_release_id(paths.warehouse_dir)
    kept = list_releases(paths.warehouse_dir)
    if not kept:
        typer.echo(f"No releases in {paths.warehouse_dir}")
    for release_id in kept:
        marker = "*" if current and current[0] == release_id else " "
        typer.echo(f"{marker} {release_id}")


@app.command()
def rollback(
    release: Annotated[
        str | None,
        typer.Argument(help="Release id to restore [default: the one before the current]"),
    ] = None,
    home: HomeOption = None,
):
    """Point BI tools back at an earlier release, in one atomic step."""
    from operations.run_inputs import forget_good_run
    from publish.builds import RunLocked, run_lock
    from publish.releases import ReleaseError
    from publish.releases import rollback as restore_release

    paths = DangolHome.resolve(home)
    try:
        with run_lock(paths.lock_file):
            restored = restore_release(paths.warehouse_dir, release)
            forget_good_run(paths)  # the next run publishes from the state again
    except (ReleaseError, RunLocked) as error:
        typer.echo(f"Not rolled back: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"BI tools now read release {restored}: {paths.published_db}")
    typer.echo("The next `dangol run` publishes from the pipeline's state again.")


@app.command()
def status(
    home: HomeOption = None,
    landing: LandingOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for machines")] = False,
):
    """The home at a glance: the release BI reads, the last run, stale sources, files waiting
    and in quarantine, disk use. Exits 1 when the last run did not publish or a source is stale."""
    from operations.run_inputs import check_nothing_new
    from operations.status import home_status, render_status

    paths = DangolHome.resolve(home, landing)
    with _refused_before_work():
        settings = load_config(config)
    next_run = check_nothing_new(paths, settings)
    found = home_status(paths, settings.freshness.max_days_without_new_file, next_run)
    if as_json:
        typer.echo(json.dumps(found.to_json(), default=str, ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(render_status(found)))
    raise typer.Exit(0 if found.healthy else 1)


@app.command()
def serve(
    home: HomeOption = None,
    landing: LandingOption = None,
    config: ConfigOption = None,
    dagster_home: Annotated[
        Path | None,
        typer.Option(help="Dagster's instance folder [default: $DAGSTER_HOME or <home>/dagster]"),
    ] = None,
    host: str = "127.0.0.1",
    port: int = 3000,
    webserver: Annotated[
        bool, typer.Option(help="Also start the UI (dagster-webserver); off: the daemon alone")
    ] = True,
):
    """Production: dagster-daemon (schedule, sensor, run queue) and dagster-webserver on a
    persistent Dagster home, the daily schedule and the landing sensor running."""
    import os

    from operations.preflight import check_home_writable
    from orchestration.config import config_path
    from orchestration.manifest import ensure_dbt_manifest
    from orchestration.serve import serve as serve_both

    paths = DangolHome.resolve(home, landing)
    with _refused_before_work():
        load_config(config).alerts.urls()  # a missing alert secret fails now, not at 06:00
        check_home_writable(paths.root)
    instance = dagster_home or Path(os.environ.get("DAGSTER_HOME") or paths.root / "dagster")
    ensure_dbt_manifest()
    typer.echo(f"Serving {paths.root} (Dagster home {instance.resolve()})")
    if webserver:
        typer.echo(f"  UI: http://{host}:{port}")
    code = serve_both(paths, config_path(config), instance.resolve(), host, port, webserver)
    raise typer.Exit(code)
