"""The three chart templates (SPC chart, funnel plot, attrition curves), built with altair.

A run does not build them: they are kept, as generated, in `chart_templates.json` beside this
module, which `charts` reads (importing altair and building the three layered charts cost about a
third of a second of every run). `python -m pipelines.deck.chart_templates` writes that file
again after a change here or a new altair; a test checks that the file is what this module builds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipelines.deck.formatting import SIGNALS

TEMPLATES_FILE = Path(__file__).with_name("chart_templates.json")
# Placeholders in a template, each replaced by a JSON value per look (`charts._layout`).
Y_FORMAT, LEGEND = "@@y_format@@", "@@legend@@"
FUNNEL_WORDS = ["Within the limits", *(SIGNALS[k]["words"] for k in ("improvement", "concern", "neither"))]

WIDTH, HEIGHT = 560, 190
INK, SUBTLE, LIMIT = "#212b32", "#4c6272", "#768692"
HIGHLIGHT = "#005eb8"
QUARTER_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]]
QUARTER_COLOURS = ["#005eb8", "#ae2573", "#006747", "#8a1538"]


def build() -> dict:
    """The templates as a dict: the Vega-Lite version altair writes, and each kind's spec with its
    named placeholders."""
    import altair as alt  # imported to build the templates only: a run reads the file

    charts = {"spc": _spc_chart, "funnel": _funnel_chart, "attrition": _attrition_chart}
    return {
        "vega_lite": alt.SCHEMA_VERSION.lstrip("v"),
        "templates": {kind: _finish(chart()) for kind, chart in charts.items()},
    }


def write(path: Path = TEMPLATES_FILE) -> Path:
    """Write the templates file (sorted keys, so a change shows as a readable diff)."""
    path.write_text(json.dumps(build(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _spc_chart():
    import altair as alt

    words = [s["words"] for s in SIGNALS.values()]
    fill = alt.Scale(domain=words, range=[s["colour"] for s in SIGNALS.values()])
    shape = alt.Scale(domain=words, range=[s["shape"] for s in SIGNALS.values()])
    x = alt.X("month:T", axis=alt.Axis(format="%Y", title=None, tickCount="year", labelColor=SUBTLE))
    y_axis = alt.Axis(format=Y_FORMAT, title=None, tickCount=5)
    y_scale = alt.Scale(zero=False, nice=True)
    base = alt.Chart(alt.Data(name="points")).encode(x=x)
    band = alt.Chart(alt.Data(name="band"))
    layers = [
        band.mark_rect(color="#e8edee", xOffset=-4, x2Offset=4).encode(x="start:T", x2="end:T"),
        band.mark_text(align="right", baseline="top", dx=3, dy=2, color=INK, fontSize=10).encode(
            x="end:T", y=alt.value(0), text="label:N"
        ),
    ]
    for column, dash in (("upper", [4, 3]), ("lower", [4, 3]), ("centre", [1, 0])):
        layers.append(
            base.mark_line(color=LIMIT, strokeDash=dash, strokeWidth=1.2).encode(
                y=alt.Y(f"{column}:Q", axis=y_axis, scale=y_scale)
            )
        )
    y = alt.Y("value:Q", axis=y_axis, scale=y_scale)
    layers.append(base.mark_line(color=SUBTLE, strokeWidth=1.2).encode(y=y))
    layers.append(
        base.mark_point(filled=True, size=42, stroke=INK, strokeWidth=0.8, opacity=1).encode(
            y=y, fill=alt.Fill("signal:N", scale=fill, legend=LEGEND),
            shape=alt.Shape("signal:N", scale=shape, legend=LEGEND),
        )
    )  # fmt: skip
    lettered = base.transform_filter("datum.letter != ''")
    layers.append(lettered.mark_text(dy=-10, fontSize=10, fontWeight="bold", color=INK).encode(y=y, text="letter:N"))
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)


def _funnel_chart():
    import altair as alt

    colours = {"Within the limits": "#d8dde0", **{s["words"]: s["colour"] for s in SIGNALS.values()}}
    shapes = {"Within the limits": "circle", **{s["words"]: s["shape"] for s in SIGNALS.values()}}
    y = alt.Axis(format=".0%", title=None, tickCount=5)
    y_scale = alt.Scale(zero=False, nice=True)
    x_title = "n (denominator over the window)"
    line = alt.Chart(alt.Data(name="limits")).encode(x=alt.X("denominator:Q", title=x_title))
    layers = [
        line.mark_line(color=LIMIT, strokeDash=dash, strokeWidth=1.2).encode(
            y=alt.Y(f"{column}:Q", axis=y, scale=y_scale)
        )
        for column, dash in (("upper_99_8", [1, 0]), ("lower_99_8", [1, 0]), ("upper_95", [4, 3]),
                             ("lower_95", [4, 3]))
    ]  # fmt: skip
    layers.append(alt.Chart(alt.Data(name="national")).mark_rule(color=INK, strokeWidth=1).encode(
            y=alt.Y("national:Q", scale=y_scale)
        ))  # fmt: skip
    layers.append(
        alt.Chart(alt.Data(name="others"))
        .mark_point(filled=True, size=40, stroke=INK, strokeWidth=0.7, opacity=1)
        .encode(
            x=alt.X("n:Q", title=x_title),
            y=alt.Y("value:Q", axis=y, scale=y_scale),
            fill=alt.Fill("signal:N", scale=alt.Scale(domain=FUNNEL_WORDS, range=[colours[w] for w in FUNNEL_WORDS]),
                          legend=LEGEND),
            shape=alt.Shape("signal:N", scale=alt.Scale(domain=FUNNEL_WORDS, range=[shapes[w] for w in FUNNEL_WORDS]),
                            legend=LEGEND),
        )
    )  # fmt: skip
    mark = alt.Chart(alt.Data(name="own")).encode(
        x=alt.X("n:Q", title=x_title), y=alt.Y("value:Q", axis=y, scale=y_scale)
    )
    layers.append(mark.mark_point(filled=True, shape="diamond", size=170, color=HIGHLIGHT, stroke=INK, opacity=1))
    layers.append(mark.mark_text(dx=10, align="left", fontWeight="bold", color=HIGHLIGHT).encode(text="force:N"))
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)


def _attrition_chart():
    import altair as alt

    # Quarters are labelled "2026 Q1": a nominal scale sorts them in time, and takes the colours
    # and dashes in that order.
    colour = alt.Scale(range=QUARTER_COLOURS)
    dash = alt.Scale(range=QUARTER_DASHES)
    x = alt.X("day:Q", title="days since report", scale=alt.Scale(domain=[0, 365]),
              axis=alt.Axis(values=[0, 7, 30, 90, 180, 270, 365]))  # fmt: skip
    y = alt.Y("share:Q", axis=alt.Axis(format=".0%", title=None, tickCount=5))
    lines = (
        alt.Chart(alt.Data(name="curves"))
        .mark_line(strokeWidth=1.8)
        .encode(x=x, y=y, color=alt.Color("quarter:N", scale=colour, legend=LEGEND),
                strokeDash=alt.StrokeDash("quarter:N", scale=dash, legend=LEGEND))
    )  # fmt: skip
    labels = (
        alt.Chart(alt.Data(name="ends"))
        .mark_text(align="left", dx=4, fontSize=10)
        .encode(x=x, y=y, text="quarter:N", color=alt.Color("quarter:N", scale=colour, legend=LEGEND))
    )
    return alt.layer(lines, labels).properties(width=WIDTH, height=HEIGHT)


def _finish(chart) -> dict:
    return (
        chart.configure(font="Arial, Helvetica, sans-serif", aria=False)
        .configure_view(stroke="#d8dde0")
        .configure_axis(labelColor=SUBTLE, labelFontSize=11, titleColor=INK, gridColor="#eef1f2")
        .configure_legend(labelLimit=0, labelFontSize=11, labelColor=INK, titleColor=INK, symbolStrokeColor=INK)
        .to_dict(validate=False)
    )


if __name__ == "__main__":
    print(f"wrote {write()}")
    sys.exit(0)
