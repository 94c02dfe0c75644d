"""Entry point for `dagster dev` and workspace.yaml. Paths come from DANGOL_HOME,
DANGOL_LANDING and DANGOL_CONFIG (defaults: ./.dangol, <home>/landing, the repo's dangol.yaml)."""

from orchestration.config import DangolHome, config_path
from orchestration.defs import build_definitions
from orchestration.defs.resources import DangolResource

_home = DangolHome.resolve()
defs = build_definitions(
    DangolResource(
        home=str(_home.root),
        landing=str(_home.landing),
        config_path=str(config_path()),
    )
)
