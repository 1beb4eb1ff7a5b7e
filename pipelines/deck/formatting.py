"""How the deck writes figures and signals in words, the same on every page and in alt text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

import pandas as pd

# NHS "Making Data Count" colours; each signal also has its own marker shape (and letter) so
# colour is never the only cue.
SIGNALS: dict[str, dict[str, str]] = {
    "improvement": {"words": "Special cause: improvement", "colour": "#41b6e6", "shape": "square", "letter": "I"},
    "concern": {"words": "Special cause: concern", "colour": "#ed8b00", "shape": "diamond", "letter": "C"},
    "neither": {"words": "Special cause: neither better nor worse", "colour": "#7030a0", "shape": "triangle-up",
                "letter": "N"},
    "common_cause": {"words": "Common cause variation", "colour": "#a6a6a6", "shape": "circle", "letter": ""},
    "too_few_points": {"words": "Too few settled months for limits", "colour": "#a6a6a6", "shape": "circle",
                       "letter": ""},
    "provisional": {"words": "Provisional: still settling, no signal", "colour": "#ffffff", "shape": "circle",
                    "letter": ""},
    "suppressed": {"words": "Suppressed (too few to publish)", "colour": "#ffffff", "shape": "circle",
                   "letter": ""},
}  # fmt: skip
RULE_WORDS = {
    "outside_limits": "beyond a process limit",
    "shift": "a run of 7 or more on one side of the centre",
    "trend": "7 or more rising or falling in a row",
    "two_of_three": "2 of 3 points near a limit",
}
BETTER_WORDS = {"up": "Higher is better", "down": "Lower is better"}


def is_missing(value) -> bool:
    """True for None, NaN, NaT and pandas' NA."""
    if value.__class__ is float:  # the common case first: the deck checks a few million figures
        return value != value
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def is_percent(unit: str) -> bool:
    """Shares are shown as percentages."""
    return unit.startswith("share")


def figure_format(unit: str, kind: str) -> Callable[[object], str]:
    """How a KPI's figures are written, as a function of the figure: shares as percentages to one
    place, counts whole, other figures to one place; nothing for a missing figure."""
    if is_percent(unit):
        return lambda value: "" if is_missing(value) else f"{100 * value:.1f}%"
    if kind == "count":
        return lambda value: "" if is_missing(value) else f"{value:,.0f}"
    return lambda value: "" if is_missing(value) else f"{value:,.1f}"


def format_value(value, unit: str, kind: str) -> str:
    """A KPI figure as a reader expects it: shares as percentages, counts whole, others to one place."""
    return figure_format(unit, kind)(value)


def format_count(value) -> str:
    """A whole number with thousands separators, or nothing."""
    return "" if is_missing(value) else f"{value:,.0f}"


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value  # a pandas Timestamp is a datetime


@lru_cache(maxsize=4096)
def month_label(period) -> str:
    """'Oct 2026'."""
    return _as_date(period).strftime("%b %Y")


@lru_cache(maxsize=1024)
def quarter_label(quarter) -> str:
    """'2026 Q3'."""
    day = _as_date(quarter)
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


@lru_cache(maxsize=1024)
def rules_words(rules) -> str:
    """The SPC rules that fired, in words."""
    if is_missing(rules) or not rules:
        return ""
    return "; ".join(RULE_WORDS.get(r, r) for r in str(rules).split(","))


@lru_cache(maxsize=4096)
def iso_date(value) -> str:
    """YYYY-MM-DD of a date or timestamp."""
    return "" if is_missing(value) else _as_date(value).isoformat()
