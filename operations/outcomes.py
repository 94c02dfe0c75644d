"""What one run did, as a typed value: the CLI words it, alerts send it, `dangol status`
shows it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

# An operator reads one line, not the tail of dbt's log.
DISK_FULL = "No space left on device"


class RunVerdict(StrEnum):
    PUBLISHED = "published"
    WARNED = "published with warnings"
    # A blocking quality check (a dbt test or a great-expectations suite) failed.
    BLOCKED = "blocked by the quality gate"
    # A step stopped: a quarantined file, a dbt error, a full disk, a bug.
    FAILED = "failed"


@dataclass
class RunOutcome:
    published: bool
    run_id: str
    problems: list[str] = field(default_factory=list)
    release_id: str | None = None
    unchanged: bool = False
    exports: dict[str, int] = field(default_factory=dict)
    export_folder: str | None = None
    export_manifest: str | None = None
    marketing_report: str | None = None
    warnings: list[str] = field(default_factory=list)
    quality_report: str | None = None
    # A check against the last release blocked; `--accept-anomalies` lets an expected change pass.
    anomaly_blocked: bool = False
    # A blocking quality check failed (as opposed to a step that stopped with an error).
    blocked: bool = False
    finished_at: str | None = None
    # Alert destinations (secrets masked) that could not be reached at the end of the run.
    undelivered_alerts: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> RunVerdict:
        if self.blocked:
            return RunVerdict.BLOCKED
        if not self.published or self.problems:
            return RunVerdict.FAILED
        return RunVerdict.WARNED if self.warnings else RunVerdict.PUBLISHED

    def save(self, path: Path) -> None:
        """The last run's record, which `dangol status` reads; replaced in one rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(dataclasses.asdict(self), indent=2), encoding="utf-8")
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> RunOutcome | None:
        if not path.exists():
            return None
        known = {f.name for f in dataclasses.fields(cls)}
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: v for k, v in record.items() if k in known})


def disk_full_problem(message: str, home: Path) -> str | None:
    """The one line a full disk becomes, wherever in the run it struck."""
    if DISK_FULL not in message and "[Errno 28]" not in message:
        return None
    return (
        f"the disk holding {home} is full ({DISK_FULL}): free space there (`dangol status`"
        " shows what the home uses) and run again; the published release is unchanged"
    )
