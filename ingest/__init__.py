"""Turns export files from the landing folder into typed raw tables plus their rejects.

Plain Python and DuckDB: no Dagster imports, so readers run and test on their own."""
