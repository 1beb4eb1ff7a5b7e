"""The deck's pages: an index (`flight_deck.html`: contents, every force at a glance, and the
all-forces section) and one page per force (`flight_deck/<FORCE>.html`). Each page is one
self-contained file (styles and charts inline, nothing fetched at view time) filled from the
Jinja2 templates beside this module, with autoescape on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipelines.deck.charts import ChartRenderer, attrition_spec, funnel_spec, spc_spec
from pipelines.deck.data import DeckData
from pipelines.deck.formatting import (
    BETTER_WORDS,
    SIGNALS,
    format_count,
    format_value,
    is_missing,
    iso_date,
    month_label,
    quarter_label,
    rules_words,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
ATTRITION_DAYS = (7, 30, 90, 180, 365)
POSITION_WORDS = {
    "above_99.8": "above the 99.8% limit",
    "above_95": "above the 95% limit",
    "within": "within the 95% limits",
    "below_95": "below the 95% limit",
    "below_99.8": "below the 99.8% limit",
}
SUMMARY_ORDER = ("concern", "improvement", "neither", "common_cause", "too_few_points", "provisional", "suppressed")


def environment() -> Environment:
    """Jinja2 with autoescape on, templates from files beside this module."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    env.filters["pathquote"] = lambda text: quote(str(text), safe="")
    return env


def force_title(force: str) -> str:
    """How a page names a force."""
    return "All forces" if force == "ALL" else f"Force {force}"


def force_page_path(force: str) -> str:
    """A force page's path relative to the version folder."""
    return f"flight_deck/{quote(force, safe='')}.html"


@dataclass
class Chart:
    """One chart on a page: its spec (rendered later), text alternative and the numbers as a table."""

    kind: str
    force: str
    kpi_id: str
    spec: dict
    alt: str
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    svg: Markup = Markup("")
    dom_id: str = ""


@dataclass
class Measure:
    """A KPI on a page: its SPC chart, the card of its latest settled month, its funnel if any."""

    kpi_id: str
    title: str
    definition: str
    better: str
    unit: str
    card: dict
    spc: Chart
    funnel: Chart | None = None


@dataclass
class Page:
    """One page: a force (or ALL) with its sections of measures."""

    force: str
    path: str
    title: str
    summary: list[dict]
    sections: list[dict] = field(default_factory=list)
    attrition: Chart | None = None
    attrition_note: str = ""

    @property
    def charts(self) -> list[Chart]:
        """Every chart on the page, in page order."""
        found = []
        for section in self.sections:
            for measure in section["measures"]:
                found.append(measure.spc)
                if measure.funnel:
                    found.append(measure.funnel)
        return found + ([self.attrition] if self.attrition else [])


def _spc_chart(force: str, kpi: dict, points: pd.DataFrame, latest: dict, min_denominator: int) -> Chart:
    unit, kind = kpi["unit"], kpi["kind"]
    fmt = lambda v: format_value(v, unit, kind)  # noqa: E731
    rows, spec_points = [], []
    for p in points.itertuples(index=False):
        month = iso_date(p.period)
        spec_points.append(
            {"month": month, "value": None if p.is_suppressed else p.value, "centre": p.centre,
             "upper": p.upper_limit, "lower": p.lower_limit, "signal": p.signal}
        )  # fmt: skip
        interval = "" if is_missing(p.ci_low) else f"{fmt(p.ci_low)} to {fmt(p.ci_high)}"
        rows.append(
            [
                month_label(p.period),
                "suppressed" if p.is_suppressed else fmt(p.value),
                "" if p.is_suppressed else interval,
                "" if p.is_suppressed else format_count(p.denominator),
                fmt(p.centre), fmt(p.lower_limit), fmt(p.upper_limit),
                SIGNALS[p.signal]["words"], rules_words(p.rules),
            ]
        )  # fmt: skip
    counts = points["signal"].value_counts().to_dict()
    parts = [
        f"{kpi['title']}, {force_title(force).lower() if force == 'ALL' else force}: monthly values from "
        f"{month_label(points['period'].iloc[0])} to {month_label(points['period'].iloc[-1])}."
    ]
    if latest.get("settled_period") is not None and not is_missing(latest.get("settled_period")):
        shown = "suppressed" if latest["is_suppressed"] else fmt(latest["value"])
        parts.append(
            f"Latest settled month {month_label(latest['settled_period'])}: {shown}; "
            f"{SIGNALS[latest['signal']]['words'].lower()}."
        )
    limits = points.dropna(subset=["centre"])
    if len(limits):
        last = limits.iloc[-1]
        parts.append(
            f"Centre line {fmt(last.centre)}, process limits {fmt(last.lower_limit)} to {fmt(last.upper_limit)}."
        )
    special = [f"{counts[k]} {k}" for k in ("improvement", "concern", "neither") if counts.get(k)]
    parts.append(f"Special-cause months: {', '.join(special)}." if special else "No special-cause months.")
    if counts.get("provisional"):
        months = "month is" if counts["provisional"] == 1 else f"{counts['provisional']} months are"
        parts.append(f"The last {months} provisional: shaded, hollow and without a signal.")
    if counts.get("suppressed"):
        months = "month has" if counts["suppressed"] == 1 else "months have"
        shown = "is" if counts["suppressed"] == 1 else "are"
        parts.append(f"{counts['suppressed']} {months} fewer than {min_denominator} and {shown} not shown.")
    return Chart(
        kind="spc", force=force, kpi_id=kpi["kpi_id"], spec=spc_spec(spec_points, unit, kind), alt=" ".join(parts),
        headers=["Month", "Value", "95% interval", "n", "Centre", "Lower limit", "Upper limit", "Signal", "Rules"],
        rows=rows,
    )  # fmt: skip


def _funnel_chart(force: str, kpi: dict, forces: pd.DataFrame, limits: pd.DataFrame) -> Chart | None:
    if forces.empty:
        return None
    highlight = None if force == "ALL" else force
    records = forces.to_dict("records")
    first = records[0]
    window = f"{month_label(first['window_from'])} to {month_label(first['window_to'])}"
    national = format_value(first["national_value"], kpi["unit"], kpi["kind"])
    fmt = lambda v: format_value(v, kpi["unit"], kpi["kind"])  # noqa: E731
    rows = [
        [
            r["force_code"],
            "suppressed" if r["is_suppressed"] else format_count(r["denominator"]),
            "suppressed" if r["is_suppressed"] else fmt(r["value"]),
            "" if r["is_suppressed"] else f"{fmt(r['lower_95'])} to {fmt(r['upper_95'])}",
            "" if r["is_suppressed"] else f"{fmt(r['lower_99_8'])} to {fmt(r['upper_99_8'])}",
            "" if r["is_suppressed"] else POSITION_WORDS.get(r["position"], r["position"] or ""),
        ]
        for r in records
    ]
    shown = [r for r in records if not r["is_suppressed"]]
    beyond = {k: sum(1 for r in shown if r["position"] == k) for k in ("above_99.8", "below_99.8")}
    parts = [f"{kpi['title']} over the 12 months {window}: {len(shown)} forces; national value {national}."]
    own = next((r for r in records if r["force_code"] == highlight), None)
    if own is not None:
        if own["is_suppressed"]:
            parts.append(f"{force} is suppressed (too few to publish).")
        else:
            parts.append(
                f"{force} (the large diamond): {fmt(own['value'])} with n = {format_count(own['denominator'])}, "
                f"{POSITION_WORDS.get(own['position'], '')}."
            )
    parts.append(
        f"{beyond['above_99.8']} forces are above the 99.8% limit and {beyond['below_99.8']} below it."
    )
    spec = funnel_spec(records, limits.to_dict("records"), highlight)
    return Chart(
        kind="funnel", force=force, kpi_id=kpi["kpi_id"], spec=spec,
        alt=" ".join(parts), caption=f"Forces compared over {window}",
        headers=["Force", "n", "Value", "95% limits", "99.8% limits", "Position"], rows=rows,
    )  # fmt: skip


def _attrition_chart(force: str, curves: pd.DataFrame, min_denominator: int) -> Chart | None:
    if curves.empty:
        return None
    quarters = curves.groupby("report_quarter", sort=True)
    rows, parts = [], []
    for quarter, days in quarters:
        by_day = days.set_index("day")
        label = quarter_label(quarter)
        if bool(days["is_suppressed"].iloc[0]):
            rows.append([label, f"fewer than {min_denominator}", *["suppressed"] * len(ATTRITION_DAYS)])
            continue
        shares = [by_day["withdrawn_share"].get(d) for d in ATTRITION_DAYS]
        cells = ["not yet" if is_missing(v) else f"{100 * v:.1f}%" for v in shares]
        rows.append([label, format_count(days["cases"].iloc[0]), *cells])
        by_days = ", ".join(f"{c} by day {d}" for c, d in zip(cells, ATTRITION_DAYS, strict=True))
        parts.append(f"reported in {label}: {by_days}")
    spec_rows = [
        {"quarter": quarter_label(r.report_quarter), "day": r.day, "withdrawn_share": r.withdrawn_share}
        for r in curves.itertuples(index=False)
    ]
    alt_text = (
        "Share of victims who had withdrawn, by days since report, for the four latest quarters of report; "
        + ("; ".join(parts) if parts else "every quarter is suppressed")
        + ". A line stops where fewer than "
        f"{min_denominator} cases are still followed."
    )
    return Chart(
        kind="attrition", force=force, kpi_id="attrition_curve", spec=attrition_spec(spec_rows), alt=alt_text,
        headers=["Reported in", "Cases", *(f"By day {d}" for d in ATTRITION_DAYS)], rows=rows,
    )  # fmt: skip


def _card(kpi: dict, latest: dict, min_denominator: int) -> dict:
    fmt = lambda v: format_value(v, kpi["unit"], kpi["kind"])  # noqa: E731
    settled = not is_missing(latest.get("settled_period"))
    suppressed = settled and bool(latest["is_suppressed"])
    interval = "" if (not settled or suppressed or is_missing(latest["ci_low"])) else (
        f"{fmt(latest['ci_low'])} to {fmt(latest['ci_high'])}"
    )  # fmt: skip
    return {
        "month": month_label(latest["settled_period"]) if settled else "none yet",
        "value": (f"suppressed (fewer than {min_denominator})" if suppressed else fmt(latest["value"]))
        if settled else "",
        "interval": interval,
        "n": "" if (not settled or suppressed) else format_count(latest["denominator"]),
        "signal": latest["signal"],
        "signal_words": SIGNALS[latest["signal"]]["words"],
        "rules": rules_words(latest["rules"]),
        "provisional_months": int(latest["provisional_months"]),
    }  # fmt: skip


def _summary(measures: list[Measure]) -> list[dict]:
    """The Making Data Count variation summary: measures grouped by what their latest settled month says."""
    groups = []
    for signal in SUMMARY_ORDER:
        members = [m for m in measures if m.card["signal"] == signal]
        if members:
            groups.append({"signal": signal, "words": SIGNALS[signal]["words"], "measures": members})
    return groups


def plan_pages(data: DeckData, min_denominator: int) -> list[Page]:
    """Every page's content (charts as specs, not yet rendered), ALL first."""
    kpis = {r["kpi_id"]: r for r in data.measures.to_dict("records")}
    latest = {(r["force_code"], r["kpi_id"]): r for r in data.latest.to_dict("records")}
    series = {key: group for key, group in data.series.groupby(["force_code", "kpi_id"], sort=False)}
    funnels = {key: group for key, group in data.funnel.groupby("kpi_id", sort=False)}
    limits = {key: group for key, group in data.funnel_limits.groupby("kpi_id", sort=False)}
    curves = {key: group for key, group in data.attrition.groupby("force_code", sort=False)}
    pages = []
    for force in data.forces:
        measures_by_section: dict[str, list[Measure]] = {}
        for kpi_id, kpi in kpis.items():
            points = series.get((force, kpi_id))
            if points is None:
                continue  # a KPI with no rows for this force is simply absent
            last = latest[(force, kpi_id)]
            funnel = None
            if kpi_id in funnels and kpi_id in limits:
                funnel = _funnel_chart(force, kpi, funnels[kpi_id], limits[kpi_id])
            measure = Measure(
                kpi_id=kpi_id, title=kpi["title"], definition=kpi["definition"],
                better=BETTER_WORDS.get(kpi["better"], "Neither direction is better"), unit=kpi["unit"],
                card=_card(kpi, last, min_denominator), spc=_spc_chart(force, kpi, points, last, min_denominator),
                funnel=funnel,
            )  # fmt: skip
            measures_by_section.setdefault(kpi["section"], []).append(measure)
        every = [m for ms in measures_by_section.values() for m in ms]
        page = Page(
            force=force, path="flight_deck.html" if force == "ALL" else force_page_path(force),
            title=force_title(force), summary=_summary(every),
            sections=[{"name": name, "slug": f"s-{i}", "measures": ms}
                      for i, (name, ms) in enumerate(measures_by_section.items(), start=1)],
        )  # fmt: skip
        if force in curves:
            page.attrition = _attrition_chart(force, curves[force], min_denominator)
        pages.append(page)
    return pages


def render_charts(pages: list[Page], renderer: ChartRenderer) -> None:
    """Render every chart of every page in one batch (cached charts are not rendered again)."""
    charts = [c for page in pages for c in page.charts]
    for number, (chart, svg) in enumerate(zip(charts, renderer.render([c.spec for c in charts]), strict=True)):
        chart.svg = Markup(svg)
        chart.dom_id = f"chart-{number}"


def write_pages(pages: list[Page], folder: Path, context: dict) -> dict[str, int]:
    """Write each page; returns the number of KPI series (SPC charts) on each, by path."""
    env = environment()
    css = Markup((TEMPLATES / "deck.css").read_text(encoding="utf-8"))
    index = next(p for p in pages if p.force == "ALL") if any(p.force == "ALL" for p in pages) else None
    forces = [p for p in pages if p.force != "ALL"]
    glance = [
        {"force": p.force, "path": p.path,
         **{s: sum(1 for g in p.summary if g["signal"] == s for _ in g["measures"])
            for s in ("improvement", "concern", "neither")}}
        for p in forces
    ]  # fmt: skip
    written = {}
    (folder / "flight_deck").mkdir(exist_ok=True)
    for page in pages:
        template = env.get_template("index.html.j2" if page.force == "ALL" else "force.html.j2")
        root = "" if page.force == "ALL" else "../"
        html = template.render(page=page, css=css, root=root, forces=glance, index=index, **context)
        (folder / page.path).write_text(html, encoding="utf-8")
        written[page.path] = sum(len(s["measures"]) for s in page.sections)
    if index is None:  # no ALL rows at all: the index still lists the forces
        template = env.get_template("index.html.j2")
        html = template.render(page=None, css=css, root="", forces=glance, index=None, **context)
        (folder / "flight_deck.html").write_text(html, encoding="utf-8")
        written["flight_deck.html"] = 0
    return written
