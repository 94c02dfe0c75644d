"""Vocabularies the dbt project seeds, for Python code that validates against them.

The seed is their one home: a brand renames an RFM segment in dbt_project/seeds/rfm_segments.csv
and segment filters in dangol.yaml accept the new name.
"""

from __future__ import annotations

import csv
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


def rfm_segment_names() -> tuple[str, ...]:
    """The named RFM segments of the grid, in the seed's order, each once."""
    with (SEEDS_DIR / "rfm_segments.csv").open(encoding="utf-8", newline="") as seed:
        return tuple(dict.fromkeys(row["rfm_segment"] for row in csv.DictReader(seed)))


RFM_SEGMENTS = rfm_segment_names()
