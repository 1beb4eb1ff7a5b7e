"""Generated documentation: the KPI table (from the registry, in docs/kpis.md) and the data
dictionary (from the contract, in docs/data-dictionary.md). `flightdeck docs` rewrites them; a
test fails if either is stale."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.contract import TABLES
from pipelines.kpis import KPIS
from pipelines.rules import ALL_RULES

DOCS = Path(__file__).resolve().parents[1] / "docs"
BETTER = {"up": "higher", "down": "lower", None: "neither"}


def kpi_table() -> str:
    """One row per registry KPI, in catalogue order."""
    lines = [
        "| section | kpi_id | title | kind | unit | better | breakdowns | settling (days) | only where supplied "
        "| definition | SQL |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k in KPIS:
        supplied = f"`{k.requires_file}.csv`" if k.requires_file else ""
        lines.append(
            f"| {k.section} | `{k.kpi_id}` | {k.title} | {k.kind} | {k.unit} | {BETTER[k.better]} "
            f"| {k.breakdowns} | {k.settling_days} | {supplied} | {k.definition} | `sql/kpi/{k.sql_path.name}` |"
        )
    return "\n".join(lines)


def data_dictionary() -> str:
    """Every contract table and column, with the rules that quarantine a row."""
    parts = []
    for table in TABLES:
        parts.append(f"**{table.file_name}**{'' if table.required_file else ' (optional)'} — {table.description}\n")
        parts.append("| column | type | required | allowed |\n|---|---|---|---|")
        for c in table.columns:
            allowed = ", ".join(f"`{v}`" for v in c.codes)
            if c.min_value is not None or c.max_value is not None:
                low = "" if c.min_value is None else f"{'>' if c.min_exclusive else '≥'} {c.min_value:g}"
                high = "" if c.max_value is None else f"≤ {c.max_value:g}"
                allowed = " and ".join(x for x in (low, high) if x)
            parts.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {allowed} |")
        rules = ", ".join(f"`{r.rule_id}`" for r in ALL_RULES[table.name])
        parts.append(f"\nQuarantine rules: {rules}.\n")
    return "\n".join(parts).rstrip() + "\n"


SECTIONS = {
    "kpi-table": (DOCS / "kpis.md", kpi_table),
    "data-dictionary": (DOCS / "data-dictionary.md", data_dictionary),
}


def render(name: str, text: str) -> str:
    """A document's text with its generated section replaced by the current content."""
    build = SECTIONS[name][1]
    pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
    text, found = pattern.subn(lambda m: m.group(1) + build().rstrip() + "\n" + m.group(2), text)
    if not found:
        raise ValueError(f"{SECTIONS[name][0].name} lacks the markers for the {name} section")
    return text


def write_docs() -> list[Path]:
    """Rewrite every generated section in place."""
    for name, (path, _build) in SECTIONS.items():
        path.write_text(render(name, path.read_text(encoding="utf-8")), encoding="utf-8")
    return [path for path, _build in SECTIONS.values()]
