"""`dangol`: run the pipeline, make sample exports, or both (the demo)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from orchestration.config import ConfigError, DangolHome

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

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


def _run(home: DangolHome, config: Path | None, verbose: bool = False) -> None:
    from orchestration.runner import RunLocked, run_pipeline

    typer.echo(f"Running the pipeline on {home.landing}")
    try:
        outcome = run_pipeline(home, config, verbose)
    except ConfigError as error:
        typer.echo(f"Config error: {error}", err=True)
        raise typer.Exit(2) from None
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
        typer.echo(f"dbt's log of this run: {home.root / 'logs' / 'last_run.log'}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Published release {outcome.release_id}")
    typer.echo(f"  BI warehouse (open read-only): {home.published_db}")
    for segment, people in outcome.exports.items():
        typer.echo(f"  Segment list {segment}: {people} people")
    typer.echo(f"  Segment lists: {home.exports_dir / str(outcome.release_id)}")


@app.command()
def run(
    home: HomeOption = None,
    landing: LandingOption = None,
    config: ConfigOption = None,
    verbose: Annotated[bool, typer.Option(help="Print the full Dagster event log")] = False,
):
    """Ingest new exports, build and audit the marts, publish, write segment lists."""
    _run(DangolHome.resolve(home, landing), config, verbose)


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
    from ingest.sample_channels import write_channel_exports
    from ingest.sample_exports import write_sample_exports

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
        "Next: DAGSTER_HOME=$PWD/.dangol/dagster dagster dev  (the asset graph and its checks)"
    )
