"""Which files of the landing folder are candidate exports, without opening any of them:
cheap enough for the checks a run makes before it imports its readers."""

from __future__ import annotations

from pathlib import Path

from ingest.presets import SOURCE_FAMILIES


def landing_files(landing: Path) -> list[tuple[str, Path]]:
    """(source family, file) for every candidate file, in a stable order."""
    found = []
    for family in SOURCE_FAMILIES:
        folder = landing / family
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            # Hidden files and Excel's "~$" lock files are not exports.
            if path.is_file() and not path.name.startswith((".", "~$")):
                found.append((family, path))
    return found
