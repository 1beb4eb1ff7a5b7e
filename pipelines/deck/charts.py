"""The deck's charts: Vega-Lite specs built with altair, drawn in the reader's browser.

Each page carries the Vega, Vega-Lite and vega-embed JavaScript bundle (`javascript_bundle`) and
one Vega-Lite spec per chart as JSON; a small script in the page draws them as SVG when it opens
(see `templates/deck.js`). Nothing is fetched at view time.

Building a layered altair chart costs a tenth of a second or more, far too much once per series
(about 3,000 charts for 43 forces), so each kind of chart (SPC chart, funnel plot, attrition
curves) is a template, built with altair by `chart_templates` and kept in `chart_templates.json`,
whose variable parts are named placeholders. A chart is the template with its look filled in (the
value axis's format, which legend entries it shows), kept per look, plus its own numbers as
Vega-Lite named datasets.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import vl_convert

from pipelines.deck.chart_templates import FUNNEL_WORDS, LEGEND, TEMPLATES_FILE, Y_FORMAT
from pipelines.deck.formatting import SIGNALS, is_missing, is_percent


@cache
def _stored_templates() -> dict:
    return json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))


VEGA_LITE = _stored_templates()["vega_lite"]  # the version the templates (and so the bundle) are for
BUNDLE_NAME = f"vega-bundle-vl-convert-{vl_convert.__version__}-vega-lite-{VEGA_LITE}.js"
INSTALLED_BUNDLE = Path(sys.prefix) / "share" / "flightdeck" / BUNDLE_NAME


def _clean(value):
    """JSON-safe figures: no NaN, and no float noise beyond what a chart can show."""
    if value.__class__ is float:
        return None if value != value else round(value, 9)
    return None if is_missing(value) else value


def y_format(unit: str, kind: str) -> str:
    """The d3 format of a chart's value axis: shares as whole percentages, counts whole."""
    if is_percent(unit):
        return ".0%"
    return "d" if kind == "count" else ",.1~f"


@dataclass(frozen=True)
class ChartSpec:
    """A chart's Vega-Lite spec: its kind's template with the look filled in, and its numbers."""

    kind: str
    look: tuple
    datasets: dict

    def to_json(self) -> str:
        """The whole spec as compact JSON (the template's text with the datasets added)."""
        layout = _layout(self.kind, self.look)
        data = json.dumps(self.datasets, separators=(",", ":"), allow_nan=False)
        return f'{layout[:-1]},"datasets":{data}}}'

    def to_dict(self) -> dict:
        """The whole spec as a dict."""
        return json.loads(self.to_json())


def spc_spec(points: list[dict], unit: str, kind: str) -> ChartSpec:
    """An XmR chart: the monthly values joined by a line, the centre line (solid) and process limits
    (dashed) over the settled months, each point filled and shaped by its signal, special-cause
    points lettered, and the provisional months shaded and labelled."""
    rows = [
        {
            "month": p["month"], "value": _clean(p["value"]), "centre": _clean(p["centre"]),
            "upper": _clean(p["upper"]), "lower": _clean(p["lower"]), "signal": SIGNALS[p["signal"]]["words"],
            "letter": SIGNALS[p["signal"]]["letter"],
        }
        for p in points
    ]  # fmt: skip
    shown = {p["signal"] for p in points if not is_missing(p["value"])}
    present = tuple(SIGNALS[k]["words"] for k in SIGNALS if k in shown)
    provisional = [p["month"] for p in points if p["signal"] == "provisional"]
    band = [{"start": provisional[0], "end": provisional[-1], "label": "provisional"}] if provisional else []
    return ChartSpec("spc", (y_format(unit, kind), present), {"points": rows, "band": band})


def funnel_curve(limits: list[dict]) -> list[dict]:
    """A KPI's funnel limits (kpi_funnel_limits rows) as the chart draws them; the same on every page,
    so worked out once per KPI."""
    return [{k: _clean(v) for k, v in row.items() if k != "kpi_id"} for row in limits]


def funnel_spec(forces: list[dict], curve: list[dict], highlight: str | None) -> ChartSpec:
    """A funnel plot: each force's value against its denominator, the national value, and the 95%
    (dashed) and 99.8% (solid) control limits as curves (`funnel_curve`); a force beyond 99.8% is
    filled and shaped by its signal, and the page's own force is a large dark-blue diamond labelled
    with its code."""
    points = [
        {
            "force": f["force_code"], "n": _clean(f["denominator"]), "value": _clean(f["value"]),
            "signal": SIGNALS[f["signal"]]["words"]
            if f["signal"] in ("improvement", "concern", "neither") else "Within the limits",
        }
        for f in forces if not is_missing(f["value"])
    ]  # fmt: skip
    national = [{"national": curve[0]["national_value"]}] if curve else []
    present = tuple(w for w in FUNNEL_WORDS if any(p["signal"] == w for p in points))
    own = [p for p in points if p["force"] == highlight]
    others = [p for p in points if p["force"] != highlight]
    return ChartSpec("funnel", (present,), {"limits": curve, "national": national, "others": others, "own": own})


def attrition_spec(curves: list[dict]) -> ChartSpec:
    """Attrition curves: the Kaplan-Meier share withdrawn by each day since report, one line per
    quarter of report told apart by colour, dash and a label at its end."""
    rows = [
        {"quarter": c["quarter"], "day": int(c["day"]), "share": _clean(c["withdrawn_share"])}
        for c in curves
        if not is_missing(c["withdrawn_share"])
    ]
    quarters = tuple(sorted({r["quarter"] for r in rows}))
    ends = [max((r for r in rows if r["quarter"] == q), key=lambda r: r["day"]) for q in quarters]
    return ChartSpec("attrition", (bool(quarters),), {"curves": rows, "ends": ends})


@lru_cache(maxsize=1024)
def _layout(kind: str, look: tuple) -> str:
    """A kind's template with one look filled in, as JSON text (without datasets)."""
    text = _template(kind)
    if kind == "spc":
        fmt, present = look
        legend = {"columns": 3, "orient": "bottom", "title": None, "values": list(present)} if present else None
        text = text.replace(json.dumps(Y_FORMAT), json.dumps(fmt))
    elif kind == "funnel":
        (present,) = look
        legend = {"orient": "bottom", "title": None, "values": list(present)} if present else None
    else:
        # A legend over an empty domain (every quarter suppressed) makes Vega size the chart as infinite.
        legend = {"orient": "bottom", "title": "Reported in"} if look[0] else None
    text = text.replace(json.dumps(LEGEND), json.dumps(legend, separators=(",", ":")))
    assert "@@" not in text, f"a placeholder of the {kind} template was not filled in"
    return text


@cache
def _template(kind: str) -> str:
    """The kind's template (from `chart_templates.json`) as compact JSON text with placeholders."""
    return json.dumps(_stored_templates()["templates"][kind], separators=(",", ":"), sort_keys=True)


def javascript_bundle(cache_dir: Path | None = None) -> str:
    """Vega, Vega-Lite (the version altair writes) and vega-embed as one script for a page.

    vl-convert builds it in one to several seconds, so it is kept: in the installation
    (`install_bundle`, run by `make`), else in `cache_dir` (if given) under a name carrying
    vl-convert's and Vega-Lite's versions, and in memory for the process."""
    if cache_dir is not None:
        path = Path(cache_dir) / BUNDLE_NAME
        for kept in (INSTALLED_BUNDLE, path):
            if kept.exists():
                return kept.read_text(encoding="utf-8")
    bundle = _built_bundle()
    if cache_dir is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(bundle, encoding="utf-8")
        os.replace(partial, path)
    return bundle


def install_bundle() -> Path:
    """Build the bundle into the installation (the virtual environment), once per library version,
    so that no run, even on a new warehouse, builds it."""
    INSTALLED_BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    partial = INSTALLED_BUNDLE.with_name(f".{INSTALLED_BUNDLE.name}.{os.getpid()}.tmp")
    partial.write_text(_built_bundle(), encoding="utf-8")
    os.replace(partial, INSTALLED_BUNDLE)
    return INSTALLED_BUNDLE


@lru_cache(maxsize=1)
def _built_bundle() -> str:
    bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE.rsplit(".", 1)[0])
    # It goes inside a <script> element, which the text "</script" would end early.
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise ValueError(f"the Vega bundle of vl-convert {vl_convert.__version__} cannot be inlined in a page")
    return bundle
