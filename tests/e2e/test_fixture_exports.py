"""The whole pipeline on the fixture exports of every shop: each order resolves to its latest
state across exports and formats, and a file it cannot take blocks the release untouched."""

import csv
import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from operations.outcomes import RunOutcome
from orchestration.config import DEFAULT_CONFIG, DangolHome, load_config
from orchestration.dbt_vars import BUILD_VARS
from orchestration.manifest import DBT_PROJECT_DIR
from orchestration.runner import run_pipeline
from publish.builds import history_fingerprint, history_parsed_after, needs_full_refresh
from tests.conftest import EXPORTS, FIXTURES, SMARTSTORE_PASSWORD, copy_home, dbt_like_a_run

pytestmark = pytest.mark.e2e


def orders(home: DangolHome) -> dict[str, tuple]:
    with duckdb.connect(str(home.published_db), read_only=True) as con:
        rows = con.execute(
            "select order_id, source, status, net_amount::varchar from marts.fct_orders"
        ).fetchall()
    return {order_id: rest for order_id, *rest in rows}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, fixture_release: DangolHome) -> tuple[DangolHome, dict, dict]:
    """Run 1 on the first Shopify export alone; run 2 after every other export landed."""
    home = copy_home(fixture_release, tmp_path_factory.mktemp("fixture-run"))
    before = orders(home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DANGOL_EXCEL_PASSWORD", SMARTSTORE_PASSWORD)
        shutil.copytree(EXPORTS, home.landing, dirs_exist_ok=True)
        blocked = run_pipeline(home, DEFAULT_CONFIG)
        # Two new shops at once more than double revenue: the gate stops it until the
        # operator says the change is expected.
        assert not blocked.published
        assert any("net_revenue_swing_pct" in p for p in blocked.problems), blocked.problems
        assert blocked.anomaly_blocked
        assert orders(home) == before
        second = run_pipeline(home, DEFAULT_CONFIG, accept_anomalies=True)
        assert second.published, second.problems
        assert any("anomalies_vs_last_release" in w for w in second.warnings)
    return home, before, orders(home)


def assert_dbt_reused_its_parse(log: str) -> None:
    # dbt's log (info level) says why whenever it parses the whole project again.
    assert re.search(r"Found \d+ models", log), "dbt's log has none of its own lines"
    assert "Unable to do partial parsing" not in log
    assert "\x1b[" not in log, "dbt's log file is for people and grep: no colour codes"


def test_a_later_run_on_the_same_home_reuses_dbts_parse(runs):
    """dbt parses the whole project in seconds unless its profile and vars are the ones it
    parsed with: the build path is the same run after run, so run 2 parses nothing again."""
    home, _, _ = runs
    last = RunOutcome.load(home.last_run_file)
    log = (home.dbt_target(last.run_id) / "dbt.log").read_text(encoding="utf-8")

    assert_dbt_reused_its_parse(log)


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("intermediate/int_orders_deduplicated", "order_id"),
        ("intermediate/int_orders_attributed", "order_id"),
        ("marts/fct_orders", "order_id"),
        ("marts/fct_order_lines", "order_id"),
        ("marts/fct_purchase_days", "customer_id"),
    ],
)
def test_a_later_run_recomputes_the_orders_in_its_files_only(runs, model: str, key: str):
    """Orders, their lines and purchase days are history-sized: run 2 replaces the orders its
    files brought (delete+insert by order), and the purchase days of those orders' customers
    (by customer), instead of rebuilding every order."""
    home, _, _ = runs
    last = RunOutcome.load(home.last_run_file)
    executed = (home.dbt_target(last.run_id) / f"run/dangol/models/{model}.sql").read_text(
        encoding="utf-8"
    )
    name = model.split("/")[1]

    assert re.search(rf"delete from \S+{name}\"\s+where \(\s*{key}\)", executed)
    assert "create  table" not in executed and "create table" not in executed


def test_a_later_run_audits_the_staging_rows_it_parsed(runs):
    home, _, _ = runs
    last = RunOutcome.load(home.last_run_file)
    # dbt's history record says run 2 parsed the files after run 1's, which its audit checks.
    with duckdb.connect(str(home.state_db), read_only=True) as con:
        run_1_files = con.execute(
            "select max(ingest_file_seq) from raw.ingest_files where run_id <> ?", [last.run_id]
        ).fetchone()[0]
        assert history_parsed_after(con) == run_1_files > 0


def test_the_first_run_of_a_new_home_starts_from_the_parse_make_did(fixture_release):
    """A new home has no parse of its own; dbt's from `make` was made with the vars and profile
    every home's dbt gets (the build named relative to the folder dbt works in), so it holds."""
    first = min(
        fixture_release.dbt_artifacts_dir.glob("*/dbt.log"), key=lambda p: p.stat().st_mtime
    )
    log = first.read_text(encoding="utf-8")

    assert_dbt_reused_its_parse(log)


def test_a_refund_in_a_later_export_changes_net_revenue(runs):
    _, before, after = runs

    assert before["shopify-5100000000001"] == ["shopify", "paid", "38900.00"]
    assert after["shopify-5100000000001"] == ["shopify", "refunded", "0.00"]
    # Refunded 5,000 first, 8,000 in all by the later export.
    assert before["shopify-5100000000002"] == ["shopify", "partially_refunded", "10000.00"]
    assert after["shopify-5100000000002"] == ["shopify", "partially_refunded", "7000.00"]


def test_cafe24_and_smartstore_orders_flow_into_fct_orders_in_their_latest_state(runs):
    _, _, after = runs

    assert {k: v for k, v in after.items() if not k.startswith("shopify-")} == {
        # CP949 CSV, then returned in full in the later XLSX export.
        "cafe24-20260305-0000012": ["cafe24", "refunded", "0.00"],
        "cafe24-20260306-0000020": ["cafe24", "partially_refunded", "13900.00"],
        "cafe24-20260307-0000031": ["cafe24", "pending", "0.00"],
        "cafe24-20260308-0000040": ["cafe24", "cancelled", "0.00"],
        "cafe24-20260309-0000051": ["cafe24", "paid", "28400.00"],
        "smartstore-2026030512345600": ["smartstore", "partially_refunded", "23900.00"],
        "smartstore-2026030698765400": ["smartstore", "pending", "0.00"],
        # From the password-protected workbook.
        "smartstore-2026031011112200": ["smartstore", "paid", "42000.00"],
    }


def test_the_same_customer_is_one_customer_across_shops(runs):
    home, _, _ = runs
    with duckdb.connect(str(home.published_db), read_only=True) as con:
        # 김민준 (010-1234-5678, minjun.kim@example.com) ordered on Shopify and Cafe24.
        sources = con.execute(
            "select customer_id, list(distinct source order by source) from marts.fct_orders"
            " where order_id in ('shopify-5100000000001', 'cafe24-20260305-0000012')"
            " group by customer_id"
        ).fetchall()
    assert len(sources) == 1 and sources[0][1] == ["cafe24", "shopify"]


def test_engagement_events_loaded_run_by_run_equal_a_full_rebuild(runs, tmp_path: Path):
    home, _, _ = runs
    rebuilt = tmp_path / "rebuilt" / BUILD_VARS["dangol_build_db"]
    rebuilt.parent.mkdir()
    shutil.copy(home.state_db, rebuilt)

    models = ["int_engagement_events", "fct_engagement_events"]
    dbt_like_a_run(
        ["run", "--full-refresh", "--quiet", "--select", *models],
        rebuilt,
        tmp_path / "target",
        check=True,
    )

    sql = "from marts.fct_engagement_events order by all"
    with duckdb.connect(str(home.published_db), read_only=True) as con:
        incremental = con.execute(sql).df()
    with duckdb.connect(str(rebuilt), read_only=True) as con:
        full = con.execute(sql).df()
    pd.testing.assert_frame_equal(incremental, full)
    # Run 1 brought the SNS events, run 2 the CRM ones: both runs' rows are there.
    assert {"sns", "campaign", "membership", "coupon", "referral"} <= set(full["event_source"])


@pytest.mark.parametrize("brand", ["shipped", "every_setting_changed"])
def test_business_rule_unit_tests_hold_whatever_the_brand_configures(
    runs, tmp_path: Path, brand: str
):
    """The unit tests run here, not in production builds (dbt's guidance): with the shipped
    dangol.yaml, and with every brand setting changed, since a test whose expected rows assume
    the shipped settings must pin them or it fails for any brand that tunes them."""
    home, _, _ = runs
    build = tmp_path / BUILD_VARS["dangol_build_db"]
    shutil.copy(home.state_db, build)
    settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings |= {"timezone": "America/New_York", "default_currency": "USD"}
    settings["identity"] |= {
        "customer_key_salt": "another-brand-salt",
        "max_contact_points_per_identifier": 2,
    }
    settings["rfm"] = {"as_of": "run_date", "score_bins": 3}
    settings["loyalty"] = {
        "expected_purchase_cycle_days": 20, "lapse_multiplier": 4, "at_risk_multiplier": 3,
        "own_rhythm_min_purchase_days": 5, "discount_driven_order_share": 0.9,
        "discount_driven_gross_share": 0.9, "positive_review_min_rating": 2,
        "vip_trailing_days": 30, "vip_top_share": 0.3,
        "loyal_signals": {"reviews": 2, "membership": None}, "min_loyal_signals": 1,
        "tiers": [{"name": "top", "label": "Top", "min_trailing_net_revenue": 1},
                  {"name": "rest", "label": "Rest", "min_trailing_net_revenue": 0}],
    }  # fmt: skip
    settings["flywheel"] = {
        "adoption_min_orders": 4, "retention_min_orders": 6, "advocacy_min_referrals": 3,
        "advocacy_min_reviews": 2,
    }  # fmt: skip
    settings["products"] = {"experience_categories": ["snack"]}
    settings["kpis"] = {
        "repeat_rate_windows_days": [7, 45], "membership_effect_horizons_days": [30],
        "lead_activation_window_days": 3, "adoption_window_days": 5,
    }  # fmt: skip
    settings["consent"] |= {"max_consent_age_days": 30, "recent_buyer_exception": True}
    settings["campaigns"] = {"attribution_window_days": {"email": 2, "sms": 3, "kakao": 7}}
    config = tmp_path / "dangol.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    brand_config = DEFAULT_CONFIG if brand == "shipped" else config

    tested = dbt_like_a_run(
        ["test", "--select", "test_type:unit"],
        build,
        tmp_path / "target",
        brand_config,
        capture_output=True,
        text=True,
    )
    assert tested.returncode == 0, tested.stdout[-3000:]
    # Every unit test in the YAML ran: dbt silently ignores one nested under a model.
    properties = [
        p.read_text(encoding="utf-8") for p in (DBT_PROJECT_DIR / "models").rglob("*.yml")
    ]
    assert not [text for text in properties if re.search(r"\n +unit_tests:", text)]
    declared = sum(
        text.count("\n  - name: ", text.find("\nunit_tests:"))
        for text in properties
        if "\nunit_tests:" in text
    )
    assert f"PASS={declared} " in tested.stdout, tested.stdout[-1000:]


def test_a_quarantined_file_fails_the_run_and_leaves_the_warehouse_as_it_was(runs, tmp_path: Path):
    source_home, _, _ = runs
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    shutil.copytree(source_home.root, home.root)
    shutil.copytree(source_home.landing, home.landing)
    (home.landing / "shop" / "orders_export_3.csv").write_bytes(b"\x00\x01junk" * 50)
    fingerprint = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    published, state = fingerprint(home.published_db), fingerprint(home.state_db)

    outcome = run_pipeline(home, DEFAULT_CONFIG)

    assert not outcome.published
    assert any("shop/orders_export_3.csv" in p and "binary" in p for p in outcome.problems)
    assert fingerprint(home.published_db) == published
    assert fingerprint(home.state_db) == state
    assert (home.landing / "_quarantine" / "shop" / "orders_export_3.csv.reason.txt").exists()


def published_marts(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        return {t: con.execute(f"from marts.{t} order by all").fetchall() for (t,) in tables}


def rows_of(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"{query} order by all").fetchall()


def fresh_run_over_every_file(
    root: Path, config: Path, parse_of: DangolHome | None = None, more: Path | None = None
) -> DangolHome:
    """A new home's run over every file (and the folder `more`, laid over them). `parse_of`: a
    home whose last run had the same config, whose dbt parse the new home starts from (else dbt
    parses the whole project for a config of its own: 13 s)."""
    fresh = DangolHome(root=root / "home", landing=root / "landing")
    shutil.copytree(FIXTURES / "landing", fresh.landing)
    shutil.copytree(EXPORTS, fresh.landing, dirs_exist_ok=True)
    if more:
        shutil.copytree(more, fresh.landing, dirs_exist_ok=True)
    if parse_of:
        fresh.dbt_parse_cache.parent.mkdir(parents=True)
        shutil.copyfile(parse_of.dbt_parse_cache, fresh.dbt_parse_cache)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DANGOL_EXCEL_PASSWORD", SMARTSTORE_PASSWORD)
        outcome = run_pipeline(fresh, config)
    assert outcome.published, outcome.problems
    return fresh


def test_a_run_on_the_last_state_plus_new_files_equals_one_run_over_all_files(runs, tmp_path: Path):
    """Each run builds on the last published state; the facts it publishes after new files
    (later refunds, new shops) must be what one fresh build over every file publishes."""
    home, _, _ = runs
    # The last run added its files to the incremental history instead of rebuilding it.
    fingerprint = history_fingerprint(load_config(DEFAULT_CONFIG).dbt_vars(), DBT_PROJECT_DIR)
    resources = load_config(DEFAULT_CONFIG).duckdb_resources(home)
    assert not needs_full_refresh(home.state_db, fingerprint, resources)
    # And its files moved an old order to another customer (an identity merge): what is kept by
    # order or by customer took up that order and both customers, not every row.
    with duckdb.connect(str(home.state_db), read_only=True) as con:
        sql = "select count(*) from intermediate.int_order_customer_changes"
        assert con.execute(sql).fetchone()[0] >= 1
    fresh = fresh_run_over_every_file(tmp_path, DEFAULT_CONFIG)

    incremental, from_scratch = (
        published_marts(home.published_db),
        published_marts(fresh.published_db),
    )
    assert {"fct_order_lines", "fct_channel_daily", "dim_products"} <= set(from_scratch)
    assert incremental.keys() == from_scratch.keys()
    for table, rows in from_scratch.items():
        assert incremental[table] == rows, table
    # Identity resolution recomputes what the new files can change (the orders' links to their
    # own ids and their customers only for the orders concerned) and writes the keys that
    # changed (macros/changed_keys.sql): its tables, after that merge, are what a build from
    # scratch writes, but for the build each row was written by. (A link names the first record
    # that made it, by file number: the fresh home numbered the files in another order.)
    last = RunOutcome.load(home.last_run_file)
    log = (home.dbt_target(last.run_id) / "dbt.log").read_text(encoding="utf-8")
    for model, columns in [
        ("int_identity_links", "* exclude (source_record, dbt_invocation_id)"),
        ("int_customer_identities", "* exclude (dbt_invocation_id)"),
    ]:
        assert f"OK created sql incremental model intermediate.{model} " in log, model
        kept, rebuilt = (
            rows_of(state, f"select {columns} from intermediate.{model}")
            for state in (home.state_db, fresh.state_db)
        )
        assert kept and kept == rebuilt, model


# A phone six new buyers give at checkout (a family's, or a shop's placeholder) and the order
# known only by that phone; the first order's new version carries another email and no phone.
FAMILY_PHONE, PHONE_ONLY_ORDER, MOVED_ORDER = "+821077778888", "shopify-5100000000005", "#1001"
# A new buyer whose email no other record carries, and who gives another one in the order's
# next version: the first email then leaves the identity graph.
ONCE_EMAIL, ONCE_ORDER = "only.once@example.com", "#3001"


def write_identity_changing_export(landing: Path, later: Path) -> None:
    """A third Shopify export that takes identifiers apart instead of joining them, into
    `landing`, and a fourth into `later`."""
    with (EXPORTS / "shop" / "orders_export_2.csv").open(encoding="utf-8") as export:
        rows = csv.DictReader(export)
        columns = list(rows.fieldnames)
        moved = [row for row in rows if row["Name"] == MOVED_ORDER]
    for row in moved:
        row.update({"Email": "minjun.work@example.com", "Billing Phone": ""})
    new_buyers = [
        {
            **dict.fromkeys(columns, ""),
            "Name": f"#20{n:02d}",
            "Email": f"family.member{n}@example.com",
            "Financial Status": "paid",
            "Currency": "KRW",
            "Subtotal": "9900.00",
            "Total": "9900.00",
            "Discount Amount": "0.00",
            "Refunded Amount": "0.00",
            "Created at": f"2026-04-2{n} 10:00:00 +0900",
            "Lineitem quantity": "1",
            "Lineitem name": "체험 세트 (Trial Kit)",
            "Lineitem price": "9900.00",
            "Billing Phone": "010-7777-8888",
            "Id": f"51000000009{n:02d}",
        }
        for n in range(1, 7)
    ]
    once = {**new_buyers[0], "Name": ONCE_ORDER, "Id": "5100000003001", "Billing Phone": ""}
    once["Email"] = ONCE_EMAIL
    shop = landing / "shop"
    shop.mkdir(parents=True, exist_ok=True)
    (later / "shop").mkdir(parents=True, exist_ok=True)
    with (shop / "orders_export_3.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows([*moved, *new_buyers, once])
    # The next export: that order again, the buyer's mind changed about the email.
    with (later / "shop" / "orders_export_4.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerow({**once, "Email": "changed.mind@example.com"})


def test_a_later_export_that_takes_customers_apart_equals_one_run_over_all_files(
    runs, tmp_path: Path
):
    """Identity resolution kept from build to build must take people apart as a build from
    scratch does: an order's new version with another email leaves its customer, and a phone
    that becomes shared (six buyers gave it) no longer joins anyone, so the order known only by
    that phone becomes a customer of its own; an email no record carries any more leaves the
    graph (only the link a build removed says so: int_identity_links keeps its keys)."""
    home = copy_home(runs[0], tmp_path / "incremental")
    more, later = tmp_path / "more", tmp_path / "later"
    write_identity_changing_export(more, later)
    shutil.copytree(more, home.landing, dirs_exist_ok=True)
    # Six new buyers are a swing in a fixture this small: the gate asks to accept it.
    outcome = run_pipeline(home, DEFAULT_CONFIG, accept_anomalies=True)
    assert outcome.published, outcome.problems

    # What the export did, in the kept state: the phone is shared, the two orders moved.
    with duckdb.connect(str(home.state_db), read_only=True) as con:
        shared = con.execute(
            "select count(*) from intermediate.int_identity_links"
            " where right_identifier_type = 'phone' and right_identifier_value = ?"
            " and not is_used",
            [FAMILY_PHONE],
        ).fetchone()[0]
        assert shared >= 6
        anchor = con.execute(
            "select left_identifier_type from intermediate.int_identity_links"
            " where right_identifier_type = 'order_id' and right_identifier_value = ?",
            [PHONE_ONLY_ORDER],
        ).fetchall()
        assert anchor == [("order_id",)]
        moved = con.execute(
            "select order_id from intermediate.int_order_customer_changes order by order_id"
        ).fetchall()
        assert {"shopify-5100000000001", PHONE_ONLY_ORDER} <= {order for (order,) in moved}
    once = (
        "select count(*) from intermediate.int_customer_identities"
        f" where identifier_value = '{ONCE_EMAIL}'"
    )
    assert rows_of(home.state_db, once) == [(1,)]

    # The next run: the order's new version leaves ONCE_EMAIL on no record.
    shutil.copytree(later, home.landing, dirs_exist_ok=True)
    outcome = run_pipeline(home, DEFAULT_CONFIG)
    assert outcome.published, outcome.problems
    assert rows_of(home.state_db, once) == [(0,)]

    shutil.copytree(later, more, dirs_exist_ok=True)
    fresh = fresh_run_over_every_file(tmp_path / "fresh", DEFAULT_CONFIG, runs[0], more)
    incremental, from_scratch = (
        published_marts(home.published_db),
        published_marts(fresh.published_db),
    )
    assert incremental.keys() == from_scratch.keys()
    for table, rows in from_scratch.items():
        assert incremental[table] == rows, table
    for model, columns in [
        ("int_identity_links", "* exclude (source_record, dbt_invocation_id)"),
        ("int_customer_identities", "* exclude (dbt_invocation_id)"),
    ]:
        kept, rebuilt = (
            rows_of(state, f"select {columns} from intermediate.{model}")
            for state in (home.state_db, fresh.state_db)
        )
        assert kept and kept == rebuilt, model


def test_a_changed_setting_rebuilds_the_incremental_history(runs, tmp_path: Path):
    """Cafe24 and SmartStore write local times without a zone: after the brand corrects its
    timezone, old rows must be parsed again, exactly as a fresh build with that setting."""
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    shutil.copytree(runs[0].root, home.root, symlinks=True)
    shutil.copytree(runs[0].landing, home.landing)
    settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings["timezone"] = "America/Los_Angeles"
    config = tmp_path / "dangol.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")

    rerun = run_pipeline(home, config, accept_anomalies=True)
    assert rerun.published, rerun.problems
    fresh = fresh_run_over_every_file(tmp_path / "fresh", config, parse_of=home)
    last = RunOutcome.load(fresh.last_run_file)
    assert_dbt_reused_its_parse((fresh.dbt_target(last.run_id) / "dbt.log").read_text("utf-8"))

    before, after = published_marts(runs[0].published_db), published_marts(home.published_db)
    assert after["fct_orders"] != before["fct_orders"]  # the setting did change dates
    assert after == published_marts(fresh.published_db)
