"""The deck's pages: an index (`flight_deck.html`: contents, every force at a glance, and the
all-forces section) and one page per force (`flight_deck/<FORCE>.html`). Each page is one
self-contained file (styles and charts inline, nothing fetched at view time) filled from the
Jinja2 templates beside this module, with autoescape on. The charts are drawn in the browser from
their Vega-Lite specs by the Vega bundle inlined in the page (see `charts`); each chart's text
alternative and table of numbers are plain HTML, so the page reads the same without JavaScript."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from pipelines.deck.charts import ChartSpec, attrition_spec, funnel_curve, funnel_spec, spc_spec
from pipelines.deck.data import Columns, DeckData, records
from pipelines.deck.formatting import (
    BETTER_WORDS,
    SIGNALS,
    figure_format,
    format_count,
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
    env.filters["table_rows"] = table_rows
    return env


def table_rows(rows: list[list]) -> Markup:
    """A chart's number table body: each row a <tr> of its first cell as the row's header and the rest
    as cells, every cell escaped. The national deck has about 2.7 million cells, so a row is escaped
    in one call, its cells joined by NUL (which escaping leaves alone): 5.1 s to 4.2 s for the
    national pages, measured. A row with a NUL in a cell is escaped cell by cell."""
    lines = []
    for row in rows:
        cells = [str(cell) for cell in row]
        text = "\0".join(cells)
        if text.count("\0") == len(cells) - 1:
            head, _, rest = str(escape(text)).partition("\0")
            body = f"<td>{rest.replace(chr(0), '</td><td>')}</td>" if len(cells) > 1 else ""
        else:
            head, *others = (str(escape(cell)) for cell in cells)
            body = "".join(f"<td>{cell}</td>" for cell in others)
        lines.append(f'<tr><th scope="row">{head}</th>{body}</tr>\n      ')
    return Markup("".join(lines))


def force_title(force: str) -> str:
    """How a page names a force."""
    return "All forces" if force == "ALL" else f"Force {force}"


def force_page_path(force: str) -> str:
    """A force page's path relative to the version folder."""
    return f"flight_deck/{quote(force, safe='')}.html"


@dataclass
class Chart:
    """One chart on a page: its Vega-Lite spec, text alternative and the numbers as a table."""

    kind: str
    force: str
    kpi_id: str
    spec: ChartSpec
    alt: str
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    dom_id: str = ""

    @property
    def spec_json(self) -> Markup:
        """The spec as JSON that can sit inside a <script> element: no '<', '>' or '&' in it."""
        return Markup(script_safe(self.spec.to_json()))


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


def _runs(keys: list) -> dict:
    """Where each key's rows start and end in rows sorted by key: {key: (start, end)}."""
    runs, start = {}, 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs[keys[start]] = (start, i)
            start = i
    return runs


def _spc_chart(force: str, kpi: dict, series: Columns, span: tuple[int, int], latest: dict,
               min_denominator: int) -> Chart:  # fmt: skip
    unit, kind = kpi["unit"], kpi["kind"]
    fmt = figure_format(unit, kind)
    columns = ("period", "is_suppressed", "value", "ci_low", "ci_high", "denominator", "centre", "lower_limit",
               "upper_limit", "signal", "rules")  # fmt: skip
    points = list(zip(*(series[c][span[0] : span[1]] for c in columns), strict=True))
    rows, spec_points = [], []
    for period, hidden, value, ci_low, ci_high, denominator, centre, lower, upper, signal, rules in points:
        spec_points.append(
            {"month": iso_date(period), "value": None if hidden else value, "centre": centre, "upper": upper,
             "lower": lower, "signal": signal}
        )  # fmt: skip
        rows.append(
            [
                month_label(period),
                "suppressed" if hidden else fmt(value),
                "" if hidden or ci_low is None else f"{fmt(ci_low)} to {fmt(ci_high)}",
                "" if hidden else format_count(denominator),
                fmt(centre), fmt(lower), fmt(upper),
                SIGNALS[signal]["words"], rules_words(rules),
            ]
        )  # fmt: skip
    counts = Counter(p[9] for p in points)
    parts = [
        f"{kpi['title']}, {force_title(force).lower() if force == 'ALL' else force}: monthly values from "
        f"{month_label(points[0][0])} to {month_label(points[-1][0])}."
    ]
    if not is_missing(latest.get("settled_period")):
        shown = "suppressed" if latest["is_suppressed"] else fmt(latest["value"])
        parts.append(
            f"Latest settled month {month_label(latest['settled_period'])}: {shown}; "
            f"{SIGNALS[latest['signal']]['words'].lower()}."
        )
    limits = [p for p in points if p[6] is not None]
    if limits:
        *_, centre, lower, upper, _, _ = limits[-1]
        parts.append(f"Centre line {fmt(centre)}, process limits {fmt(lower)} to {fmt(upper)}.")
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


def _funnel_chart(force: str, kpi: dict, records: list[dict], curve: list[dict]) -> Chart | None:
    if not records:
        return None
    highlight = None if force == "ALL" else force
    first = records[0]
    window = f"{month_label(first['window_from'])} to {month_label(first['window_to'])}"
    fmt = figure_format(kpi["unit"], kpi["kind"])
    national = fmt(first["national_value"])
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
    return Chart(
        kind="funnel", force=force, kpi_id=kpi["kpi_id"], spec=funnel_spec(records, curve, highlight),
        alt=" ".join(parts), caption=f"Forces compared over {window}",
        headers=["Force", "n", "Value", "95% limits", "99.8% limits", "Position"], rows=rows,
    )  # fmt: skip


def _attrition_chart(force: str, curves: list[dict], min_denominator: int) -> Chart | None:
    if not curves:
        return None
    quarters: dict = {}
    for point in curves:  # in quarter and day order
        quarters.setdefault(point["report_quarter"], []).append(point)
    rows, parts = [], []
    for quarter, days in quarters.items():
        label = quarter_label(quarter)
        if days[0]["is_suppressed"]:
            rows.append([label, f"fewer than {min_denominator}", *["suppressed"] * len(ATTRITION_DAYS)])
            continue
        by_day = {d["day"]: d["withdrawn_share"] for d in days}
        cells = ["not yet" if is_missing(by_day.get(d)) else f"{100 * by_day[d]:.1f}%" for d in ATTRITION_DAYS]
        rows.append([label, format_count(days[0]["cases"]), *cells])
        by_days = ", ".join(f"{c} by day {d}" for c, d in zip(cells, ATTRITION_DAYS, strict=True))
        parts.append(f"reported in {label}: {by_days}")
    spec_rows = [
        {"quarter": quarter_label(c["report_quarter"]), "day": c["day"], "withdrawn_share": c["withdrawn_share"]}
        for c in curves
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
    fmt = figure_format(kpi["unit"], kpi["kind"])
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


def _grouped(rows: list[dict], key: str) -> dict:
    groups: dict = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def plan_pages(data: DeckData, min_denominator: int) -> list[Page]:
    """Every page's content (charts as Vega-Lite specs), ALL first."""
    kpis = {r["kpi_id"]: r for r in data.measures}
    latest = {(r["force_code"], r["kpi_id"]): r for r in records(data.latest)}
    series = _runs(list(zip(data.series["force_code"], data.series["kpi_id"], strict=True)))
    funnels = _grouped(records(data.funnel), "kpi_id")
    limits = {k: funnel_curve(rows) for k, rows in _grouped(records(data.funnel_limits), "kpi_id").items()}
    curves = _grouped(records(data.attrition), "force_code")
    pages = []
    for force in data.forces:
        measures_by_section: dict[str, list[Measure]] = {}
        for kpi_id, kpi in kpis.items():
            span = series.get((force, kpi_id))
            if span is None:
                continue  # a KPI with no rows for this force is simply absent
            last = latest[(force, kpi_id)]
            funnel = None
            if kpi_id in funnels and kpi_id in limits:
                funnel = _funnel_chart(force, kpi, funnels[kpi_id], limits[kpi_id])
            measure = Measure(
                kpi_id=kpi_id, title=kpi["title"], definition=kpi["definition"],
                better=BETTER_WORDS.get(kpi["better"], "Neither direction is better"), unit=kpi["unit"],
                card=_card(kpi, last, min_denominator),
                spc=_spc_chart(force, kpi, data.series, span, last, min_denominator), funnel=funnel,
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


def script_safe(text: str) -> str:
    """JSON text made safe inside an HTML <script> element (the same JSON to a parser)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def number_charts(pages: list[Page]) -> None:
    """Give every chart of the deck its own element id."""
    for number, chart in enumerate(c for page in pages for c in page.charts):
        chart.dom_id = f"chart-{number}"


def write_pages(pages: list[Page], folder: Path, context: dict, bundle: str) -> dict[str, int]:
    """Write each page, with `bundle` (the Vega scripts) inlined; returns the number of KPI series
    (SPC charts) on each, by path."""
    env = environment()
    css = Markup((TEMPLATES / "deck.css").read_text(encoding="utf-8"))
    context = {**context, "bundle": Markup(bundle), "loader": Markup((TEMPLATES / "deck.js").read_text("utf-8"))}
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
