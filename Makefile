# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DBT_MANIFEST := dbt_project/target/manifest.json
# dbt_project.yml holds no vars: dbt and sqlfluff get them from the config (orchestration/dbt_vars.py).
DBT_VARS = $(BIN)/python -m orchestration.dbt_vars
SQLFLUFF_VARS := dbt_project/target/sqlfluff/pyproject.toml
# sqlfluff's dbt parses with its own vars: in its own target folder, so that dbt_project/target
# keeps the parse made with a run's vars, which a home's first run starts from.
SQLFLUFF := DBT_TARGET_PATH=target/sqlfluff $(BIN)/sqlfluff
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print)

.PHONY: install demo serve test test-daemon test-spark lint format pytest validate bench bench-ingest bench-clv clean browser

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# dagster-dbt reads the manifest when definitions load; parse once here, never at import time.
$(DBT_MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --vars "$$(../$(DBT_VARS))"

demo: $(INSTALLED) $(DBT_MANIFEST)
	$(BIN)/dangol demo

# Production: dagster-daemon (schedule, sensor, run queue) and dagster-webserver on a persistent
# Dagster home (README, "Operations"); DANGOL_HOME, DANGOL_LANDING and DAGSTER_HOME apply.
serve: $(INSTALLED) $(DBT_MANIFEST)
	$(BIN)/dangol serve

test: lint validate pytest

lint: $(INSTALLED) $(DBT_MANIFEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DBT_VARS) --sqlfluff-config $(SQLFLUFF_VARS)
	$(SQLFLUFF) lint dbt_project --config $(SQLFLUFF_VARS)

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(DBT_VARS) --sqlfluff-config $(SQLFLUFF_VARS)
	$(SQLFLUFF) fix dbt_project --config $(SQLFLUFF_VARS)

validate: $(INSTALLED) $(DBT_MANIFEST)
	$(BIN)/dagster definitions validate -w workspace.yaml

# The report test renders the marketer's report in Debian's headless Chromium, with a Hangul
# font so the screenshot shows Korean labels; installed once, only when missing (CI runs as root).
browser:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=ko | grep -q .; then \
		apt-get update && apt-get install -y --no-install-recommends chromium fonts-nanum; \
	fi

# Test files run on both cores: each test owns its tmp home, build file and dbt target. The
# slowest tests are listed at the end: `make test` should stay within 8 minutes.
pytest: $(INSTALLED) $(DBT_MANIFEST) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not daemon" --durations 15

# The production daemon for real (`dangol serve`, a sensor-started run that publishes): a minute
# or more of daemon start-up and a whole run, so CI runs it after `make test`, as test-spark.
test-daemon: $(INSTALLED) $(DBT_MANIFEST)
	$(BIN)/python -m pytest -n 0 -m daemon

# The same dbt project on local Apache Spark (pyspark, Parquet tables; Java 17): builds the demo
# on DuckDB and on Spark from the same raw tables and compares every public mart. CI runs it
# after `make test`.
# In a venv of its own: with pyspark installed, great-expectations imports pyspark.sql.connect,
# which exits any process whose __main__ has no file (a pytest-xdist worker), so `make test` in
# the same venv would stop without a word.
SPARK_WORK ?= /tmp/dangol-spark-check
SPARK_VENV := .venv-spark
SPARK_INSTALLED := $(SPARK_VENV)/.installed

$(SPARK_INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SPARK_VENV)/bin/python -m pip install --quiet -e '.[dev,spark]'
	touch $@

test-spark: $(SPARK_INSTALLED) $(DBT_MANIFEST)
	$(SPARK_VENV)/bin/python -m engines.spark check --work $(SPARK_WORK)

# Not part of `make test`. `bench`: whole runs at 1M and 10M order lines (and the daily file,
# and the demo) beside a plain DuckDB floor; BENCH_LINES="100000" for a quick look. Exports are
# generated once and kept in /tmp/dangol-bench. `bench-ingest`: ingest alone against read_csv.
bench: $(INSTALLED) $(DBT_MANIFEST)
	$(BIN)/python benchmarks/pipeline_scale.py --lines $(or $(BENCH_LINES),1000000 10000000)

bench-ingest: $(INSTALLED)
	$(BIN)/python benchmarks/ingest_throughput.py --size-mb $(or $(BENCH_MB),1024)

# Not part of `make test`: fit + score of the CLV models on 1,000,000 synthetic customers beside
# the DuckDB query that builds their summary (time, CPU, peak memory).
bench-clv: $(INSTALLED)
	$(BIN)/python benchmarks/clv_fit.py --customers $(or $(BENCH_CUSTOMERS),1000000)

clean:
	rm -rf $(VENV) $(SPARK_VENV) dbt_project/target dbt_project/logs .dangol
