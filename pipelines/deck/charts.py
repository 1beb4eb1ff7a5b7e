"""The deck's charts: Vega-Lite specs built with altair, rendered to inline SVG by vl-convert.

Every chart is a pure function of its spec, so an SVG is cached under the sha256 of the spec (and
the renderer's version): a night where little changed re-renders only the charts whose numbers
changed. Charts are rendered by a small thread pool; vl-convert releases the GIL while it draws.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import altair as alt
import vl_convert

from pipelines.deck.formatting import SIGNALS, is_missing, is_percent

WIDTH, HEIGHT = 560, 190
INK, SUBTLE, LIMIT = "#212b32", "#4c6272", "#768692"
HIGHLIGHT = "#005eb8"
QUARTER_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]]
QUARTER_COLOURS = ["#005eb8", "#ae2573", "#006747", "#8a1538"]
RENDERER_VERSION = f"vl-convert {vl_convert.__version__}; vega-lite {vl_convert.get_vegalite_versions()[-1]}"


def _clean(value):
    """JSON-safe figures: no NaN, and no float noise beyond what a chart can show."""
    if is_missing(value):
        return None
    if isinstance(value, float):
        return round(value, 9)
    return value


def _y_axis(unit: str, kind: str) -> alt.Axis:
    if is_percent(unit):
        return alt.Axis(format=".0%", title=None, tickCount=5)
    return alt.Axis(format="d" if kind == "count" else ",.1~f", title=None, tickCount=5)


def spc_spec(points: list[dict], unit: str, kind: str) -> dict:
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
    present = tuple(k for k in SIGNALS if k in shown)
    provisional = [p["month"] for p in points if p["signal"] == "provisional"]
    band = [{"start": provisional[0], "end": provisional[-1], "label": "provisional"}] if provisional else []
    return _with_data(_spc_layout(is_percent(unit), kind, present, bool(band)), points=rows, band=band)


@lru_cache(maxsize=512)
def _spc_layout(percent: bool, kind: str, present: tuple[str, ...], has_band: bool) -> str:
    """The SPC chart's spec without its numbers (named datasets), built once per look."""
    words = [SIGNALS[k]["words"] for k in present]
    fill = alt.Scale(domain=words, range=[SIGNALS[k]["colour"] for k in present])
    shape = alt.Scale(domain=words, range=[SIGNALS[k]["shape"] for k in present])
    x = alt.X("month:T", axis=alt.Axis(format="%Y", title=None, tickCount="year", labelColor=SUBTLE))
    y_axis = _y_axis("share" if percent else "", kind)
    y_scale = alt.Scale(zero=False, nice=True)
    base = alt.Chart(alt.Data(name="points")).encode(x=x)
    layers = []
    if has_band:
        band = alt.Chart(alt.Data(name="band"))
        layers.append(band.mark_rect(color="#e8edee", xOffset=-4, x2Offset=4).encode(x="start:T", x2="end:T"))
        layers.append(
            band.mark_text(align="right", baseline="top", dx=3, dy=2, color=INK, fontSize=10).encode(
                x="end:T", y=alt.value(0), text="label:N"
            )
        )
    for column, dash in (("upper", [4, 3]), ("lower", [4, 3]), ("centre", [1, 0])):
        layers.append(
            base.mark_line(color=LIMIT, strokeDash=dash, strokeWidth=1.2).encode(
                y=alt.Y(f"{column}:Q", axis=y_axis, scale=y_scale)
            )
        )
    y = alt.Y("value:Q", axis=y_axis, scale=y_scale)
    layers.append(base.mark_line(color=SUBTLE, strokeWidth=1.2).encode(y=y))
    # A legend over an empty domain (every month suppressed) makes Vega size the chart as infinite.
    legend = alt.Legend(orient="bottom", title=None, columns=3) if present else None
    layers.append(
        base.mark_point(filled=True, size=42, stroke=INK, strokeWidth=0.8, opacity=1).encode(
            y=y, fill=alt.Fill("signal:N", scale=fill, legend=legend),
            shape=alt.Shape("signal:N", scale=shape, legend=legend),
        )
    )  # fmt: skip
    lettered = base.transform_filter("datum.letter != ''")
    layers.append(lettered.mark_text(dy=-10, fontSize=10, fontWeight="bold", color=INK).encode(y=y, text="letter:N"))
    return _finish(alt.layer(*layers).properties(width=WIDTH, height=HEIGHT))


FUNNEL_WORDS = ["Within the limits", *(SIGNALS[k]["words"] for k in ("improvement", "concern", "neither"))]


def funnel_spec(forces: list[dict], limits: list[dict], highlight: str | None) -> dict:
    """A funnel plot: each force's value against its denominator, the national value, and the 95%
    (dashed) and 99.8% (solid) control limits as curves; a force beyond 99.8% is filled and shaped
    by its signal, and the page's own force is a large dark-blue diamond labelled with its code."""
    points = [
        {
            "force": f["force_code"], "n": _clean(f["denominator"]), "value": _clean(f["value"]),
            "signal": SIGNALS[f["signal"]]["words"]
            if f["signal"] in ("improvement", "concern", "neither") else "Within the limits",
        }
        for f in forces if not is_missing(f["value"])
    ]  # fmt: skip
    curve = [{k: _clean(v) for k, v in row.items() if k != "kpi_id"} for row in limits]
    national = [{"national": curve[0]["national_value"]}] if curve else []
    present = tuple(w for w in FUNNEL_WORDS if any(p["signal"] == w for p in points))
    own = [p for p in points if p["force"] == highlight]
    others = [p for p in points if p["force"] != highlight]
    return _with_data(_funnel_layout(present, bool(own)), limits=curve, national=national, others=others, own=own)


@lru_cache(maxsize=64)
def _funnel_layout(present: tuple[str, ...], has_own: bool) -> str:
    """The funnel plot's spec without its numbers."""
    colours = {"Within the limits": "#d8dde0", **{SIGNALS[k]["words"]: SIGNALS[k]["colour"] for k in SIGNALS}}
    shapes = {"Within the limits": "circle", **{SIGNALS[k]["words"]: SIGNALS[k]["shape"] for k in SIGNALS}}
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
        ))
    legend = alt.Legend(orient="bottom", title=None) if present else None
    layers.append(
        alt.Chart(alt.Data(name="others"))
        .mark_point(filled=True, size=40, stroke=INK, strokeWidth=0.7, opacity=1)
        .encode(
            x=alt.X("n:Q", title=x_title),
            y=alt.Y("value:Q", axis=y, scale=y_scale),
            fill=alt.Fill("signal:N", scale=alt.Scale(domain=list(present), range=[colours[w] for w in present]),
                          legend=legend),
            shape=alt.Shape("signal:N", scale=alt.Scale(domain=list(present), range=[shapes[w] for w in present]),
                            legend=legend),
        )
    )  # fmt: skip
    if has_own:
        mark = alt.Chart(alt.Data(name="own")).encode(
            x=alt.X("n:Q", title=x_title), y=alt.Y("value:Q", axis=y, scale=y_scale)
        )
        layers.append(mark.mark_point(filled=True, shape="diamond", size=170, color=HIGHLIGHT, stroke=INK, opacity=1))
        layers.append(mark.mark_text(dx=10, align="left", fontWeight="bold", color=HIGHLIGHT).encode(text="force:N"))
    return _finish(alt.layer(*layers).properties(width=WIDTH, height=HEIGHT))


def attrition_spec(curves: list[dict]) -> dict:
    """Attrition curves: the Kaplan-Meier share withdrawn by each day since report, one line per
    quarter of report told apart by colour, dash and a label at its end."""
    rows = [
        {"quarter": c["quarter"], "day": int(c["day"]), "share": _clean(c["withdrawn_share"])}
        for c in curves
        if not is_missing(c["withdrawn_share"])
    ]
    quarters = tuple(sorted({r["quarter"] for r in rows}))
    ends = [max((r for r in rows if r["quarter"] == q), key=lambda r: r["day"]) for q in quarters]
    return _with_data(_attrition_layout(quarters), curves=rows, ends=ends)


@lru_cache(maxsize=256)
def _attrition_layout(quarters: tuple[str, ...]) -> str:
    """The attrition chart's spec without its numbers."""
    colour = alt.Scale(domain=list(quarters), range=QUARTER_COLOURS[: len(quarters)])
    dash = alt.Scale(domain=list(quarters), range=QUARTER_DASHES[: len(quarters)])
    x = alt.X("day:Q", title="days since report", scale=alt.Scale(domain=[0, 365]),
              axis=alt.Axis(values=[0, 7, 30, 90, 180, 270, 365]))  # fmt: skip
    y = alt.Y("share:Q", axis=alt.Axis(format=".0%", title=None, tickCount=5))
    legend = alt.Legend(orient="bottom", title="Reported in") if quarters else None
    lines = (
        alt.Chart(alt.Data(name="curves"))
        .mark_line(strokeWidth=1.8)
        .encode(x=x, y=y, color=alt.Color("quarter:N", scale=colour, legend=legend),
                strokeDash=alt.StrokeDash("quarter:N", scale=dash, legend=legend))
    )  # fmt: skip
    labels = (
        alt.Chart(alt.Data(name="ends"))
        .mark_text(align="left", dx=4, fontSize=10)
        .encode(x=x, y=y, text="quarter:N", color=alt.Color("quarter:N", scale=colour, legend=None))
    )
    return _finish(alt.layer(lines, labels).properties(width=WIDTH, height=HEIGHT))


def _with_data(layout: str, **datasets: list[dict]) -> dict:
    """A chart's full spec: its layout with the numbers as Vega-Lite named datasets."""
    spec = json.loads(layout)
    spec["datasets"] = datasets
    return spec


def _finish(chart) -> str:
    return (
        chart.configure(font="Arial, Helvetica, sans-serif", aria=False)
        .configure_view(stroke="#d8dde0")
        .configure_axis(labelColor=SUBTLE, labelFontSize=11, titleColor=INK, gridColor="#eef1f2")
        .configure_legend(labelLimit=0, labelFontSize=11, labelColor=INK, titleColor=INK, symbolStrokeColor=INK)
        .to_json(validate=False, sort_keys=True)
    )


def spec_key(spec: dict) -> str:
    """The cache key of a chart: its spec and the renderer's version."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":")) + RENDERER_VERSION
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class RenderStats:
    """What one deck's charts cost."""

    charts: int = 0
    rendered: int = 0
    from_cache: int = 0
    render_seconds: float = 0.0  # summed over charts rendered (thread time)
    wall_seconds: float = 0.0
    per_chart: list[float] = field(default_factory=list)


class ChartRenderer:
    """Turns Vega-Lite specs into SVG, using `cache_dir` (optional) so an unchanged chart is never
    rendered twice."""

    def __init__(self, cache_dir: Path | None = None, workers: int = 2):
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.workers = workers
        self.stats = RenderStats()
        self._numbered = 0  # charts handed out so far: each gets its own id prefix
        if self.cache_dir:
            self.cache_dir.mkdir(parents=True, exist_ok=True)

    def _cached(self, key: str) -> str | None:
        if not self.cache_dir:
            return None
        path = self.cache_dir / key[:2] / f"{key}.svg"
        return path.read_text(encoding="utf-8") if path.exists() else None

    def _store(self, key: str, svg: str) -> None:
        if not self.cache_dir:
            return
        folder = self.cache_dir / key[:2]
        folder.mkdir(exist_ok=True)
        partial = folder / f".{key}.{os.getpid()}.tmp"
        partial.write_text(svg, encoding="utf-8")
        os.replace(partial, folder / f"{key}.svg")

    def _render_one(self, spec: dict) -> tuple[str, float]:
        started = time.perf_counter()
        svg = vl_convert.vegalite_to_svg(spec)
        return svg, time.perf_counter() - started

    def render(self, specs: list[dict]) -> list[str]:
        """SVG for each spec, in order (rendering only those not in the cache, each once)."""
        started = time.perf_counter()
        keys = [spec_key(s) for s in specs]
        found: dict[str, str] = {}
        todo: dict[str, dict] = {}
        for key, spec in zip(keys, specs, strict=True):
            if key in found or key in todo:
                continue
            cached = self._cached(key)
            if cached is None:
                todo[key] = spec
            else:
                found[key] = cached
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for key, (svg, seconds) in zip(todo, pool.map(self._render_one, todo.values()), strict=True):
                found[key] = svg
                self._store(key, svg)
                self.stats.per_chart.append(seconds)
                self.stats.render_seconds += seconds
        self.stats.charts += len(specs)
        self.stats.rendered += len(todo)
        self.stats.from_cache += len(specs) - len(todo)
        self.stats.wall_seconds += time.perf_counter() - started
        first, self._numbered = self._numbered, self._numbered + len(keys)
        return [_inline(found[key], f"c{number}") for number, key in enumerate(keys, start=first)]


_ID = re.compile(r'\bid="([^"]+)"')


def _inline(svg: str, prefix: str) -> str:
    """An SVG ready to sit in a page: hidden from assistive technology (the figure around it carries
    the text alternative, and Vega's mark containers have graphics roles without names), and its
    element ids (clip paths, gradients) prefixed so that many inline charts never share one."""
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    ids = set(_ID.findall(svg))
    for name in ids:
        svg = svg.replace(f'id="{name}"', f'id="{prefix}-{name}"').replace(f"url(#{name})", f"url(#{prefix}-{name})")
    return svg
