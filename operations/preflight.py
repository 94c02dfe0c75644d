"""An operator's mistake stops a run before any work, in one line naming the path and the fix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ingest.landing_folder import landing_files


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


def _cannot_write(folder: Path) -> str | None:
    """Why `folder` cannot be made or written, proven with a real file (read-only mounts and
    a file in the way included), or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".dangol-write-check-"):
            return None
    except OSError as error:
        return error.strerror


def check_home_writable(root: Path) -> None:
    why = _cannot_write(root)
    if why:
        raise OperatorError(
            f"Dangol home {root} cannot be written ({why}): choose a writable folder with"
            " --home (DANGOL_HOME) or give the user running dangol write access"
        )


def check_first_run_has_exports(landing: Path, state_db: Path) -> None:
    """A first run with no export would publish an empty warehouse and empty segment lists."""
    if not state_db.exists() and not landing_files(landing):
        raise OperatorError(
            f"no export files in {landing} (shop/, crm/ or sns/) and nothing published yet:"
            " put the exports there and run again; nothing was published"
        )


def make_output_folder(out: Path) -> None:
    why = _cannot_write(out)
    if why:
        raise OperatorError(
            f"output folder {out} cannot be made or written ({why}): choose another --out,"
            " or create it and give the user running dangol write access"
        )
