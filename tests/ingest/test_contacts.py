import random

import duckdb
import pytest

from ingest.contacts import kr_mobile_sql, normalise_new_phone_numbers, to_e164
from ingest.landing import LANDED_SCHEMA, ensure_raw_schema

SHAPES = [
    "010-1234-5678", "01012345678", "010 1234 5678", "010.1234.5678", "(010) 1234-5678",
    "+82 10-1234-5678", "+821012345678", "+82 010-1234-5678",
    "1012345678",  # Excel dropped the leading 0
    " 010-2000-0000 ", "010-0123-4567",
]  # fmt: skip
NOT_FAST = [
    "82-10-1234-5678", "02-123-4567", "031)123-4567", "+1 415 555 2671", "0505-123-4567",
    "12345", "010-1234-567", "tel: 010-1234-5678", "없음",
]  # fmt: skip


def fast_path(value: str) -> str | None:
    return duckdb.execute(f"select {kr_mobile_sql('$v')}", {"v": value}).fetchone()[0]


@pytest.mark.parametrize("value", SHAPES)
def test_the_sql_fast_path_gives_exactly_what_phonenumbers_gives(value):
    fast = fast_path(value)
    assert fast == to_e164(value, "KR")
    assert fast is not None


def test_the_fast_path_agrees_with_phonenumbers_on_random_mobiles():
    rng = random.Random(3)
    values = [
        rng.choice(["", "+82 ", "82-", "+82 0"]) + rng.choice(["010", "10"])
        + rng.choice(["-", " ", "", "."]) + f"{rng.randrange(10**8):08d}"
        for _ in range(2_000)
    ]  # fmt: skip
    con = duckdb.connect()
    fast = con.execute(
        f"select v, {kr_mobile_sql('v')} from unnest($values) as t(v)", {"values": values}
    ).fetchall()
    answered = [(v, e164) for v, e164 in fast if e164 is not None]
    assert [(v, to_e164(v, "KR")) for v, _ in answered] == answered
    assert len(answered) > 0.5 * len(values)  # the rest go to phonenumbers


@pytest.mark.parametrize("value", NOT_FAST)
def test_other_shapes_are_left_to_phonenumbers(value):
    assert fast_path(value) is None


def test_each_distinct_raw_value_is_normalised_once_with_the_raw_text_kept():
    con = duckdb.connect()
    ensure_raw_schema(con)
    # As a loaded CRM export leaves them: its columns stored, raw.crm_contacts showing them.
    for column in ("contact_id", "phone"):
        con.execute(f"alter table {LANDED_SCHEMA}.crm_contacts add column {column} varchar")
    con.execute(
        f"insert into {LANDED_SCHEMA}.crm_contacts (contact_id, phone) values"
        " ('a', '010-1234-5678'), ('b', '010-1234-5678'), ('c', '02-123-4567'), ('d', '12345'),"
        " ('e', null)"
    )
    ensure_raw_schema(con)

    assert normalise_new_phone_numbers(con, "KR") == 3
    assert normalise_new_phone_numbers(con, "KR") == 0  # kept between runs
    assert con.execute("select * from raw.phone_numbers order by phone_raw").fetchall() == [
        ("010-1234-5678", "KR", "+821012345678"),
        ("02-123-4567", "KR", "+8221234567"),
        ("12345", "KR", None),  # not a valid number: null, the raw text stays in raw
    ]
