"""dbt-duckdb's connections to a run's build hold DuckDB's checkpoints back when the build is
the state file under another name, as every other connection that writes it does
(publish.duckdb_files.connect_build): dbt closes its database whenever no model holds it, and
DuckDB would checkpoint the build into the state as it closed. Named in
dbt_project/profiles.yml (`plugins:`); dbt-duckdb calls it on each database it opens."""

from dbt.adapters.duckdb.plugins import BasePlugin

from publish.duckdb_files import builds_on_the_state, hold_checkpoints


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        if builds_on_the_state(self.creds.path):
            hold_checkpoints(conn)
