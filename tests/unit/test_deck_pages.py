"""The flight deck pages, built from hand-written views (tests/deck_fixtures.py)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipelines.deck.charts import ChartRenderer
from pipelines.deck.data import load_deck_data
from pipelines.deck.pages import plan_pages, render_charts, write_pages
from tests.deck_fixtures import HIDDEN_FUNNEL, HIDDEN_SUPPRESSED, MONTHS, build

CONTEXT = {"version_id": "V1", "min_denominator": 10, "min_denominator_note": "", "extracts": [],
           "latest_extract": "2026-10-31", "contact": "Contact: the test team."}  # fmt: skip


class _Text(HTMLParser):
    """Visible text and attribute values of a page, without the SVG drawing instructions."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.parts += [v for k, v in attrs if v and k not in ("d", "transform", "points", "x", "y", "x1", "x2",
                                                               "y1", "y2", "width", "height", "viewbox")]

    def handle_data(self, data):
        self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deck")
    con = build()
    data = load_deck_data(con, 10)
    pages = plan_pages(data, 10)
    render_charts(pages, ChartRenderer(None))
    counts = write_pages(pages, folder, CONTEXT)
    return folder, pages, counts


def test_every_series_has_one_chart_on_its_page_and_a_kpi_without_rows_is_absent(deck):
    folder, pages, counts = deck
    assert counts == {"flight_deck.html": 4, "flight_deck/F1.html": 4, "flight_deck/F2.html": 3}
    f2 = (folder / "flight_deck/F2.html").read_text()
    assert 'data-kpi="sickness_rate"' not in f2 and "Sickness rate" not in f2
    for path, force in (("flight_deck.html", "ALL"), ("flight_deck/F1.html", "F1")):
        html = (folder / path).read_text()
        charted = re.findall(r'data-chart="spc" data-force="([^"]+)" data-kpi="([^"]+)"', html)
        assert sorted(charted) == sorted(
            (force, k) for k in ("withdrawal_rate", "median_days_to_withdrawal", "charges", "sickness_rate")
        )
        assert html.count('data-chart="funnel"') == 1 and html.count('data-chart="attrition"') == 1


def test_no_suppressed_figure_is_visible_anywhere(deck):
    folder, pages, _ = deck
    for path in ("flight_deck.html", "flight_deck/F1.html", "flight_deck/F2.html"):
        text = page_text((folder / path).read_text())
        for hidden in (HIDDEN_SUPPRESSED, HIDDEN_FUNNEL):
            assert f"{100 * hidden:.1f}%" not in text and str(hidden) not in text
    f1 = next(p for p in pages if p.force == "F1")
    spc = next(m.spc for s in f1.sections for m in s["measures"] if m.kpi_id == "withdrawal_rate")
    march = next(r for r in spc.spec["datasets"]["points"] if r["month"] == "2026-03-01")
    assert march["value"] is None and march["signal"] == "Suppressed (too few to publish)"
    assert next(r for r in spc.rows if r[0] == "Mar 2026")[1:4] == ["suppressed", "", ""]
    funnel = next(m.funnel for s in f1.sections for m in s["measures"] if m.kpi_id == "withdrawal_rate")
    assert [p["force"] for p in funnel.spec["datasets"]["others"] + funnel.spec["datasets"]["own"]] == ["F1"]
    assert "F2" in [r[0] for r in funnel.rows] and next(r for r in funnel.rows if r[0] == "F2")[1] == "suppressed"
    # The attrition quarter of 5 cases is suppressed whole.
    f2 = next(p for p in pages if p.force == "F2")
    assert f2.attrition.rows[-1][:3] == ["2026 Q3", "fewer than 10", "suppressed"]
    assert all(r["quarter"] != "2026 Q3" for r in f2.attrition.spec["datasets"]["curves"])


def test_provisional_months_carry_no_signal_even_when_kpi_spc_disagrees(deck):
    _, pages, _ = deck
    f2 = next(p for p in pages if p.force == "F2")
    spc = next(m.spc for s in f2.sections for m in s["measures"] if m.kpi_id == "withdrawal_rate")
    provisional = [r for r in spc.rows if r[0] in ("Sep 2026", "Oct 2026")]
    assert [r[7] for r in provisional] == ["Provisional: still settling, no signal"] * 2
    assert [r[8] for r in provisional] == ["", ""]
    band = spc.spec["datasets"]["band"]
    assert band == [{"start": "2026-09-01", "end": "2026-10-01", "label": "provisional"}]
    assert "The last 2 months are provisional" in spc.alt


def test_card_and_summary_read_the_latest_settled_month(deck):
    folder, pages, _ = deck
    f1 = next(p for p in pages if p.force == "F1")
    withdrawal = next(m for s in f1.sections for m in s["measures"] if m.kpi_id == "withdrawal_rate")
    # Aug 2026: 39 of 51 (i = 11, denominator 40 + 11), worked out by hand: 76.5%, a concern.
    assert withdrawal.card["month"] == "Aug 2026" and withdrawal.card["value"] == "76.5%"
    assert withdrawal.card["n"] == "51" and withdrawal.card["signal"] == "concern"
    assert withdrawal.card["provisional_months"] == 2
    assert [g["signal"] for g in f1.summary] == ["concern", "too_few_points"]
    assert [m.kpi_id for m in f1.summary[0]["measures"]] == ["withdrawal_rate"]
    html = (folder / "flight_deck/F1.html").read_text()
    assert '<a href="#m-withdrawal_rate">Victim withdrawal rate</a>' in html


def test_headings_are_in_order_and_text_is_escaped(tmp_path):
    con = build(extra_kpis=[("pj_felt_believed", "Victims <felt> believed", "proportion", "share of responses",
                             "up", "Victim voice")])  # fmt: skip
    data = load_deck_data(con, 10)
    pages = plan_pages(data, 10)
    render_charts(pages, ChartRenderer(None))
    write_pages(pages, tmp_path, CONTEXT)
    html = (tmp_path / "flight_deck/F1.html").read_text()
    # A KPI added to the registry later appears with no code change; its title is escaped.
    assert "Victims &lt;felt&gt; believed" in html and "<felt>" not in html
    assert re.search(r'<h2 id="s-\d+">Victim voice</h2>', html)
    levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_a_warehouse_from_before_catalogue_1_1_still_gives_pages(tmp_path):
    con = build(with_v11=False)
    data = load_deck_data(con, 10)
    assert data.funnel.empty and not data.series["is_provisional"].any()
    pages = plan_pages(data, 10)
    assert all(m.funnel is None for p in pages for s in p.sections for m in s["measures"])


def test_chart_cache_renders_only_what_changed(tmp_path):
    con = build()
    data = load_deck_data(con, 10)
    first = ChartRenderer(tmp_path / "cache")
    pages = plan_pages(data, 10)
    distinct = {json.dumps(c.spec, sort_keys=True) for p in pages for c in p.charts}
    render_charts(pages, first)
    assert first.stats.charts == 11 + 3 + 3  # 11 SPC, 3 funnels, 3 attrition charts
    assert first.stats.rendered == len(distinct) < 17  # a chart drawn twice (same numbers) is rendered once
    again = ChartRenderer(tmp_path / "cache")
    render_charts(plan_pages(data, 10), again)
    assert again.stats.rendered == 0 and again.stats.from_cache == 17
    con.execute("update kpi_export set value = 0.5 where force_code = 'F2' and kpi_id = 'charges' "
                "and period = ?", [MONTHS[0]])  # fmt: skip
    changed = ChartRenderer(tmp_path / "cache")
    render_charts(plan_pages(load_deck_data(con, 10), changed), changed)
    assert changed.stats.rendered == 1


def test_funnel_limit_curves_follow_the_catalogue_formula():
    con = build()
    load_deck_data(con, 10)
    rows = con.execute("select * from deck_funnel_limits order by step").fetchall()
    columns = [d[0] for d in con.description]
    assert len(rows) == 81
    first = dict(zip(columns, rows[0], strict=True))
    last = dict(zip(columns, rows[-1], strict=True))
    # Only F1 (n = 500) is shown: the grid runs from 0.8 * 500 to 1.1 * 500.
    assert first["denominator"] == pytest.approx(400) and last["denominator"] == pytest.approx(550)
    # p = 0.6, n = 400: se = sqrt(0.24 / 400) = 0.0244949; 95%: 0.6 -/+ 1.959964 * se.
    assert first["lower_95"] == pytest.approx(0.6 - 0.0480097, abs=1e-6)
    assert first["upper_99_8"] == pytest.approx(0.6 + 0.0756950, abs=1e-6)


def test_templates_are_files_and_pages_are_self_contained(deck):
    folder, _, _ = deck
    assert Path("pipelines/deck/templates/force.html.j2").exists()
    for path in ("flight_deck.html", "flight_deck/F1.html"):
        html = (folder / path).read_text()
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert "<script" not in html and "@import" not in html and "url(http" not in html


def test_docs_name_every_signal_query_and_symbol():
    from pipelines.deck.formatting import SIGNALS
    from pipelines.deck.workbook import SYMBOLS

    docs = Path(__file__).resolve().parents[2] / "docs" / "flight-deck.md"
    text = docs.read_text(encoding="utf-8")
    for key, signal in SIGNALS.items():
        assert f"| `{key}` | {signal['words']} |" in text, key
    for query in sorted((Path(__file__).resolve().parents[2] / "sql" / "deck").glob("*.sql")):
        assert f"| `sql/deck/{query.name}` |" in text, query.name
    for symbol, _ in SYMBOLS:
        assert f"| `{symbol}` |" in text, symbol


def test_a_chart_with_nothing_to_show_still_has_a_finite_size():
    """Found by the browser test: a legend over an empty domain made Vega size the SVG as 1.8e308."""
    from pipelines.deck.charts import attrition_spec, funnel_spec, spc_spec

    hidden = [{"month": f"2025-{m:02d}-01", "value": None, "centre": 0.5, "upper": 0.7, "lower": 0.3,
               "signal": "suppressed"} for m in range(1, 13)]  # fmt: skip
    limits = [{"kpi_id": "k", "denominator": 10.0, "national_value": 0.5, "lower_95": 0.2, "upper_95": 0.8,
               "lower_99_8": 0.1, "upper_99_8": 0.9}]  # fmt: skip
    hidden_force = [{"force_code": "F1", "denominator": None, "value": None, "signal": "suppressed"}]
    specs = [spc_spec(hidden, "share of cases", "proportion"), funnel_spec(hidden_force, limits, "F1"),
             attrition_spec([{"quarter": "2026 Q1", "day": 0, "withdrawn_share": None}])]  # fmt: skip
    for svg in ChartRenderer(None).render(specs):
        width = float(re.search(r'width="([^"]+)"', svg).group(1))
        assert 0 < width < 2000
