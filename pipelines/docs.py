"""Generated README sections: the KPI table (from the registry) and the data dictionary
(from the contract). `flightdeck docs` rewrites them; a test fails if README.md is stale."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.contract import TABLES
from pipelines.kpis import KPIS
from pipelines.rules import ALL_RULES

README = Path(__file__).resolve().parents[1] / "README.md"
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


SECTIONS = {"kpi-table": kpi_table, "data-dictionary": data_dictionary}


def render(text: str) -> str:
    """README text with every generated section replaced by its current content."""
    for name, build in SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        text, found = pattern.subn(lambda m, b=build: m.group(1) + b().rstrip() + "\n" + m.group(2), text)
        if not found:
            raise ValueError(f"README.md lacks the markers for the {name} section")
    return text


def write_readme() -> Path:
    """Rewrite README.md's generated sections in place."""
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    return README
