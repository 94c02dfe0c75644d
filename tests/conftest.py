import contextlib
import dataclasses
import fcntl
import functools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.config import (
    DEFAULT_CONFIG,
    DangolHome,
    DuckDBConfig,
    IngestConfig,
    PublishConfig,
    load_config,
)
from orchestration.dbt_process import WORKDIR_FLAG
from orchestration.dbt_vars import BUILD_VARS, run_dbt_vars
from orchestration.manifest import DBT_PROJECT_DIR, dbt_executable
from orchestration.runner import RunOutcome, run_pipeline
from orchestration.serve import prepare_dagster_home
from orchestration.warm_dbt import SERVER_ENV, warm_dbt
from tests.fixtures.hostile_exports import write_hostile_config, write_hostile_landing

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config):
    # Test modules load the Dagster definitions, which read the dbt manifest: a plain
    # `pytest` after a model changed must not test a stale one (make does this too).
    from orchestration.manifest import ensure_dbt_manifest

    ensure_dbt_manifest()


@pytest.fixture
def fixture_landing(tmp_path: Path) -> Path:
    """A private copy of the small real-layout exports, safe to add files to."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    return landing


EXPORTS = FIXTURES / "exports"
# What ingest runs with when dangol.yaml leaves `ingest:` alone: the config schema's defaults.
INGEST_SETTINGS = IngestConfig().settings()
SMARTSTORE_PASSWORD = "dangol-fixture-pw"  # tests/fixtures/make_exports.py


def duckdb_resources(folder: Path):
    """What a run's DuckDB gets when dangol.yaml leaves `duckdb:` alone, spilling in `folder`."""
    return DuckDBConfig().resources(folder / "spill")


# How a run publishes when dangol.yaml leaves `publish:` alone.
PUBLISH = {
    "keep_releases": PublishConfig().keep_releases,
    "storage_version": PublishConfig().duckdb_storage_version,
    "parquet_snapshot": PublishConfig().parquet_snapshot,
    # Per test process (xdist workers run side by side); these small builds never spill.
    "resources": duckdb_resources(Path(tempfile.gettempdir()) / f"dangol-spill-{os.getpid()}"),
}


@pytest.fixture(scope="session", autouse=True)
def remove_publish_spill_folder():
    """PUBLISH's spill folder belongs to this test process: it goes when the session ends
    (each session left one in the system's temp folder)."""
    yield
    shutil.rmtree(PUBLISH["resources"].temp_directory.parent, ignore_errors=True)


def session_folder(tmp_path_factory) -> Path:
    """This test session's own folder, the same for all its xdist workers.

    Without xdist the base temp's parent is shared by every session on the machine, so a
    release made there by other code (another checkout, an older commit) would be reused.
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def fixture_release(tmp_path_factory) -> DangolHome:
    """One published run over the fixture landing, shared by every test that builds on it.

    Made once per session, whichever xdist worker asks first (the others wait on a file
    lock); a test that runs again on it works on its own copy (`copy_home`).
    """
    root = session_folder(tmp_path_factory) / "fixture-release"
    home = DangolHome(root=root / "home", landing=root / "landing")
    root.mkdir(exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not home.published_db.exists():
            shutil.copytree(FIXTURES / "landing", home.landing, dirs_exist_ok=True)
            outcome = run_pipeline(home, DEFAULT_CONFIG)
            assert outcome.published, outcome.problems
    return home


@dataclasses.dataclass(frozen=True)
class UntrustedRelease:
    home: DangolHome
    outcome: RunOutcome
    dagster_home: Path


@pytest.fixture(scope="session")
def untrusted_release(tmp_path_factory) -> UntrustedRelease:
    """One published run over the fixture landing plus exports carrying hostile text
    (tests/fixtures/hostile_exports.py), made once per session like `fixture_release`.

    Dagster runs on a real instance in `dagster_home`, so its event log is on disk to read.
    """
    root = session_folder(tmp_path_factory) / "untrusted-release"
    home = DangolHome(root=root / "home", landing=root / "landing")
    dagster_home, saved = root / "dagster", root / "outcome.json"
    root.mkdir(exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            write_hostile_landing(home.landing)
            prepare_dagster_home(dagster_home)  # as `dangol serve` sets it up
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("DAGSTER_HOME", str(dagster_home))
                outcome = run_pipeline(
                    home, write_hostile_config(DEFAULT_CONFIG, root / "dangol.yaml")
                )
            assert outcome.published and not outcome.problems, outcome.problems
            saved.write_text(json.dumps(dataclasses.asdict(outcome)), "utf-8")
    outcome = RunOutcome(**json.loads(saved.read_text("utf-8")))
    return UntrustedRelease(home, outcome, dagster_home)


def copy_home(source: DangolHome, target: Path) -> DangolHome:
    """A private copy of a published home and its landing folder, safe to run on."""
    home = DangolHome(root=target / "home", landing=target / "landing")
    shutil.copytree(source.root, home.root, symlinks=True)
    shutil.copytree(source.landing, home.landing)
    return home


def good_run_of_today(home: DangolHome) -> DangolHome:
    """The copied home's last good run as if made today: a session crossing midnight (in
    Seoul or here) must not turn a nothing-new test into a new-day one."""
    from operations.run_inputs import GoodRun, run_days

    good = GoodRun.load(home.good_run_file)
    good.inputs["day"] = run_days(load_config(DEFAULT_CONFIG))
    good.save(home.good_run_file)
    return home


# One warm dbt per test process for the tests' own dbt commands (dbt_like_a_run), as a run
# holds one for its commands: each forks from it instead of importing dbt (~3 s a command).
_warm_dbt = contextlib.ExitStack()


@pytest.fixture(scope="session", autouse=True)
def _end_the_tests_warm_dbt():
    with _warm_dbt:
        yield


@functools.cache
def _tests_warm_dbt() -> str | None:
    """Its socket, started on first use; never in os.environ, so a run or a test that starts
    dbt itself sees no warm dbt but its own."""
    _warm_dbt.enter_context(warm_dbt())
    return os.environ.pop(SERVER_ENV, None)


def dbt_like_a_run(
    args: list[str], build_db: Path, target: Path, config: Path = DEFAULT_CONFIG, **run
) -> subprocess.CompletedProcess:
    """dbt on a test's build as a run calls it: `dangol-dbt` in the build's folder with the
    run's vars (BUILD_VARS name the build relative to it), starting from the parse `make` did,
    handed to a warm dbt as a run's commands are. With the shipped config dbt parses nothing
    (the same vars and profile; else the whole project, 13 s). The build is named as BUILD_VARS
    name it; dbt's log is in `target`."""
    from orchestration.defs.transform import PARTIAL_PARSE, reuse_parse

    assert build_db.name == BUILD_VARS["dangol_build_db"], build_db
    reuse_parse(DBT_PROJECT_DIR / "target" / PARTIAL_PARSE, target)
    run_vars = json.dumps(run_dbt_vars(load_config(config)))
    command = [str(dbt_executable()), *args, "--vars", run_vars]
    command += ["--target-path", str(target), "--log-path", str(target)]
    env = {k: v for k, v in os.environ.items() if k != SERVER_ENV}
    address = _tests_warm_dbt()
    if address:
        env[SERVER_ENV] = address
    return subprocess.run(
        [*command, WORKDIR_FLAG, str(build_db.parent)], cwd=DBT_PROJECT_DIR, env=env, **run
    )


@pytest.fixture
def empty_landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    for family in ("shop", "crm", "sns"):
        (landing / family).mkdir(parents=True)
    return landing


BUILD_DDL = """
create schema raw;
create table raw.ingest_files as select * from (values
    ('orders_export_1.csv', 'sha-1', 'shopify_orders', 3)
) t(file_name, file_sha256, raw_table, rows_loaded);
create table raw.shopify_orders as select * from (values ('sha-1'), ('sha-1'), ('sha-1'))
    t(_file_sha256);
create table raw.crm_contacts as select 'minjun.kim@example.com' as email, 'x' as _file_sha256;
create schema staging;
create table staging.stg_shopify__orders as select * from (values
    ('shopify-1', '#1001', 1, timestamptz '2026-03-01 10:00:00+09', 9000.00::decimal(18,2),
     1000.00, 0.00),
    ('shopify-2', '#1002', 1, timestamptz '2026-03-02 10:00:00+09', 5000.00, 0.00, 5000.00)
) t(order_id, order_name, ingest_file_seq, ordered_at, subtotal_amount, discount_amount,
    refund_amount);
create table staging.stg_shopify__order_lines as select * from (values
    ('shopify-1', 1, 1, 5000.00), ('shopify-1', 1, 2, 2500.00)
) t(order_id, ingest_file_seq, quantity, unit_price);
create schema marts;
create table marts.fct_orders as select * from (values
    ('shopify-1', 'c1', timestamptz '2026-03-01 10:00:00+09', 'paid', 'KRW',
     10000.00::decimal(18,2), 9000.00::decimal(18,2), 1, true, date '2026-03-01'),
    ('shopify-2', 'c2', timestamptz '2026-03-02 10:00:00+09', 'refunded', 'KRW',
     5000.00::decimal(18,2), 0.00::decimal(18,2), 1, false, date '2026-03-02')
) t(order_id, customer_id, ordered_at, status, currency, gross_amount, net_amount, items_count,
    is_purchase, ordered_date);
create table marts.fct_order_lines as select * from (values
    ('shopify-1', 6000.00::decimal(18,2), 1, date '2026-03-01'),
    ('shopify-1', 3000.00::decimal(18,2), 2, date '2026-03-01')
) t(order_id, net_amount, quantity, ordered_date);
create table marts.fct_channel_daily as select * from (values
    ('naver_search', 1, 9000.00::decimal(18,2)), ('unattributed', 0, 0.00::decimal(18,2))
) t(channel, orders_count, net_revenue);
create table marts.dim_customers as select * from (values
    ('c1', 1, 9000.00::decimal(18,2)), ('c2', 0, 0.00::decimal(18,2))
) t(customer_id, orders_count, net_revenue);
create table marts.customer_rfm as select * from (values
    ('c1', 1, 5, 1, 3, 'New Customers')
) t(customer_id, frequency, r_score, f_score, m_score, rfm_segment);
create table marts.customer_ltv as select * from (values
    ('c1', 1, 9000.00::decimal(18,2), false)
) t(customer_id, orders_count, net_lifetime_value, is_lapsed);
create table marts.revenue_concentration_summary as select * from (values
    (9000.00::decimal(18,2), 1.0::double, 1.0::double, 1.0::double)
) t(total_net_revenue, top_10_pct_revenue_share, top_20_pct_revenue_share,
    top_30_pct_revenue_share);
create table marts.cohort_retention as select * from (values
    (date '2026-03-01', 0, 1, 1.0::double)
) t(cohort_month, months_since_first_purchase, cohort_size, retention_rate);
create table marts.segment_members as select * from (values
    ('win_back', 'email', 'c1')
) t(segment_name, channel, customer_id);
create schema intermediate;
create table intermediate.int_customer_identities as select * from (values
    ('order_id', 'shopify-1', 'c1'), ('order_id', 'shopify-2', 'c2'), ('email', 'x', 'c1')
) t(identifier_type, identifier_value, customer_id);
create table intermediate.int_orders_deduplicated as select * from (values
    ('shopify-1', 1), ('shopify-2', 1)
) t(order_id, ingest_file_seq);
create table intermediate.int_engagement_events as select * from (values ('e1'), ('e2'))
    t(event_id);
create table marts.fct_engagement_events as select * from (values ('e1', 'c1'), ('e2', null))
    t(event_id, customer_id);
create table marts.customer_loyalty as select * from (values
    ('c1', false, false, true), ('c2', false, false, false)
) t(customer_id, is_loyal, is_repeat_buyer, is_vip);
create table marts.flywheel_stages as select * from (values ('c1'), ('c2')) t(customer_id);
create table marts.customer_purchase_summary as select 'c1' as customer_id;
create table marts.customer_clv as select * from (values
    ('c1', 0.8::double, 0.3::double, 1.2::double, 9000.00::decimal(18,2),
     10000.00::decimal(18,2), 10)
) t(customer_id, p_alive, expected_purchases_90d, expected_purchases_365d,
    expected_average_order_value, predicted_clv_365d, predicted_clv_decile);
create table marts.clv_model_status as select * from (values
    (true, null::varchar, true, null::varchar)
) t(predicted, reason, backtested, backtest_reason);
"""


@pytest.fixture
def build_db(tmp_path: Path) -> Path:
    """A small build warehouse that passes every check; tests break it on purpose."""
    path = tmp_path / BUILD_VARS["dangol_build_db"]  # as a run's dbt finds it (dbt_like_a_run)
    with duckdb.connect(str(path)) as con:
        con.execute(BUILD_DDL)
    return path


def process_gone(pid: int, within: float = 60.0) -> bool:
    """Whether process `pid` has ended (or is a zombie its parent has not reaped) within."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False
