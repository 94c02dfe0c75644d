"""Phone numbers as exported (010-1234-5678, +82 10..., 1012345678 after Excel ate the 0, 02-...)
to E.164, once per distinct raw value, into `raw.phone_numbers`, which staging joins.

`phonenumbers` parses about 30,000 values a second here, too slow for every row of a large
export. So each distinct raw text is normalised once ever (the table is kept between runs), and
the Korean mobile shape that makes up nearly all values (010 + 8 digits, with any separators,
with or without +82) is normalised in SQL; `phonenumbers` takes only what is left. The SQL path
gives exactly what `to_e164` (phonenumbers, plus "every 010 number is a mobile") gives for
those values (tests/ingest/test_contacts.py).
Measured on this 2-core machine: 1,000,000 distinct values (2% landlines, left to
phonenumbers) normalise in 3.0 s; a re-run with every value already known takes 0.2 s.
phonenumbers alone would take about 31 s for the same values.
"""

from __future__ import annotations

import re

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

# Only separators around the digits; national 0?10 + 8 digits, or +82 (0)10 + 8 digits. A bare
# "82..." and "+82" with dots are left to phonenumbers, which accepts them for some groupings
# and not others.
_SEPARATED = r"[0-9 ().-]+$"
_INTERNATIONAL_SEPARATED = r"[0-9 -]+$"
_NATIONAL = r"^0?10[0-9]{8}$"
_INTERNATIONAL = r"^820?10[0-9]{8}$"


def kr_mobile_sql(value: str) -> str:
    digits = f"regexp_replace({value}, '[^0-9]', '', 'g')"
    return (
        f"case when (regexp_matches({value}, '^\\s*{_SEPARATED}')"
        f" and regexp_matches({digits}, '{_NATIONAL}'))"
        f" or (regexp_matches({value}, '^\\s*\\+82{_INTERNATIONAL_SEPARATED}')"
        f" and regexp_matches({digits}, '{_INTERNATIONAL}'))"
        f" then '+8210' || right({digits}, 8) end"
    )


def to_e164(value: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    # Every 010 number is a Korean mobile; libphonenumber's range table lags (it calls
    # 010-5984-xxxx invalid), and dropping a real customer's number would split them in two.
    kr_mobile = number.country_code == 82 and re.fullmatch(r"10\d{8}", str(number.national_number))
    if not (kr_mobile or phonenumbers.is_valid_number(number)):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def preset_phone_columns() -> list[tuple[str, str]]:
    """(raw table, column) of every phone column the export presets load."""
    return [
        (preset.raw_table, column) for preset in load_presets() for column in preset.phone_columns
    ]


def normalise_new_phone_numbers(
    con: duckdb.DuckDBPyConnection,
    region: str,
    phone_columns: list[tuple[str, str]] | None = None,
) -> int:
    """Add every raw phone value of `phone_columns` (default: the presets') not normalised yet
    for `region`; returns how many were new."""
    columns = preset_phone_columns() if phone_columns is None else phone_columns
    reads = [f"select {column} as phone_raw from raw.{table}" for table, column in columns]
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
