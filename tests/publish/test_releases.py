from pathlib import Path

import duckdb
import pytest

import publish.releases as releases
from publish.releases import (
    Release,
    ReleaseError,
    TableWrite,
    list_releases,
    marts_fingerprint,
    prune_releases,
    publish_contacts,
    publish_release,
    published_release_id,
    rollback,
)
from tests.conftest import PUBLISH


def tables(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        )
        return {name for (name,) in rows.fetchall()}


def orders_in(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select count(*) from marts.fct_orders").fetchone()[0]


def change_build(build_db: Path) -> None:
    with duckdb.connect(str(build_db)) as con:
        con.execute("delete from marts.fct_orders where order_id = 'shopify-2'")


def test_only_the_marts_reach_the_published_warehouse(build_db: Path, tmp_path: Path):
    release = publish_release(
        build_db, tmp_path / "warehouse", run_id="0123456789abcdef", **PUBLISH
    )

    assert release.published == tmp_path / "warehouse" / "dangol.duckdb"
    assert tables(release.published) == {
        "marts.fct_orders",
        "marts.fct_order_lines",
        "marts.fct_channel_daily",
        "marts.dim_customers",
        "marts.customer_rfm",
        "marts.segment_members",
        "marts.customer_ltv",
        "marts.revenue_concentration_summary",
        "marts.cohort_retention",
        "marts.fct_engagement_events",
        "marts.customer_loyalty",
        "marts.flywheel_stages",
        "marts.customer_purchase_summary",
        "marts.customer_clv",
        "marts.clv_model_status",
        "meta.release",
        "meta.release_tables",
        "meta.release_months",
    }
    assert release.table_rows["marts.fct_orders"] == 2
    assert published_release_id(tmp_path / "warehouse") == (release.release_id, release.fingerprint)


def test_a_parquet_snapshot_of_the_marts_sits_beside_each_release(build_db: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    release = publish_release(build_db, warehouse, run_id="0123456789abcdef", **PUBLISH)

    current = warehouse / "parquet"
    assert current.resolve() == (release.folder / "parquet").resolve()
    assert sorted(p.name for p in current.iterdir()) == [
        "marts.clv_model_status.parquet",
        "marts.cohort_retention.parquet",
        "marts.customer_clv.parquet",
        "marts.customer_loyalty.parquet",
        "marts.customer_ltv.parquet",
        "marts.customer_purchase_summary.parquet",
        "marts.customer_rfm.parquet",
        "marts.dim_customers.parquet",
        "marts.fct_channel_daily.parquet",
        "marts.fct_engagement_events.parquet",
        "marts.fct_order_lines",
        "marts.fct_orders",
        "marts.flywheel_stages.parquet",
        "marts.revenue_concentration_summary.parquet",
        "marts.segment_members.parquet",
    ]
    # The big facts are folders of monthly files, one Hive-partitioned dataset each.
    assert sorted(p.name for p in (current / "marts.fct_orders").iterdir()) == [
        "ordered_month=2026-03"
    ]
    assert published_rows(build_db, "marts.fct_orders") == parquet_rows(
        current / "marts.fct_orders", without="ordered_month"
    )


def test_publishing_the_same_build_twice_changes_nothing(build_db: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    published_bytes = first.published.read_bytes()

    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    assert second.unchanged and second.release_id == first.release_id
    assert first.published.read_bytes() == published_bytes
    assert list_releases(warehouse) == [first.release_id]


def test_the_fingerprint_follows_content_not_row_order(build_db: Path, tmp_path: Path):
    before = marts_fingerprint(build_db, PUBLISH["resources"])
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "create or replace table marts.fct_orders as"
            " from marts.fct_orders order by order_id desc"
        )
    assert marts_fingerprint(build_db, PUBLISH["resources"]) == before
    change_build(build_db)
    assert marts_fingerprint(build_db, PUBLISH["resources"]) != before


def test_a_reader_keeps_its_release_while_the_next_one_is_published(build_db: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    reader = duckdb.connect(str(first.published), read_only=True)
    change_build(build_db)

    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    # The open connection still sees the first release, whole; a new one sees the second.
    assert reader.execute("select count(*) from marts.fct_orders").fetchone()[0] == 2
    assert reader.execute("select run_id from meta.release").fetchone()[0] == "run-one-0000"
    reader.close()
    assert orders_in(second.published) == 1
    assert not list(warehouse.glob(".*partial")) and not list(warehouse.glob("releases/.*"))


def grow_order_lines(build_db: Path, lines: int) -> None:
    """Enough order lines, over two years, that a daily change is a sliver of them (and of the
    months they span), as at any real size."""
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "insert into marts.fct_order_lines select 'shopify-' || i, 1000.00, 1,"
            " date '2024-03-01' + (i * 7 % 730)::int"
            f" from range(3, {lines + 1}) t(i)"
        )


def publish_daily_changes(build_db: Path, warehouse: Path, runs: int) -> list[Release]:
    """Publish `runs` releases, each after a day changed one order's lines."""
    published = []
    for run in range(runs):
        with duckdb.connect(str(build_db)) as con:
            con.execute(
                f"update marts.fct_order_lines set quantity = {run + 5}"
                " where order_id = 'shopify-9'"
            )
        published.append(publish_release(build_db, warehouse, run_id=f"run-{run}-0000", **PUBLISH))
    return published


def published_rows(release_db: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(release_db), read_only=True) as con:
        return sorted(con.execute(f"from {table}").fetchall())


def parquet_rows(dataset: Path, without: str) -> list[tuple]:
    """The rows of a monthly Parquet dataset as a tool reads it, less the partition column."""
    with duckdb.connect() as con:
        return sorted(
            con.execute(
                f"select * exclude ({without})"
                f" from read_parquet('{dataset}/*/*.parquet', hive_partitioning = true)"
            ).fetchall()
        )


def month_files(release: Path, table: str) -> dict[str, int]:
    """Each month's Parquet file of a monthly table in a release, by its inode."""
    return {
        part.parent.name: part.stat().st_ino
        for part in (release / "parquet" / table).glob("*/*.parquet")
    }


def test_a_release_patches_the_few_rows_that_changed_and_reuses_unchanged_tables(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 200)
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.fct_order_lines set quantity = 2 where order_id = 'shopify-7'")
        con.execute(
            "insert into marts.fct_order_lines values ('shopify-201', 500.00, 1, '2026-03-02')"
        )
        changed = {  # shopify-7's month and the new line's
            f"ordered_month={month}"
            for (month,) in con.execute(
                "select distinct strftime(ordered_date, '%Y-%m') from marts.fct_order_lines"
                " where order_id in ('shopify-7', 'shopify-201')"
            ).fetchall()
        }

    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    assert second.table_writes["marts.fct_order_lines"] == TableWrite.PATCHED
    assert {w for t, w in second.table_writes.items() if t != "marts.fct_order_lines"} == {
        TableWrite.KEPT
    }
    # The release holds exactly the build's rows, and its Parquet snapshot too.
    assert marts_fingerprint(second.folder / "dangol.duckdb", PUBLISH["resources"]) == (
        marts_fingerprint(build_db, PUBLISH["resources"])
    )
    lines = published_rows(build_db, "marts.fct_order_lines")
    assert published_rows(second.published, "marts.fct_order_lines") == lines
    snapshot = second.folder / "parquet" / "marts.fct_order_lines"
    assert parquet_rows(snapshot, without="ordered_month") == lines
    kept = "parquet/marts.dim_customers.parquet"
    assert (second.folder / kept).stat().st_ino == (first.folder / kept).stat().st_ino
    # A monthly table's Parquet: new files for the months that changed, the others shared.
    before, after = (month_files(r.folder, "marts.fct_order_lines") for r in (first, second))
    assert len(after) == len(before) > 20
    assert {month for month in after if after[month] != before[month]} == changed
    # The first release is untouched: a rollback finds it as it was published.
    assert len(published_rows(first.folder / "dangol.duckdb", "marts.fct_order_lines")) == 200
    # Nothing may write to what the next release starts from and shares.
    files = [path for path in second.folder.rglob("*") if path.is_file()]
    assert {path.stat().st_mode & 0o777 for path in files} == {0o444}


def test_without_parquet_a_release_is_whole_in_duckdb_and_no_tool_reads_an_older_snapshot(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 200)
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    assert (warehouse / "parquet").resolve() == (first.folder / "parquet").resolve()
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.fct_order_lines set quantity = 2 where order_id = 'shopify-7'")
        con.execute("delete from marts.dim_customers where customer_id = 'c2'")

    second = publish_release(
        build_db, warehouse, run_id="run-two-0000", **{**PUBLISH, "parquet_snapshot": False}
    )

    assert not (second.folder / "parquet").exists()
    # The link went with it: it would have named the first release's snapshot, unlike the data.
    assert not (warehouse / "parquet").exists() and not (warehouse / "parquet").is_symlink()
    # Patched and kept as with a snapshot: the DuckDB file holds exactly the build's rows.
    assert second.table_writes["marts.fct_order_lines"] == TableWrite.PATCHED
    assert second.table_writes["marts.fct_orders"] == TableWrite.KEPT
    assert marts_fingerprint(second.published, PUBLISH["resources"]) == marts_fingerprint(
        build_db, PUBLISH["resources"]
    )
    assert published_rows(second.published, "marts.fct_order_lines") == published_rows(
        build_db, "marts.fct_order_lines"
    )
    # A rollback to the release with a snapshot brings its link back, and forward takes it away.
    rollback(warehouse, first.release_id)
    assert (warehouse / "parquet").resolve() == (first.folder / "parquet").resolve()
    rollback(warehouse, second.release_id)
    assert not (warehouse / "parquet").is_symlink()


def test_parquet_turned_on_again_is_written_whole_even_when_the_data_did_not_change(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 200)
    first = publish_release(
        build_db, warehouse, run_id="run-one-0000", **{**PUBLISH, "parquet_snapshot": False}
    )

    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    # Same rows, but what was published lacks what is asked for now: a new release.
    assert not second.unchanged and second.release_id != first.release_id
    assert (warehouse / "parquet").resolve() == (second.folder / "parquet").resolve()
    lines = published_rows(build_db, "marts.fct_order_lines")
    snapshot = second.folder / "parquet" / "marts.fct_order_lines"
    assert parquet_rows(snapshot, without="ordered_month") == lines
    with duckdb.connect() as con:
        customers = con.execute(
            f"select count(*) from '{second.folder}/parquet/marts.dim_customers.parquet'"
        ).fetchone()[0]
    assert customers == second.table_rows["marts.dim_customers"] > 0
    # And a third run with the same rows and the same setting keeps that release.
    third = publish_release(build_db, warehouse, run_id="run-three-000", **PUBLISH)
    assert third.unchanged and third.release_id == second.release_id


def test_a_month_whose_rows_all_went_leaves_the_release_and_its_snapshot(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 200)
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "delete from marts.fct_order_lines"
            " where ordered_date between '2025-01-01' and '2025-01-31'"
        )

    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    assert second.table_writes["marts.fct_order_lines"] == TableWrite.PATCHED
    months = month_files(second.folder, "marts.fct_order_lines")
    assert set(month_files(first.folder, "marts.fct_order_lines")) - set(months) == {
        "ordered_month=2025-01"
    }
    lines = published_rows(build_db, "marts.fct_order_lines")
    assert published_rows(second.published, "marts.fct_order_lines") == lines
    snapshot = second.folder / "parquet" / "marts.fct_order_lines"
    assert parquet_rows(snapshot, without="ordered_month") == lines


def test_a_monthly_tables_sums_come_by_month_and_add_up_to_the_tables():
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_orders as select * from (values"
            " ('o1', date '2026-10-31'), ('o2', date '2026-11-01'), ('o3', date '2026-11-30'),"
            " ('o4', null)) t(order_id, ordered_date)"
        )
        content = releases.table_content(con, "memory", "marts", "fct_orders")
        whole = con.execute("select sum(hash(t)::hugeint) from marts.fct_orders t").fetchone()[0]
        november = con.execute(
            "select sum(hash(t)::hugeint) from marts.fct_orders t"
            " where ordered_date >= date '2026-11-01' and ordered_date < date '2026-12-01'"
        ).fetchone()[0]

    assert [(m.month, m.rows) for m in content.months] == [
        ("2026-10", 1),
        ("2026-11", 2),
        ("unknown", 1),
    ]
    assert content.months[1].content == november
    assert (content.rows, content.content) == (4, whole)
    assert sum(m.content for m in content.months) == whole


def test_a_release_from_before_monthly_tables_is_followed_by_one_written_by_month(
    build_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 200)
    with monkeypatch.context() as before_monthly_tables:
        before_monthly_tables.setattr(releases, "MONTHLY_TABLES", {})
        first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    assert (first.folder / "parquet" / "marts.fct_order_lines.parquet").is_file()

    later = publish_daily_changes(build_db, warehouse, runs=2)

    # Nothing said which months the first release's rows are in: written whole once.
    writes = [release.table_writes["marts.fct_order_lines"] for release in later]
    assert writes == [TableWrite.WRITTEN, TableWrite.PATCHED]
    snapshot = later[-1].folder / "parquet" / "marts.fct_order_lines"
    assert parquet_rows(snapshot, without="ordered_month") == published_rows(
        build_db, "marts.fct_order_lines"
    )


def test_the_published_file_is_the_releases_own_and_read_only(build_db: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    change_build(build_db)
    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    # Another name of the release's file, not a copy of it; a rollback names the first's.
    published = warehouse / "dangol.duckdb"
    assert published.samefile(second.folder / "dangol.duckdb")
    assert published.stat().st_mode & 0o777 == 0o444
    rollback(warehouse)
    assert published.samefile(first.folder / "dangol.duckdb")
    assert second.folder.joinpath("dangol.duckdb").stat().st_nlink == 1
    assert not list(warehouse.glob(".*partial"))


def test_a_release_file_written_to_after_it_was_published_is_no_base(
    build_db: Path, tmp_path: Path
):
    """A tool that could write to the published file anyway (run as root, or after a chmod)
    changes the release the next one would start from: that one is written whole instead."""
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 200)
    publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    published = warehouse / "dangol.duckdb"
    published.chmod(0o644)
    with duckdb.connect(str(published)) as con:
        con.execute("create table marts.scratch as select 1 as analysts_row")
        con.execute("delete from marts.fct_order_lines where order_id = 'shopify-9'")
    change_build(build_db)

    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    assert set(second.table_writes.values()) == {TableWrite.WRITTEN}
    assert "marts.scratch" not in tables(second.published)
    assert marts_fingerprint(second.published, PUBLISH["resources"]) == (
        marts_fingerprint(build_db, PUBLISH["resources"])
    )
    # Left alone, a release is the next one's base again.
    change_build(build_db)
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.fct_order_lines set quantity = 4 where order_id = 'shopify-7'")
    third = publish_release(build_db, warehouse, run_id="run-three-000", **PUBLISH)
    assert third.table_writes["marts.fct_order_lines"] == TableWrite.PATCHED


def test_a_kept_table_whose_snapshot_went_missing_gets_a_new_one(build_db: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    change_build(build_db)  # fct_orders changes; dim_customers does not
    (first.folder / "parquet" / "marts.dim_customers.parquet").unlink()
    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    snapshot = second.folder / "parquet" / "marts.dim_customers.parquet"
    assert second.table_writes["marts.dim_customers"] != TableWrite.KEPT
    assert published_rows(second.published, f"'{snapshot}'") == published_rows(
        build_db, "marts.dim_customers"
    )


def test_a_table_changed_in_bulk_in_columns_or_in_duplicates_is_written_whole(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 100)
    publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.fct_order_lines set quantity = 3")  # every row changed
        con.execute("alter table marts.dim_customers add column is_member boolean")
        # A copy of a row it already holds: no row is new by its hash, yet there is one more.
        con.execute("insert into marts.customer_rfm from marts.customer_rfm limit 1")
        con.execute("drop table marts.cohort_retention")

    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)

    for table in ("fct_order_lines", "dim_customers", "customer_rfm"):
        assert second.table_writes[f"marts.{table}"] == TableWrite.WRITTEN, table
    assert "marts.cohort_retention" not in tables(second.published)
    assert marts_fingerprint(second.published, PUBLISH["resources"]) == (
        marts_fingerprint(build_db, PUBLISH["resources"])
    )


def test_every_so_many_releases_one_is_written_whole(
    build_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(releases, "RELEASES_BETWEEN_WHOLE_WRITES", 2)
    warehouse = tmp_path / "warehouse"
    grow_order_lines(build_db, 100)

    writes = [
        release.table_writes["marts.fct_order_lines"]
        for release in publish_daily_changes(build_db, warehouse, runs=3)
    ]

    assert writes == [TableWrite.WRITTEN, TableWrite.PATCHED, TableWrite.WRITTEN]


def test_rollback_restores_the_previous_release_and_can_go_forward_again(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    first = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)
    change_build(build_db)
    second = publish_release(build_db, warehouse, run_id="run-two-0000", **PUBLISH)
    assert first.release_id < second.release_id

    assert rollback(warehouse) == first.release_id
    assert orders_in(warehouse / "dangol.duckdb") == 2
    assert (warehouse / "parquet").resolve() == (first.folder / "parquet").resolve()

    assert rollback(warehouse, second.release_id) == second.release_id
    assert orders_in(warehouse / "dangol.duckdb") == 1


def test_rollback_names_the_kept_releases_when_asked_for_an_unknown_one(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    only = publish_release(build_db, warehouse, run_id="run-one-0000", **PUBLISH)

    with pytest.raises(ReleaseError, match="no release older than"):
        rollback(warehouse)
    with pytest.raises(ReleaseError, match=only.release_id):
        rollback(warehouse, "20200101T000000Z-nothere")


def test_old_releases_beyond_the_limit_are_pruned_but_never_the_current(
    build_db: Path, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    kept = []
    for run in range(3):
        with duckdb.connect(str(build_db)) as con:
            con.execute(f"update marts.fct_orders set items_count = {run + 2}")
        kept.append(
            publish_release(build_db, warehouse, run_id=f"run-{run}-0000", **PUBLISH).release_id
        )
    rollback(warehouse, kept[0])

    removed = prune_releases(warehouse, keep=1)

    assert removed == [kept[1]]
    assert list_releases(warehouse) == [kept[0], kept[2]]


def test_contact_points_go_only_to_their_owner_only_file(build_db: Path, tmp_path: Path):
    with duckdb.connect(str(build_db)) as con:
        con.execute("create schema restricted")
        con.execute("create table restricted.customer_contacts as select 'c1' as customer_id")
    restricted_db = tmp_path / "restricted" / "contacts.duckdb"

    rows = publish_contacts(build_db, restricted_db, PUBLISH["resources"])

    assert rows == {"restricted.customer_contacts": 1}
    assert tables(restricted_db) == {"restricted.customer_contacts"}
    assert restricted_db.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in restricted_db.parent.iterdir()) == ["contacts.duckdb"]
