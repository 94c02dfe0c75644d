import duckdb
import pytest


@pytest.fixture
def con():
    """An in-memory DuckDB for loading landing files into raw tables."""
    connection = duckdb.connect()
    yield connection
    connection.close()
