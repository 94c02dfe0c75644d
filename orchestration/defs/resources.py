from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from operations.run_inputs import run_inputs
from orchestration.config import DangolConfig, DangolHome, load_config
from publish.builds import build_owned_by, run_lock
from publish.duckdb_files import DuckDBResources


class DangolResource(dg.ConfigurableResource):
    """Where this installation keeps its files and which config it runs with."""

    home: str
    landing: str
    config_path: str
    # One run's acknowledgement that a big change is expected: anomaly checks only warn.
    accept_anomalies: bool = False

    @property
    def paths(self) -> DangolHome:
        return DangolHome.resolve(self.home, self.landing)

    @property
    def config(self) -> DangolConfig:
        return load_config(self.config_path)

    def run_build(self, run_id: str) -> Path:
        """The build this run started; a step materialized alone finds none (or another's)."""
        build_db = self.paths.build_db
        if not build_owned_by(build_db, run_id):
            raise dg.Failure(
                f"No build for run {run_id}: materialize the dangol_pipeline job, "
                "whose first step (the landing exports) starts the build."
            )
        return build_db

    @property
    def duckdb(self) -> DuckDBResources:
        """What every DuckDB connection of this process may use (dangol.yaml `duckdb:`)."""
        return self.config.duckdb_resources(self.paths)


class RunLockResource(dg.ConfigurableResource):
    """One run per home at a time, held from the run's first step to its last.

    Every pipeline step requires it and the code location runs jobs in one process, so the
    lock is taken once per run (Dagster UI, schedule, sensor or CLI alike), and its release is
    the one place every run passes through at its end: record, alerts and housekeeping.
    """

    lock_file: str
    # The installation whose runs are recorded and alerted on; unset for a partial run in tests.
    dangol: DangolResource | None = None

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["RunLockResource"]:
        from orchestration.run_outcome import finish_run

        with run_lock(Path(self.lock_file)):
            inputs = self._inputs_at_start(context)
            yield self
            if self.dangol is None:
                return
            try:
                finish_run(context, self.dangol.config, self.dangol.paths, inputs)
            except Exception as error:  # telling people about a run must never fail it
                context.log.error(f"Run record, alerts or housekeeping failed: {error!r}")

    def _inputs_at_start(self, context: dg.InitResourceContext) -> dict[str, str] | None:
        """Read before the first step reads the landing: a file landing mid-run is new next time."""
        if self.dangol is None:
            return None
        try:
            return run_inputs(self.dangol.paths, self.dangol.config)
        except Exception as error:  # without them the next run simply runs
            context.log.warning(f"Run inputs not read, the next run will not skip: {error!r}")
            return None
