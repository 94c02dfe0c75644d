"""What an audit found, target by target, and what it means for publication: plain data, so a
run's own process reads the verdicts of an audit that ran in another (orchestration/warm_gate.py)
without importing great-expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from data_quality.suites import ERROR, AuditTarget


class Verdict(StrEnum):
    """What a check's result means for publication."""

    PASSED = "passed"
    WARNED = "warned"  # only "warn" expectations failed: reported, publication goes on
    BLOCKED = "blocked"


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    sample: list

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        shown = [f"{self.unexpected_count} rows"] if self.unexpected_count else []
        shown += [f"e.g. {self.sample[:3]}"] if self.sample else []
        return f"{self.expectation}{where}" + (f" ({', '.join(shown)})" if shown else "")


@dataclass(frozen=True)
class TargetAudit:
    target: AuditTarget
    rows: int = 0
    evaluated: int = 0
    failures: list[FailedExpectation] = field(default_factory=list)
    skipped: str | None = None

    @property
    def blocking_failures(self) -> list[FailedExpectation]:
        return [f for f in self.failures if f.severity == ERROR]

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    @property
    def verdict(self) -> Verdict:
        if self.blocking_failures:
            return Verdict.BLOCKED
        return Verdict.WARNED if self.failures else Verdict.PASSED

    @property
    def anomaly_blocked(self) -> bool:
        """Blocked by a change against the last release, which a run may accept as expected."""
        return self.target.needs_previous_release and self.verdict == Verdict.BLOCKED

    def summary(self) -> str:
        if self.skipped:
            return f"{self.target.name}: skipped, {self.skipped}"
        if not self.failures:
            return f"{self.target.name}: {self.evaluated} expectations passed on {self.rows} rows"
        return f"{self.target.name}: " + "; ".join(
            f"[{f.severity}] {f.describe()}" for f in self.failures
        )


@dataclass(frozen=True)
class AuditReport:
    audits: list[TargetAudit]
    data_docs: Path | None

    @property
    def passed(self) -> bool:
        return all(audit.passed for audit in self.audits)

    def summary(self) -> str:
        """One paragraph for a person: what blocked (or warned) and where the report is."""
        blocked = [a for a in self.audits if a.verdict == Verdict.BLOCKED]
        warned = [a for a in self.audits if a.verdict == Verdict.WARNED]
        where = f" Full report: {self.data_docs}" if self.data_docs else ""
        if blocked:
            return (
                f"Publication blocked by {len(blocked)} failed check(s): "
                + " | ".join(a.summary() for a in blocked)
                + "."
                + where
            )
        if warned:
            return "Passed with warnings: " + " | ".join(a.summary() for a in warned) + "." + where
        return f"All {len(self.audits)} quality checks passed." + where
