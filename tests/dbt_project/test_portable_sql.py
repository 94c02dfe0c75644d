"""The models build on DuckDB and on Spark: SQL only one engine knows lives in a dispatched
macro (duckdb__/spark__), never in a model or a shared macro. `make test-spark` proves the
rest; this catches the known DuckDB-only constructs before anyone runs Spark."""

import re
from pathlib import Path

from orchestration.manifest import DBT_PROJECT_DIR

DUCKDB_ONLY = {
    "varchar (Spark: string; use dbt.type_string())": r"\bvarchar\b",
    "timestamp with time zone / timestamptz (use type_timestamp_tz())": (
        r"\bwith\s+time\s+zone\b|\btimestamptz\b"
    ),
    "strptime (use parse_timestamp)": r"\b(try_)?strptime\s*\(",
    "regexp_matches (use regexp_contains)": r"\bregexp_matches\s*\(",
    "regexp_replace(..., 'g') (use regexp_replace_all)": r",\s*'g'\s*\)",
    "to_milliseconds": r"\bto_milliseconds\s*\(",
    "timezone(tz, ts) (use local_date)": r"\btimezone\s*\(",
    "union all by name (list the columns)": r"\bunion\s+(all\s+)?by\s+name\b",
    "recursive CTE using key (use component_labels)": r"\busing\s+key\b",
    "* exclude (list the columns)": r"\bexclude\s*\(",
    "isodow / isoyear (use iso_day_of_week / iso_year)": r"\biso(dow|year)\b",
    "delete+insert (use history_incremental_strategy)": r"delete\+insert",
    "two-argument ltrim/rtrim (Spark takes the characters first)": (
        r"\b[lr]trim\s*\((?:[^()]|\([^()]*\))*,"
    ),
}
# A duckdb__ macro is where DuckDB's own SQL belongs.
DUCKDB_MACRO = re.compile(r"{%-?\s*macro\s+duckdb__.*?{%-?\s*endmacro\s*-?%}", re.S)
COMMENTS = re.compile(r"{#.*?#}|--[^\n]*", re.S)


def duckdb_only_constructs(project_dir: Path) -> list[str]:
    """Each use of a DuckDB-only construct outside a duckdb__ macro, as file:line: construct.
    A YAML line that chooses by target.type is engine-aware already."""
    found = []
    paths = sorted(
        path
        for folder in ("models", "macros", "tests", "seeds")
        for pattern in ("*.sql", "*.yml")
        for path in (project_dir / folder).rglob(pattern)
    )
    for path in paths:
        text = DUCKDB_MACRO.sub(lambda m: "\n" * m.group().count("\n"), path.read_text("utf-8"))
        text = COMMENTS.sub(lambda m: "\n" * m.group().count("\n"), text)
        for number, line in enumerate(text.splitlines(), start=1):
            if "target.type" in line:
                continue
            for construct, pattern in DUCKDB_ONLY.items():
                if re.search(pattern, line, re.I):
                    found.append(f"{path.relative_to(project_dir)}:{number}: {construct}")
    return found


def test_models_use_no_duckdb_only_sql_outside_dispatched_macros():
    assert duckdb_only_constructs(DBT_PROJECT_DIR) == []


def test_a_duckdb_only_construct_in_a_model_is_found(tmp_path: Path):
    (tmp_path / "models").mkdir()
    (tmp_path / "macros").mkdir()
    (tmp_path / "models" / "portable.sql").write_text(
        "-- union all by name in a comment is fine\nselect cast(x as {{ dbt.type_string() }})\n"
    )
    (tmp_path / "models" / "duckdb_only.sql").write_text(
        "select\n    cast(a as varchar) as a,\n    regexp_replace(b, '[^0-9]', '', 'g') as b\n"
        "from t\nunion all by name\nselect * exclude (c) from u\nwhere ltrim(trim(d), '@') = 'e'\n"
    )
    (tmp_path / "macros" / "dispatched.sql").write_text(
        "{% macro duckdb__local(ts) -%}\n    timezone('Asia/Seoul', {{ ts }})\n{%- endmacro %}\n"
        "{% macro spark__local(ts) -%}\n    timezone('Asia/Seoul', {{ ts }})\n{%- endmacro %}\n"
    )
    found = duckdb_only_constructs(tmp_path)
    assert [entry.split(": ")[0] for entry in found] == [
        "macros/dispatched.sql:5",
        "models/duckdb_only.sql:2",
        "models/duckdb_only.sql:3",
        "models/duckdb_only.sql:5",
        "models/duckdb_only.sql:6",
        "models/duckdb_only.sql:7",
    ]
