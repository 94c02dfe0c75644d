"""Export layouts as data: a preset per known export, matched to a file by its header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PRESETS_DIR = Path(__file__).parent / "presets"
SOURCE_FAMILIES = ("shop", "crm", "sns")


@dataclass(frozen=True)
class Preset:
    name: str
    source_family: str
    description: str
    raw_table: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    def missing_from(self, header: list[str]) -> list[str]:
        present = set(header)
        return [column for column in self.required if column not in present]


def raw_column_name(header: str) -> str:
    """'Lineitem quantity' -> 'lineitem_quantity': the raw table's name for a file column."""
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


@cache
def load_presets() -> tuple[Preset, ...]:
    presets = []
    for family in SOURCE_FAMILIES:
        document = yaml.safe_load((PRESETS_DIR / f"{family}.yaml").read_text(encoding="utf-8"))
        for name, spec in document.items():
            presets.append(
                Preset(
                    name=name,
                    source_family=family,
                    description=spec["description"],
                    raw_table=spec["raw_table"],
                    required=tuple(spec["required"]),
                    optional=tuple(spec.get("optional", ())),
                )
            )
    return tuple(presets)


@dataclass(frozen=True)
class Detection:
    preset: Preset | None
    closest: Preset | None
    missing: list[str]


def detect_preset(source_family: str, header: list[str]) -> Detection:
    """The preset whose required columns the header has; else the closest one and its gaps."""
    candidates = [p for p in load_presets() if p.source_family == source_family]
    for preset in candidates:
        if not preset.missing_from(header):
            return Detection(preset=preset, closest=preset, missing=[])
    if not candidates:
        return Detection(preset=None, closest=None, missing=[])
    closest = min(candidates, key=lambda p: len(p.missing_from(header)))
    return Detection(preset=None, closest=closest, missing=closest.missing_from(header))
