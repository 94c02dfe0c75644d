from pathlib import Path

import duckdb

from data_quality.publish import prune_releases, publish_release


def tables(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        )
        return {name for (name,) in rows.fetchall()}


def test_only_the_marts_reach_the_published_warehouse(build_db: Path, tmp_path: Path):
    release = publish_release(build_db, tmp_path / "warehouse", run_id="0123456789abcdef")

    assert release.published == tmp_path / "warehouse" / "dangol.duckdb"
    assert tables(release.published) == {
        "marts.fct_orders",
        "marts.dim_customers",
        "marts.customer_rfm",
        "marts.segment_members",
        "meta.release",
    }
    assert release.table_rows["marts.fct_orders"] == 2
    with duckdb.connect(str(release.published), read_only=True) as con:
        assert con.execute("select release_id from meta.release").fetchone()[0] == (
            release.release_id
        )


def test_a_reader_keeps_its_release_while_the_next_one_is_published(build_db: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    first = publish_release(build_db, warehouse, run_id="run-one-0000")
    reader = duckdb.connect(str(first.published), read_only=True)
    with duckdb.connect(str(build_db)) as con:
        con.execute("delete from marts.fct_orders where order_id = 'shopify-2'")

    second = publish_release(build_db, warehouse, run_id="run-two-0000")

    # The open connection still sees the first release, whole; a new one sees the second.
    assert reader.execute("select count(*) from marts.fct_orders").fetchone()[0] == 2
    assert reader.execute("select run_id from meta.release").fetchone()[0] == "run-one-0000"
    reader.close()
    with duckdb.connect(str(second.published), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.fct_orders").fetchone()[0] == 1
    assert not list(warehouse.glob(".*partial"))


def test_old_releases_beyond_the_limit_are_pruned(tmp_path: Path):
    releases = tmp_path / "releases"
    releases.mkdir()
    for stamp in ["20260101T000000Z-a", "20260102T000000Z-b", "20260103T000000Z-c"]:
        (releases / f"{stamp}.duckdb").write_bytes(b"")

    removed = prune_releases(releases, keep=2)

    assert [p.name for p in removed] == ["20260101T000000Z-a.duckdb"]
    assert sorted(p.name for p in releases.iterdir()) == [
        "20260102T000000Z-b.duckdb",
        "20260103T000000Z-c.duckdb",
    ]
