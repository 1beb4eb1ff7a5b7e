"""The readable flight deck page (`flight_deck.html`) for chief officers.

One self-contained HTML file per version: for each force and for all forces together, every
KPI's latest published month with its 95% interval, the count it rests on, and its SPC signal
(NHS "Making Data Count" colours), then when victims withdraw (the attrition curve at days
7, 30, 90 and 365 for the latest four quarters of report). It is built from `kpi_export` and
the attrition curve with the same disclosure rule: a suppressed figure says so instead of
showing a number.
"""

from __future__ import annotations

import html
from pathlib import Path

from pipelines.warehouse import run_sql_file

SIGNAL_TEXT = {
    "improvement": ("Improvement", "#41b6e6"),
    "concern": ("Concern", "#ed8b00"),
    "neither": ("Special cause", "#7030a0"),
    "common_cause": ("Common cause", "#a6a6a6"),
    "too_few_points": ("Too few months", "#ffffff"),
}
PERCENT_UNITS = ("share",)
STYLE = """
body { font-family: Arial, sans-serif; margin: 2em; color: #212b32; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 2px solid #005eb8; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #d8dde0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th.section { background: #f0f4f5; }
.signal { display: inline-block; padding: 0.1em 0.5em; border-radius: 0.8em; border: 1px solid #a6a6a6; }
p.note { color: #4c6272; max-width: 60em; }
"""


def format_value(value: float | None, unit: str, kind: str) -> str:
    """A KPI value as a reader expects it: shares as percentages, days and hours to one place."""
    if value is None:
        return ""
    if unit.startswith(PERCENT_UNITS):
        return f"{100 * value:.1f}%"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _row(row: dict, min_denominator: int) -> str:
    period = row["period"].strftime("%b %Y")
    if row["status"] == "suppressed":
        shown, interval, base = f"suppressed (fewer than {min_denominator})", "", ""
    else:
        shown = format_value(row["value"], row["unit"], row["kind"])
        interval = (
            f"{format_value(row['ci_low'], row['unit'], row['kind'])} to "
            f"{format_value(row['ci_high'], row['unit'], row['kind'])}"
            if row["ci_low"] is not None
            else ""
        )
        base = "" if row["denominator"] is None else f"{row['denominator']:,.0f}"
    # A suppressed figure shows no signal either: the pattern of a tiny series is not for publication.
    label, colour = ("", "") if row["status"] == "suppressed" else SIGNAL_TEXT.get(row["signal"], ("", "#ffffff"))
    rules = f" ({html.escape(row['rules'].replace(',', ', ').replace('_', ' '))})" if row["rules"] else ""
    signal = f'<span class="signal" style="background:{colour}">{label}</span>{rules}' if label else ""
    better = {"up": "higher", "down": "lower"}.get(row["better"], "neither")
    return (
        f"<tr><td>{html.escape(row['title'])}</td><td>{period}</td><td class=number>{html.escape(shown)}</td>"
        f"<td class=number>{html.escape(interval)}</td><td class=number>{base}</td><td>{better}</td>"
        f"<td>{signal}</td></tr>"
    )


def _attrition_table(quarters: list[dict], min_denominator: int) -> str:
    """When victims withdraw: the attrition curve of the force's latest quarters of report."""
    lines = [
        "<table><tr><th>Reported in</th><th>Cases</th><th>Withdrawn by day 7</th><th>by day 30</th>"
        "<th>by day 90</th><th>by day 365</th></tr>"
    ]
    for q in quarters:
        quarter = f"{q['report_quarter'].year} Q{(q['report_quarter'].month - 1) // 3 + 1}"
        if q["is_suppressed"]:
            cells = [f"fewer than {min_denominator}", "suppressed", "", "", ""]
        else:
            shares = [q[f"withdrawn_by_day_{d}"] for d in (7, 30, 90, 365)]
            cells = [f"{q['cases']:,}", *("not yet" if v is None else f"{100 * v:.1f}%" for v in shares)]
        lines.append(f"<tr><td>{quarter}</td>" + "".join(f"<td class=number>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def render_flight_deck(
    rows: list[dict], min_denominator: int, version_note: str = "", attrition: list[dict] = ()
) -> str:
    """The page's HTML from the flight_deck query's rows (already in force and KPI order) and
    the flight_deck_attrition query's rows."""
    quarters_by_force: dict[str, list[dict]] = {}
    for quarter in attrition:
        quarters_by_force.setdefault(quarter["force_code"], []).append(quarter)
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Flight Deck</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Flight Deck: rape and serious sexual offence investigations</h1>",
        f'<p class="note">{html.escape(version_note)} Each line is the latest month with data. '
        "The interval is the 95% range the true rate is likely to lie in; n is the number of cases, "
        "devices or officers the figure rests on. The signal is statistical process control: common cause "
        "is normal month-to-month variation; improvement or concern means the month is part of an unusual "
        f"pattern (see the rules named). Rates based on fewer than {min_denominator} are not shown, to protect "
        "the people behind them. <em>When do victims withdraw?</em> gives, for the latest quarters of report, "
        "the share of victims who had withdrawn by each day after reporting, counting cases still open "
        "properly (Kaplan-Meier); 'not yet' means too few of the quarter's cases have been followed that long. "
        "Measures of the cases reported in a month (withdrawal rate, charge rate, phone requests) keep "
        "changing as those cases progress, so their latest months look better or worse than they will end up: "
        "read their signals with care.</p>",
    ]
    force, section = None, None
    header = (
        "<tr><th>Measure</th><th>Month</th><th>Value</th><th>95% interval</th><th>n</th>"
        "<th>Better</th><th>Signal</th></tr>"
    )

    def close_force() -> None:
        parts.append("</table>")
        if quarters_by_force.get(force):
            parts.append("<h3>When do victims withdraw?</h3>")
            parts.append(_attrition_table(quarters_by_force[force], min_denominator))

    for row in rows:
        if row["force_code"] != force:
            if force is not None:
                close_force()
            force, section = row["force_code"], None
            title = "All forces" if force == "ALL" else f"Force {force}"
            parts.append(f"<h2>{html.escape(title)}</h2><table>{header}")
        if row["section"] != section:
            section = row["section"]
            parts.append(f'<tr><th class="section" colspan=7>{html.escape(section)}</th></tr>')
        parts.append(_row(row, min_denominator))
    if force is not None:
        close_force()
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_flight_deck(con, path: Path, min_denominator: int, version_note: str = "") -> int:
    """Write flight_deck.html from the warehouse; returns the number of KPI lines shown."""
    rows = _records(run_sql_file(con, "flight_deck.sql"))
    attrition = _records(run_sql_file(con, "flight_deck_attrition.sql", {"min_denominator": min_denominator}))
    path.write_text(render_flight_deck(rows, min_denominator, version_note, attrition), encoding="utf-8")
    return len(rows)


def _records(relation) -> list[dict]:
    columns = [d[0] for d in relation.description]
    return [dict(zip(columns, values, strict=True)) for values in relation.fetchall()]
