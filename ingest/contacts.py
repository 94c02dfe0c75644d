"""Phone numbers as exported (010-1234-5678, +82 10..., 1012345678 after Excel ate the 0, 02-...)
to E.164, once per distinct raw value, into `raw.phone_numbers`, which staging joins.

`phonenumbers` parses about 30,000 values a second here, too slow for every row of a large
export. So each distinct raw text is normalised once ever (the table is kept between runs), and
the Korean mobile shape that makes up nearly all values (010 + 8 digits, with any separators,
with or without +82) is normalised in SQL; `phonenumbers` takes only what is left. The SQL path
gives exactly what `phonenumbers` gives for those values (tests/ingest/test_contacts.py).
"""

from __future__ import annotations

import duckdb
import phonenumbers
import pyarrow as pa

from ingest.presets import load_presets

PHONE_NUMBERS_DDL = """
create table if not exists raw.phone_numbers (
    phone_raw varchar not null,
    default_region varchar not null,
    phone_e164 varchar,
    primary key (phone_raw, default_region)
)
"""

# Only separators around the digits, and the digits are (82)(0)10 + a block not starting 0/1.
_KR_MOBILE_SHAPE = r"^\s*\+?[0-9 ().-]+$"
_KR_MOBILE_DIGITS = r"^(82)?0?10[2-9][0-9]{7}$"


def kr_mobile_sql(value: str) -> str:
    digits = f"regexp_replace({value}, '[^0-9]', '', 'g')"
    return (
        f"case when regexp_matches({value}, '{_KR_MOBILE_SHAPE}')"
        f" and regexp_matches({digits}, '{_KR_MOBILE_DIGITS}')"
        f" then '+8210' || right({digits}, 8) end"
    )


def to_e164(value: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_new_phone_numbers(con: duckdb.DuckDBPyConnection, region: str) -> int:
    """Add every raw phone value not normalised yet for `region`; returns how many were new."""
    reads = [
        f"select {column} as phone_raw from raw.{preset.raw_table}"
        for preset in load_presets()
        for column in preset.phone_columns
    ]
    if not reads:
        return 0
    fast = kr_mobile_sql("phone_raw") if region == "KR" else "null::varchar"
    con.execute(
        f"""
        create or replace temp table new_phone_numbers as
        select phone_raw, {fast} as phone_e164
        from (select distinct phone_raw from ({" union all ".join(reads)}))
        where phone_raw is not null
            and phone_raw not in (
                select phone_raw from raw.phone_numbers where default_region = $region
            )
        """,
        {"region": region},
    )
    leftovers = [
        row[0]
        for row in con.execute(
            "select phone_raw from new_phone_numbers where phone_e164 is null"
        ).fetchall()
    ]
    parsed = pa.table(
        {
            "phone_raw": pa.array(leftovers, pa.string()),
            "phone_e164": pa.array([to_e164(v, region) for v in leftovers], pa.string()),
        }
    )
    con.register("parsed_phone_numbers", parsed)
    new = con.execute(
        """
        insert into raw.phone_numbers
        select new.phone_raw, $region, coalesce(new.phone_e164, parsed.phone_e164)
        from new_phone_numbers as new
        left join parsed_phone_numbers as parsed using (phone_raw)
        """,
        {"region": region},
    ).fetchone()[0]
    con.unregister("parsed_phone_numbers")
    con.execute("drop table new_phone_numbers")
    return new
