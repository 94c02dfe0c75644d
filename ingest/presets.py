"""Export layouts as data: a preset per known export, matched to a file by its header.

A preset lists the columns it requires and those it may carry. Each column is written either
as its header ("Lineitem quantity": the raw column is the header in snake_case) or as
`raw_name: header` / `raw_name: [header, alias, ...]` when the header is Korean or has been
spelled differently over the years. Headers match ignoring case, spaces and underscores, in
any order; headers a preset does not list are kept in the row's `_extras` JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PRESETS_DIR = Path(__file__).parent / "presets"
SOURCE_FAMILIES = ("shop", "crm", "sns")


class PresetError(ValueError):
    """A preset file that cannot be used; the message names the file, preset and key."""


def raw_column_name(header: str) -> str:
    """'Lineitem quantity' -> 'lineitem_quantity': the raw table's name for a file column."""
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


def header_key(header: str) -> str:
    """What two spellings of one header share: '주문자 휴대전화' == '주문자휴대전화'."""
    return re.sub(r"[\s_]+", "", header.replace("\ufeff", "")).casefold()


@dataclass(frozen=True)
class Column:
    raw_name: str
    headers: tuple[str, ...]  # the usual header first, then aliases

    @property
    def header(self) -> str:
        return self.headers[0]


@dataclass(frozen=True)
class Preset:
    name: str
    source_family: str
    description: str
    raw_table: str
    required: tuple[Column, ...]
    optional: tuple[Column, ...]
    phone_columns: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.required + self.optional

    @property
    def raw_columns(self) -> tuple[str, ...]:
        return tuple(column.raw_name for column in self.columns)

    def match(self, header: list[str]) -> dict[int, Column]:
        """File column position -> preset column, first spelling found wins."""
        by_key = {header_key(h): column for column in self.columns for h in column.headers}
        matched: dict[int, Column] = {}
        taken: set[str] = set()
        for position, name in enumerate(header):
            column = by_key.get(header_key(name))
            if column is not None and column.raw_name not in taken:
                matched[position] = column
                taken.add(column.raw_name)
        return matched

    def missing_from(self, header: list[str]) -> list[str]:
        present = {column.raw_name for column in self.match(header).values()}
        return [column.header for column in self.required if column.raw_name not in present]


class _PresetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    raw_table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    required: list[str | dict[str, str | list[str]]] | dict[str, str | list[str]]
    optional: list[str | dict[str, str | list[str]]] | dict[str, str | list[str]] = []
    aliases: dict[str, list[str]] = {}
    phone_columns: list[str] = []


def _columns(spec, aliases: dict[str, list[str]], where: str) -> tuple[Column, ...]:
    entries = spec.items() if isinstance(spec, dict) else spec
    columns = []
    for entry in entries:
        if isinstance(entry, str):
            raw_name, headers = raw_column_name(entry), [entry]
        else:
            if isinstance(entry, dict):
                if len(entry) != 1:
                    raise PresetError(f"{where}: write one `raw_name: header` per list item")
                entry = next(iter(entry.items()))
            raw_name, headers = entry
            headers = [headers] if isinstance(headers, str) else list(headers)
            if not re.fullmatch(r"[a-z][a-z0-9_]*", raw_name) or not headers:
                raise PresetError(f"{where}.{raw_name}: raw names are snake_case with a header")
        columns.append(Column(raw_name, tuple(headers + aliases.get(headers[0], []))))
    return tuple(columns)


def parse_presets(document: dict, family: str, source: Path) -> list[Preset]:
    presets = []
    for name, raw_spec in (document or {}).items():
        where = f"{source}: {name}"
        try:
            spec = _PresetSpec.model_validate(raw_spec)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise PresetError(f"{where}: {problems}") from None
        required = _columns(spec.required, spec.aliases, f"{where}.required")
        optional = _columns(spec.optional, spec.aliases, f"{where}.optional")
        raw_names = [c.raw_name for c in required + optional]
        repeated = sorted({n for n in raw_names if raw_names.count(n) > 1})
        if repeated:
            raise PresetError(f"{where}: raw column names repeat: {', '.join(repeated)}")
        unknown_phones = sorted(set(spec.phone_columns) - set(raw_names))
        if unknown_phones:
            raise PresetError(f"{where}.phone_columns: not columns: {', '.join(unknown_phones)}")
        presets.append(
            Preset(
                name=name,
                source_family=family,
                description=spec.description,
                raw_table=spec.raw_table,
                required=required,
                optional=optional,
                phone_columns=tuple(spec.phone_columns),
            )
        )
    return presets


@cache
def load_presets() -> tuple[Preset, ...]:
    presets = []
    for family in SOURCE_FAMILIES:
        path = PRESETS_DIR / f"{family}.yaml"
        # libyaml's parser, as for the glossary (activation/glossary.py): 5 ms against 45 ms.
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        presets += parse_presets(document, family, path)
    names = [p.name for p in presets]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise PresetError(f"{PRESETS_DIR}: preset names repeat: {', '.join(repeated)}")
    return tuple(presets)


@dataclass(frozen=True)
class Detection:
    preset: Preset | None
    closest: Preset | None
    missing: list[str]


def detect_preset(source_family: str, header: list[str]) -> Detection:
    """The preset whose required columns the header has (the most specific one if several);
    else the closest one and the columns it lacks."""
    candidates = [p for p in load_presets() if p.source_family == source_family]
    if not candidates:
        return Detection(preset=None, closest=None, missing=[])
    fitting = [p for p in candidates if not p.missing_from(header)]
    if fitting:
        best = max(fitting, key=lambda p: (len(p.required), len(p.match(header))))
        return Detection(preset=best, closest=best, missing=[])
    # Closest by the share of its required columns present, so a long layout is not
    # penalised for having more of them.
    closest = min(
        candidates,
        key=lambda p: (len(p.missing_from(header)) / len(p.required), -len(p.match(header))),
    )
    return Detection(preset=None, closest=closest, missing=closest.missing_from(header))
