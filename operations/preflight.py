"""An operator's mistake stops a run before any work, in one line naming the path and the fix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ingest.landing import landing_files


class OperatorError(Exception):
    """A path the operator gave cannot be used; the message names it and what to do."""


def check_landing(landing: Path) -> None:
    if not landing.exists():
        raise OperatorError(
            f"landing folder {landing} does not exist: create it with shop/, crm/ and sns/"
            " sub-folders holding the exports, or point --landing (DANGOL_LANDING) at the"
            " folder that has them"
        )
    if not landing.is_dir() or not os.access(landing, os.R_OK | os.X_OK):
        raise OperatorError(
            f"landing folder {landing} cannot be read: give the user running dangol read"
            " access to it, or point --landing (DANGOL_LANDING) elsewhere"
        )


def check_home_writable(root: Path) -> None:
    """Made if missing, then proven writable with a real file (read-only mounts included)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".dangol-write-check-"):
            pass
    except OSError as error:
        raise OperatorError(
            f"Dangol home {root} cannot be written ({error.strerror}): choose a writable"
            " folder with --home (DANGOL_HOME) or give the user running dangol write access"
        ) from None


def check_first_run_has_exports(landing: Path, state_db: Path) -> None:
    """A first run with no export would publish an empty warehouse and empty segment lists."""
    if not state_db.exists() and not landing_files(landing):
        raise OperatorError(
            f"no export files in {landing} (shop/, crm/ or sns/) and nothing published yet:"
            " put the exports there and run again; nothing was published"
        )


def make_output_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".dangol-write-check-"):
            pass
    except OSError as error:
        raise OperatorError(
            f"output folder {out} cannot be made or written ({error.strerror}): choose another"
            " --out, or create it and give the user running dangol write access"
        ) from None
