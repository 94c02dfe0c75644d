"""The dbt resource skips two start-up costs of dagster-dbt by overriding its private members;
an upgrade that renames them would silently bring the costs back, so the names are checked."""

import inspect

from dagster_dbt import DbtCliResource

from orchestration.defs.transform import DangolDbtCliResource


def test_the_overridden_start_up_steps_are_still_dagster_dbts_own():
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), f"dagster-dbt no longer has {name}"
        assert name in vars(DangolDbtCliResource)
    # dagster-dbt calls it with the dbt arguments and runs without an adapter when it has none.
    source = inspect.getsource(DbtCliResource.cli)
    assert "adapter = self._initialize_dbt_core_adapter(args)" in source
