"""Nothing new: a run whose inputs are those of the last run that succeeded would publish the
same release and write the same segment lists, so it says so and stops in a second.

A run's inputs are everything its result depends on, each as a fingerprint: the landing
folder's export files, the suppression list, the settings, the dbt project and its vars, our
own code and the installed libraries, and the day. The warehouse part (the state, the
published and the restricted files) tells whether anything else changed the home since (a
rollback, a run that published but did not succeed). Cheap by design: exports and databases
by name, size and time, never read; no Dagster, dbt or great-expectations imports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.landing_folder import landing_files
from orchestration.config import REPO_ROOT, DangolConfig, DangolHome
from orchestration.dbt_vars import dbt_vars
from orchestration.manifest import DBT_PROJECT_DIR
from publish.builds import history_fingerprint

# Our own packages: a change to any of their files (code, presets, templates) may change a result.
PACKAGES = (
    "ingest",
    "publish",
    "activation",
    "customer_value",
    "data_quality",
    "orchestration",
    "operations",
)


def landing_fingerprint(landing: Path) -> str | None:
    """Changes whenever a file lands, is replaced or removed; cheap: names, sizes, mtimes.
    None when the landing folder holds no export at all."""
    files = landing_files(landing)
    if not files:
        return None
    digest = hashlib.sha256()
    for family, path in files:
        stat = path.stat()
        digest.update(f"{family}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _file_identity(path: Path) -> str:
    """A file's identity without reading it: written again, it has a new mtime. Not its path
    nor inode, so a copy of a home (mtimes kept) is the same home."""
    try:
        stat = path.stat()
    except OSError:  # absent, or under a path that is no folder
        return "absent"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def code_fingerprint() -> str:
    """Our packages' files, dbt's project settings, and the name and version of every
    installed library (an upgraded DuckDB or dbt may compute differently)."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(REPO_ROOT)}\n".encode())
                digest.update(path.read_bytes())
    for name in ("dbt_project.yml", "profiles.yml"):
        digest.update((DBT_PROJECT_DIR / name).read_bytes())
    installed = sorted(
        entry.name
        for entry in os.scandir(sysconfig.get_paths()["purelib"])
        if entry.name.endswith(".dist-info")
    )
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()


def run_days(config: DangolConfig, now: dt.datetime | None = None) -> str:
    """The day, where the brand is and where DuckDB's current_date is (this machine's zone).

    Always an input: recency when rfm.as_of is run_date, consent that expires
    (consent.max_consent_age_days), the recent-buyer exception, the freshness checks and the
    stale-source alerts all move with the day, so a run on a new day is never nothing new.
    """
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.astimezone().date()}/{now.astimezone(ZoneInfo(config.timezone)).date()}"


def run_inputs(
    home: DangolHome,
    config: DangolConfig,
    now: dt.datetime | None = None,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
) -> dict[str, str]:
    """What this run's result depends on, one fingerprint per input, read when it starts."""
    return {
        "landing files": str(landing_fingerprint(home.landing)),
        "suppression list": _file_identity(config.suppression_list_path(home.root)),
        # The validated settings, not the file's text: a comment or the alert destinations
        # change who hears of a run, not its result.
        "config": hashlib.sha256(
            json.dumps(config.model_dump(mode="json", exclude={"alerts"}), sort_keys=True).encode()
        ).hexdigest(),
        "dbt project": history_fingerprint(dbt_vars(config), dbt_project_dir),
        "code": code_fingerprint(),
        "day": run_days(config, now),
    }


def warehouse_fingerprint(home: DangolHome) -> str:
    """The files a run changes when it publishes (and a rollback when it restores)."""
    files = (home.state_db, home.published_db, home.restricted_db)
    return "\n".join(_file_identity(path) for path in files)


@dataclass
class GoodRun:
    """The last run that succeeded (published, lists and report written) and its inputs."""

    run_id: str
    release_id: str | None
    finished_at: str | None
    inputs: dict[str, str]
    warehouse: str
    # The last `dangol run` that found nothing new since (skipped runs leave last_run.json be).
    last_skipped_at: str | None = None

    def save(self, path: Path) -> None:
        """Replaced in one rename, beside the state it describes."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(dataclasses.asdict(self), indent=2), encoding="utf-8")
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> GoodRun | None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                **{f.name: record[f.name] for f in dataclasses.fields(cls) if f.name in record}
            )
        except (OSError, ValueError, TypeError):
            return None  # no record (or a damaged one): the next run simply runs


def record_good_run(
    home: DangolHome, inputs: dict[str, str], run_id: str, release_id: str | None, finished_at
) -> GoodRun:
    """Called at the end of a run that succeeded, with the inputs read when it started."""
    good = GoodRun(run_id, release_id, finished_at, inputs, warehouse_fingerprint(home))
    good.save(home.good_run_file)
    return good


def forget_good_run(home: DangolHome) -> None:
    """Whatever changes the warehouse by other means (a rollback) makes the next run go."""
    home.good_run_file.unlink(missing_ok=True)


@dataclass(frozen=True)
class NothingNew:
    """The check a run makes before it starts, against the last run that succeeded."""

    last_good_run: GoodRun | None
    # The inputs that differ from that run's, in words ("landing files", "config").
    changed: tuple[str, ...] = ()

    @property
    def nothing_new(self) -> bool:
        return self.last_good_run is not None and not self.changed

    def describe(self) -> str:
        run = self.last_good_run
        if run is None:
            return "No run has succeeded yet"
        if self.changed:
            return f"New or changed since run {run.run_id}: {', '.join(self.changed)}"
        return (
            f"Nothing new since run {run.run_id} (release {run.release_id}, {run.finished_at}):"
            " no new or changed files, code or config. The published warehouse and the segment"
            " lists are unchanged."
        )


def check_nothing_new(
    home: DangolHome, config: DangolConfig, now: dt.datetime | None = None
) -> NothingNew:
    good = GoodRun.load(home.good_run_file)
    if good is None:
        return NothingNew(None)
    inputs = run_inputs(home, config, now)
    changed = [name for name, value in inputs.items() if good.inputs.get(name) != value]
    if good.warehouse != warehouse_fingerprint(home):
        changed.append("the warehouse (a rollback, or a run that published but did not succeed)")
    return NothingNew(good, tuple(changed))


def note_skipped_run(home: DangolHome, good: GoodRun) -> None:
    """`dangol status` shows when a run last found nothing new."""
    good.last_skipped_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with contextlib.suppress(OSError):  # a note for `dangol status`: the skip stands without it
        good.save(home.good_run_file)
