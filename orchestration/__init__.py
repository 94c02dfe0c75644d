"""Dagster wiring for Dangol: assets, checks, schedule and sensor that call ingest/, dbt and
data_quality/. Importing this package imports no Dagster code; `definitions` does."""
