import dagster as dg

from orchestration.config import DangolConfig, DangolHome, load_config


class DangolResource(dg.ConfigurableResource):
    """Where this installation keeps its files and which config it runs with."""

    home: str
    landing: str
    config_path: str

    @property
    def paths(self) -> DangolHome:
        return DangolHome.resolve(self.home, self.landing)

    @property
    def config(self) -> DangolConfig:
        return load_config(self.config_path)
