"""The audit in write-audit-publish: expectation suites in code (great-expectations 1.x) and
the gate that turns their results into a typed verdict. No Dagster imports."""

import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from importlib.util import LazyLoader


class _LoadOnFirstUse(MetaPathFinder):
    """Imports the named modules as lazy modules: their code runs when one of their attributes
    is first read. It serves each name once (the first import makes the module) and then
    leaves the import system as it found it."""

    def __init__(self, *names: str) -> None:
        self.pending = set(names)

    def find_spec(self, name, path, target=None) -> ModuleSpec | None:
        if name not in self.pending:
            return None
        self.pending.discard(name)
        if not self.pending:
            sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target) if finder is not self else None
            if spec is not None and spec.loader is not None:
                spec.loader = LazyLoader(spec.loader)
                return spec
        return None


# great-expectations imports scipy.stats and altair as it loads, for the one expectation that uses
# them (KL divergence, and its chart), which no suite here has: half a second of every run's
# start. Every module of this package that imports great-expectations imports this one first.
if not {"scipy.stats", "altair"} & sys.modules.keys():
    sys.meta_path.insert(0, _LoadOnFirstUse("scipy.stats", "altair"))
