"""The one vocabulary (glossary.yaml): each metric, status and segment defined once, and the
pages made from it. `python -m activation.glossary` rewrites docs/glossary.md and the dbt docs
blocks the mart columns use as descriptions; a test fails when either is stale.

Why a YAML file in this package rather than a dbt seed: the report and the segment playbook
read it at run time (it ships as package data), its definitions are sentences a seed's CSV
would mangle, and dbt still gets every definition, as docs blocks generated from it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
GLOSSARY_PAGE = REPO_ROOT / "docs" / "glossary.md"
DBT_DOCS_BLOCKS = REPO_ROOT / "dbt_project" / "models" / "_glossary.md"


@dataclass(frozen=True)
class Value:
    name: str
    label_ko: str
    label_en: str
    definition: str


@dataclass(frozen=True)
class Term:
    name: str
    kind: str  # metric, measure, status or segment
    label_ko: str
    label_en: str
    definition: str
    formula: str
    window: str
    grain: str
    column: str  # mart.column
    values: tuple[Value, ...] = ()
    # Other mart.columns holding the same value (a copy), described by the same docs block.
    also_columns: tuple[str, ...] = ()
    definition_ko: str = ""  # for the report's note under a chart, where it has one

    @property
    def mart(self) -> str:
        return self.column.split(".")[0]

    @property
    def column_name(self) -> str:
        return self.column.split(".")[1]

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, *self.also_columns)

    def label(self, language: str) -> str:
        return self.label_ko if language == "ko" else self.label_en

    def summary(self, language: str) -> str:
        """The one-line definition in the report's language (English where none is given)."""
        return self.definition_ko if language == "ko" and self.definition_ko else self.definition


@cache
def terms() -> tuple[Term, ...]:
    text = resources.files("activation").joinpath("glossary.yaml").read_text("utf-8")
    return tuple(
        Term(
            **{
                **entry,
                "values": tuple(Value(**v) for v in entry.get("values", ())),
                "also_columns": tuple(entry.get("also_columns", ())),
            }
        )
        # libyaml's parser (in PyYAML's wheels): 17 ms against 180 ms for PyYAML's own, in the
        # start of every run and every report.
        for entry in yaml.load(text, Loader=yaml.CSafeLoader)["terms"]
    )


def term(name: str) -> Term:
    found = [t for t in terms() if t.name == name]
    if not found:
        raise KeyError(f"{name} is not in activation/glossary.yaml")
    return found[0]


def labels(language: str) -> dict[str, str]:
    """Each term's and each status value's label, by code, for the report."""
    found: dict[str, str] = {}
    for entry in terms():
        found[entry.name] = entry.label(language)
        for value in entry.values:
            found[value.name] = value.label_ko if language == "ko" else value.label_en
    return found


def segment_description(name: str) -> str:
    """A playbook segment's description as the lists and the report show it."""
    entry = term(name)
    return f"{entry.label_ko} — {entry.definition}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def glossary_page() -> str:
    lines = [
        "# Glossary (용어집)",
        "",
        "Generated from `activation/glossary.yaml` by `python -m activation.glossary`; edit that",
        "file, not this page. Settings are keys of `dangol.yaml` with their shipped values in",
        "brackets. **단골 고객** is the loyal customer (`is_loyal`); 충성 is not used as a label.",
        "A purchase day is a local calendar day with a purchase: repeat, frequency and the",
        "flywheel count purchase days, never orders.",
        "",
        "| name | 한국어 | kind | definition | formula | window | grain | mart.column |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in terms():
        cells = [
            f"`{t.name}`",
            t.label_ko,
            t.kind,
            t.definition,
            t.formula,
            t.window,
            t.grain,
            ", ".join(f"`{column}`" for column in t.columns),
        ]
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    for t in (t for t in terms() if t.values):
        lines += ["", f"## `{t.name}` values ({t.label_ko})", ""]
        lines += ["| value | 한국어 | English | definition |", "| --- | --- | --- | --- |"]
        lines += [
            f"| `{v.name}` | {v.label_ko} | {v.label_en} | {_escape(v.definition)} |"
            for v in t.values
        ]
    return "\n".join(lines) + "\n"


def dbt_docs_blocks() -> str:
    """One dbt docs block per term: the mart column the term names describes itself with it."""
    blocks = [
        "{#- Generated from activation/glossary.yaml by `python -m activation.glossary`. -#}",
    ]
    for t in terms():
        values = "".join(f" {v.name}: {v.definition}" for v in t.values)
        blocks.append(
            f"{{% docs {t.name} %}}\n{t.label_ko} ({t.label_en}): {t.definition}{values}"
            f" Formula: {t.formula}. Window: {t.window}. Grain: {t.grain}.\n{{% enddocs %}}"
        )
    return "\n\n".join(blocks) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    GLOSSARY_PAGE.parent.mkdir(exist_ok=True)
    GLOSSARY_PAGE.write_text(glossary_page(), encoding="utf-8")
    DBT_DOCS_BLOCKS.write_text(dbt_docs_blocks(), encoding="utf-8")
    written = (path.relative_to(REPO_ROOT) for path in (GLOSSARY_PAGE, DBT_DOCS_BLOCKS))
    print("Wrote " + " and ".join(map(str, written)))


if __name__ == "__main__":
    main()
