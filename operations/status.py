"""The home at a glance: what BI reads, how the last run ended, what is stale, waiting or in
quarantine, and what the home uses on disk. `dangol status` prints it; alerts reuse freshness."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingest.landing import QUARANTINE_DIR, Ledger, file_sha256, landing_files
from ingest.presets import SOURCE_FAMILIES
from operations.outcomes import RunOutcome
from publish.duckdb_files import is_lock_conflict
from publish.releases import PUBLISHED_NAME

if TYPE_CHECKING:
    from operations.run_inputs import NothingNew
    from orchestration.config import DangolHome

REASON_SUFFIX = ".reason.txt"


@dataclass(frozen=True)
class SourceFreshness:
    family: str
    newest_file: str | None
    newest_file_loaded_at: dt.datetime | None
    max_days_without_new_file: int | None
    stale: bool

    def describe(self) -> str:
        if self.newest_file_loaded_at is None:
            return f"{self.family}: no file loaded yet"
        days = (dt.datetime.now(dt.UTC) - self.newest_file_loaded_at).days
        allowed = (
            f"; allowed {self.max_days_without_new_file}" if self.max_days_without_new_file else ""
        )
        return (
            f"{self.family}: newest file {self.newest_file} loaded"
            f" {self.newest_file_loaded_at:%Y-%m-%d %H:%M} UTC ({days} days ago{allowed})"
        )


# What an alert names when a source goes stale.
StaleSource = SourceFreshness


class StateInUse(RuntimeError):
    """A run is building on the state file (publish.builds) and holds its lock for now."""


@contextmanager
def _reading_state(state_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        con = duckdb.connect(str(state_db), read_only=True)
    except duckdb.IOException as error:
        if not is_lock_conflict(error):
            raise
        raise StateInUse(f"a run is building on {state_db}") from None
    with con:
        yield con


@dataclass(frozen=True)
class QuarantinedFile:
    file: str
    reason: str


@dataclass
class HomeStatus:
    home: str
    landing: str
    release_id: str | None = None
    published_at: str | None = None
    last_run: RunOutcome | None = None
    sources: list[SourceFreshness] = field(default_factory=list)
    # Newest order per shop (shopify, cafe24, smartstore) in the published release.
    newest_orders: dict[str, str] = field(default_factory=dict)
    waiting_files: list[str] = field(default_factory=list)
    quarantined: list[QuarantinedFile] = field(default_factory=list)
    disk_bytes: dict[str, int] = field(default_factory=dict)
    # Whether the next `dangol run` would find nothing new (None: not checked).
    next_run: NothingNew | None = None
    # A run is building on the state: sources and waiting files are unknown until it ends.
    state_in_use: bool = False

    @property
    def stale_sources(self) -> list[SourceFreshness]:
        return [source for source in self.sources if source.stale]

    @property
    def healthy(self) -> bool:
        """What cron and monitoring check: the last run published and every source is fresh."""
        return bool(self.last_run and self.last_run.published) and not self.stale_sources

    def to_json(self) -> dict:
        record = dataclasses.asdict(self)
        record["last_run"] = (
            {**dataclasses.asdict(self.last_run), "verdict": self.last_run.verdict.value}
            if self.last_run
            else None
        )
        record["healthy"] = self.healthy
        record["next_run"] = self.next_run and {
            "nothing_new": self.next_run.nothing_new,
            "last_good_run": self.next_run.last_good_run
            and dataclasses.asdict(self.next_run.last_good_run),
            "changed": list(self.next_run.changed),
        }
        record["stale_sources"] = [source.family for source in self.stale_sources]
        return record


def source_freshness(
    state_db: Path, max_days: Mapping[str, int], now: dt.datetime | None = None
) -> list[SourceFreshness]:
    """Per source family, the newest file the published state loaded; stale when older than
    the days `freshness:` allows. A family that never had a file is not stale: it is unused."""
    now = now or dt.datetime.now(dt.UTC)
    newest: dict[str, tuple[str, dt.datetime]] = {}
    if state_db.exists():
        with _reading_state(state_db) as con:
            rows = con.execute(
                "select source_family, arg_max(file_name, ingested_at), max(ingested_at)"
                " from raw.ingest_files group by source_family"
            ).fetchall()
        newest = {family: (name, loaded_at) for family, name, loaded_at in rows}
    sources = []
    for family in SOURCE_FAMILIES:
        name, loaded_at = newest.get(family, (None, None))
        allowed = max_days.get(family)
        stale = bool(loaded_at and allowed and now - loaded_at > dt.timedelta(days=allowed))
        sources.append(SourceFreshness(family, name, loaded_at, allowed, stale))
    return sources


def _published_release(warehouse_dir: Path) -> tuple[str | None, str | None, dict[str, str]]:
    published = warehouse_dir / PUBLISHED_NAME
    if not published.exists():
        return None, None, {}
    with duckdb.connect(str(published), read_only=True) as con:
        release_id, published_at = con.execute(
            "select release_id, published_at from meta.release"
        ).fetchone()
        orders = con.execute(
            "select source, max(ordered_at) from marts.fct_orders group by source order by source"
        ).fetchall()
    return release_id, str(published_at), {source: str(newest) for source, newest in orders}


def _waiting_files(landing: Path, state_db: Path) -> list[str]:
    """Landing files whose contents the published state has not loaded yet."""
    ledger = Ledger(contents=set(), files=set())
    if state_db.exists():
        with _reading_state(state_db) as con:
            ledger = Ledger.read(con)
    return [
        f"{family}/{path.relative_to(landing / family)}"
        for family, path in landing_files(landing)
        if not ledger.holds_unchanged(path, path.stat())
        and file_sha256(path) not in ledger.contents
    ]


def _quarantined(landing: Path) -> list[QuarantinedFile]:
    found = []
    for note in sorted((landing / QUARANTINE_DIR).glob(f"*/*{REASON_SUFFIX}")):
        reason = next(
            (
                line.removeprefix("reason: ")
                for line in note.read_text(encoding="utf-8").splitlines()
                if line.startswith("reason: ")
            ),
            "(no reason recorded)",
        )
        file = note.relative_to(landing).as_posix().removesuffix(REASON_SUFFIX)
        found.append(QuarantinedFile(file=file, reason=reason))
    return found


def disk_usage(*folders: Path) -> int:
    """Bytes of the files under `folders`, links not followed (the parquet link is a release),
    each file once: releases share their unchanged Parquet files by hard link, and a build is
    the state file under another name."""
    files = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                stat = path.lstat()
                files[stat.st_dev, stat.st_ino] = stat.st_size
    return sum(files.values())


def home_status(
    home: DangolHome, max_days: Mapping[str, int], next_run: NothingNew | None = None
) -> HomeStatus:
    release_id, published_at, newest_orders = _published_release(home.warehouse_dir)
    landing_exists = home.landing.is_dir()
    try:
        sources = source_freshness(home.state_db, max_days)
        waiting = _waiting_files(home.landing, home.state_db) if landing_exists else []
        state_in_use = False
    except StateInUse:
        sources, waiting, state_in_use = [], [], True
    return HomeStatus(
        home=str(home.root),
        landing=str(home.landing),
        release_id=release_id,
        published_at=published_at,
        last_run=RunOutcome.load(home.last_run_file),
        sources=sources,
        newest_orders=newest_orders,
        waiting_files=waiting,
        quarantined=_quarantined(home.landing) if landing_exists else [],
        next_run=next_run,
        state_in_use=state_in_use,
        disk_bytes={
            "releases": disk_usage(home.warehouse_dir),
            "state and builds": disk_usage(home.build_dir, home.state_db.parent),
            "exports": disk_usage(home.exports_dir),
            "reports": disk_usage(home.reports_dir),
            "dbt artifacts": disk_usage(home.dbt_artifacts_dir),
            "logs": disk_usage(home.logs_dir),
        },
    )


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"


def render_status(status: HomeStatus) -> list[str]:
    """The one screen `dangol status` prints."""
    lines = [f"Dangol home {status.home}"]
    if status.release_id:
        lines.append(f"BI tools read release {status.release_id}, published {status.published_at}")
    else:
        lines.append("Nothing published yet")
    run = status.last_run
    if run is None:
        lines.append("Last run: none recorded")
    else:
        lines.append(f"Last run {run.run_id} ({run.finished_at}): {run.verdict}")
        lines += [f"  - {problem}" for problem in run.problems]
        lines += [f"  ! {warning}" for warning in run.warnings]
        if run.quality_report:
            lines.append(f"  Quality report: {run.quality_report}")
        for segment, people in run.exports.items():
            lines.append(f"  Segment list {segment}: {people:,} people")
        if run.export_folder:
            lines.append(f"  Segment lists in {run.export_folder}")
        lines += [f"  Alert not delivered: {d}" for d in run.undelivered_alerts]
    check = status.next_run
    if check and check.nothing_new:
        skipped = check.last_good_run.last_skipped_at
        lines.append(
            f"Next run: nothing new since run {check.last_good_run.run_id}, `dangol run` skips"
            + (f" (last skipped {skipped})" if skipped else "")
        )
    elif check:
        lines.append(f"Next run: runs. {check.describe()}")
    if status.state_in_use:
        lines.append("Sources and waiting files: a run is building on the state; ask after it")
    else:
        lines.append("Sources:")
    for source in status.sources:
        marker = "STALE " if source.stale else ""
        lines.append(f"  {marker}{source.describe()}")
    for shop, newest in status.newest_orders.items():
        lines.append(f"  newest {shop} order: {newest}")
    if not status.state_in_use:
        lines.append(f"Waiting in {status.landing}: {len(status.waiting_files)} file(s)")
        lines += [f"  {name}" for name in status.waiting_files]
    if status.quarantined:
        lines.append(f"In quarantine: {len(status.quarantined)} file(s) (fix, then put back)")
        lines += [f"  {q.file}: {q.reason}" for q in status.quarantined]
    lines.append(
        "Disk: " + ", ".join(f"{name} {_size(size)}" for name, size in status.disk_bytes.items())
    )
    return lines
