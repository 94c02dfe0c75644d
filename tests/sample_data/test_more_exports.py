import datetime as dt
import functools
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingest.landing import ingest_landing
from ingest.presets import load_presets
from sample_data.base_exports import write_sample_exports
from sample_data.more_exports import MEMBER_PURCHASE_MULTIPLE, write_channel_exports
from tests.conftest import INGEST_SETTINGS

AS_OF = dt.date(2026, 3, 5)
ORDER_EXPORTS = ("orders_export_1.csv", "orders_export_2.csv")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "landing"
    write_sample_exports(out, customers=400, seed=5, as_of=AS_OF)
    write_channel_exports(out, seed=5, as_of=AS_OF, dirt_rate=0.1)
    return out


def test_dirt_is_other_spellings_of_the_same_values(landing):
    text = (landing / "shop" / "cafe24_orders.csv").read_bytes().decode("cp949")
    assert "오후" in text or "오전" in text
    assert "￦" in text and "원" in text


def test_demo_data_covers_every_preset_and_loads_with_only_its_broken_lines_rejected(landing):
    con = duckdb.connect()

    report = ingest_landing(con, landing, run_id="demo", settings=INGEST_SETTINGS)

    assert {f.preset for f in report.files} == {p.name for p in load_presets()}
    formats = {f.file.name: f.file_format for f in report.files}
    assert formats["cafe24_orders.csv"] == "csv (CP949/EUC-KR)"
    assert formats["cafe24_orders.xlsx"] == formats["smartstore_orders.xlsx"] == "xlsx"
    counts = con.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from raw.ingest_files"
    ).fetchone()
    assert counts[0] == counts[1] + counts[2]
    assert 0 < counts[2] < 0.03 * counts[0]  # a tenth of the 10% dirt is broken lines
    reasons = con.execute("select distinct split_part(reason, ':', 1) from raw.ingest_rejects")
    assert reasons.fetchall() == [("TOO MANY COLUMNS",)]


def test_same_seed_same_bytes(tmp_path: Path):
    for name in ("a", "b"):
        write_sample_exports(tmp_path / name, customers=50, seed=3, as_of=AS_OF)
        write_channel_exports(tmp_path / name, seed=3, as_of=AS_OF)
    for path in (tmp_path / "a").rglob("*.csv"):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()


def test_members_buy_the_configured_multiple_after_joining(tmp_path: Path):
    """The demo's deliberate membership effect, read back from the files: orders a member placed
    after first joining, in both Shopify exports, against those in the base export alone."""
    write_sample_exports(tmp_path, customers=600, seed=4, as_of=AS_OF)
    write_channel_exports(tmp_path, seed=4, as_of=AS_OF, dirt_rate=0)
    read = functools.partial(pd.read_csv, dtype=str, keep_default_na=False)
    contacts = read(tmp_path / "crm" / "contacts.csv")
    events = read(tmp_path / "crm" / "membership_events.csv")
    joins = events[events["Event Type"] == "join"].groupby("Contact ID")["Occurred At"].min()
    joined_at = contacts.set_index("Phone")["Contact ID"].map(joins).dropna()
    base, extra = (read(tmp_path / "shop" / name) for name in ORDER_EXPORTS)
    orders = pd.concat([base.assign(extra=False), extra.assign(extra=True)])
    assert orders["Name"].nunique() == orders.loc[orders["Id"] != "", "Id"].nunique()
    orders = orders[orders["Id"] != ""]
    orders["joined_at"] = orders["Billing Phone"].map(joined_at)
    orders["after_joining"] = orders["Created at"].str[:19] >= orders["joined_at"]
    extra_orders = orders[orders["extra"]]
    assert extra_orders["after_joining"].all()  # nobody but a member, nothing before joining
    assert (extra_orders["Created at"].str[:10] <= AS_OF.isoformat()).all()
    # Each extra order carries the buyer identifiers of one of that member's own orders.
    buyer = ["Billing Phone", "Email", "Phone"]
    own = set(orders.loc[~orders["extra"], buyer].itertuples(index=False))
    assert set(extra_orders[buyer].itertuples(index=False)) <= own
    after = orders[orders["after_joining"]]
    own_after = (~after["extra"]).sum()
    # Extras are Poisson((multiple - 1) x own orders): allow three standard deviations.
    spread = 3 * math.sqrt((MEMBER_PURCHASE_MULTIPLE - 1) / own_after)
    assert len(after) / own_after == pytest.approx(MEMBER_PURCHASE_MULTIPLE, abs=spread)
