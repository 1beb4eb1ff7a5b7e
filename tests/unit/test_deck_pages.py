"""The flight deck pages, built from hand-written views (tests/deck_fixtures.py)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipelines.deck.charts import BUNDLE_NAME, javascript_bundle
from pipelines.deck.data import load_deck_data
from pipelines.deck.pages import number_charts, plan_pages, table_rows, write_pages
from tests.deck_fixtures import HIDDEN_FUNNEL, HIDDEN_SUPPRESSED, build

CONTEXT = {"version_id": "V1", "min_denominator": 10, "min_denominator_note": "", "extracts": [],
           "latest_extract": "2026-10-31", "contact": "Contact: the test team."}  # fmt: skip


class _Text(HTMLParser):
    """Visible text, attribute values and the charts' JSON specs of a page; not the Vega library's code."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.in_library = False

    def handle_starttag(self, tag, attrs):
        self.parts += [v for k, v in attrs if v]
        self.in_library = tag == "script" and ("type", "application/json") not in attrs

    def handle_endtag(self, tag):
        self.in_library = False

    def handle_data(self, data):
        if not self.in_library:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def page_specs(html: str) -> dict[tuple[str, str, str], dict]:
    """Each chart's Vega-Lite spec as the page carries it, by (kind, force, KPI)."""
    found = re.findall(
        r'<figure class="chart" id="[^"]+" data-chart="([^"]+)" data-force="([^"]+)" data-kpi="([^"]+)">.*?'
        r'<script type="application/json" class="chart-spec">(.*?)</script>',
        html, flags=re.S,
    )  # fmt: skip
    return {(kind, force, kpi): json.loads(spec) for kind, force, kpi, spec in found}


@pytest.fixture(scope="module")
def deck(tmp_path_factory, chart_cache):
    folder = tmp_path_factory.mktemp("deck")
    con = build()
    data = load_deck_data(con, 10)
    pages = plan_pages(data, 10)
    number_charts(pages)
    counts = write_pages(pages, folder, CONTEXT, javascript_bundle(chart_cache))
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
    # The charts' data as the pages carry it.
    specs = page_specs((folder / "flight_deck/F1.html").read_text())
    march = next(r for r in specs["spc", "F1", "withdrawal_rate"]["datasets"]["points"] if r["month"] == "2026-03-01")
    assert march["value"] is None and march["signal"] == "Suppressed (too few to publish)"
    f1 = next(p for p in pages if p.force == "F1")
    spc = next(m.spc for s in f1.sections for m in s["measures"] if m.kpi_id == "withdrawal_rate")
    assert next(r for r in spc.rows if r[0] == "Mar 2026")[1:4] == ["suppressed", "", ""]
    funnel = specs["funnel", "F1", "withdrawal_rate"]["datasets"]
    assert [p["force"] for p in funnel["others"] + funnel["own"]] == ["F1"]
    rows = next(m.funnel for s in f1.sections for m in s["measures"] if m.kpi_id == "withdrawal_rate").rows
    assert "F2" in [r[0] for r in rows] and next(r for r in rows if r[0] == "F2")[1] == "suppressed"
    # The attrition quarter of 5 cases is suppressed whole.
    f2 = next(p for p in pages if p.force == "F2")
    assert f2.attrition.rows[-1][:3] == ["2026 Q3", "fewer than 10", "suppressed"]
    curves = page_specs((folder / "flight_deck/F2.html").read_text())["attrition", "F2", "attrition_curve"]
    assert {r["quarter"] for r in curves["datasets"]["curves"]} == {"2025 Q4", "2026 Q1", "2026 Q2"}


def test_provisional_months_carry_no_signal_even_when_kpi_spc_disagrees(deck):
    _, pages, _ = deck
    f2 = next(p for p in pages if p.force == "F2")
    spc = next(m.spc for s in f2.sections for m in s["measures"] if m.kpi_id == "withdrawal_rate")
    provisional = [r for r in spc.rows if r[0] in ("Sep 2026", "Oct 2026")]
    assert [r[7] for r in provisional] == ["Provisional: still settling, no signal"] * 2
    assert [r[8] for r in provisional] == ["", ""]
    band = spc.spec.datasets["band"]
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


def test_headings_are_in_order_and_text_is_escaped(tmp_path, chart_cache):
    con = build(extra_kpis=[("pj_felt_believed", "Victims <felt> believed", "proportion", "share of responses",
                             "up", "Victim voice")])  # fmt: skip
    # A force code is data: one that reads as markup must not end the chart's <script> element.
    con.execute("update kpi_funnel set force_code = '</script><b>F2' where force_code = 'F2'")
    con.execute("update kpi_funnel set denominator = 60 where force_code = '</script><b>F2'")
    data = load_deck_data(con, 10)
    pages = plan_pages(data, 10)
    number_charts(pages)
    write_pages(pages, tmp_path, CONTEXT, javascript_bundle(chart_cache))
    html = (tmp_path / "flight_deck/F1.html").read_text()
    # A KPI added to the registry later appears with no code change; its title is escaped.
    assert "Victims &lt;felt&gt; believed" in html and "<felt>" not in html
    assert "<b>" not in html and "&lt;/script&gt;&lt;b&gt;F2" in html
    others = page_specs(html)["funnel", "F1", "withdrawal_rate"]["datasets"]["others"]
    assert [p["force"] for p in others] == ["</script><b>F2"]
    assert re.search(r'<h2 id="s-\d+">Victim voice</h2>', html)
    levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_a_number_table_escapes_every_cell_even_one_holding_the_separator_it_joins_cells_with():
    rows = [["<F1>", "1.5%", "a & b", 'say "no"'], ["F\x002", "x<y"], ["only"]]
    assert str(table_rows(rows)) == (
        '<tr><th scope="row">&lt;F1&gt;</th><td>1.5%</td><td>a &amp; b</td><td>say &#34;no&#34;</td></tr>\n      '
        '<tr><th scope="row">F\x002</th><td>x&lt;y</td></tr>\n      '
        '<tr><th scope="row">only</th></tr>\n      '
    )


def test_a_warehouse_from_before_catalogue_1_1_still_gives_pages(tmp_path):
    con = build(with_v11=False)
    data = load_deck_data(con, 10)
    assert data.funnel["kpi_id"] == [] and not any(data.series["is_provisional"])
    pages = plan_pages(data, 10)
    assert all(m.funnel is None for p in pages for s in p.sections for m in s["measures"])


def test_the_stored_chart_templates_are_what_altair_builds_with_the_installed_version():
    # A run reads the three templates from chart_templates.json instead of building them; the file
    # must be exactly what the builders make now, else `python -m pipelines.deck.chart_templates`.
    from pipelines.deck import chart_templates

    stored = json.loads(chart_templates.TEMPLATES_FILE.read_text(encoding="utf-8"))
    built = chart_templates.build()
    assert stored["vega_lite"] == alt_schema_version() == built["vega_lite"]
    assert sorted(stored["templates"]) == ["attrition", "funnel", "spc"]
    for kind in stored["templates"]:
        assert stored["templates"][kind] == built["templates"][kind], (
            f"chart_templates.json's {kind} template is out of date: run python -m pipelines.deck.chart_templates"
        )


def test_a_run_reads_the_chart_templates_without_importing_altair():
    # Importing altair and building the templates cost about a third of a second of every run.
    import subprocess
    import sys

    script = (
        "import sys, pipelines.definitions\n"
        "from pipelines.deck import charts\n"
        "assert all('@@' in charts._template(k) for k in ('spc', 'funnel', 'attrition'))\n"
        "print(sorted(m for m in ('altair', 'jsonschema') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_vega_bundle_is_built_once_and_kept_under_its_versions(tmp_path, monkeypatch):
    import vl_convert

    from pipelines.deck import charts

    calls = []
    monkeypatch.setattr(charts, "_built_bundle", lambda: calls.append(1) or "window.built = 1;")
    # An installation without the bundle: built once, kept in the cache folder.
    monkeypatch.setattr(charts, "INSTALLED_BUNDLE", tmp_path / "installed" / BUNDLE_NAME)
    cache = tmp_path / "cache"
    assert javascript_bundle(cache) == "window.built = 1;" and calls == [1]
    assert (cache / BUNDLE_NAME).read_text() == "window.built = 1;"
    assert javascript_bundle(cache) == "window.built = 1;" and calls == [1]  # read back, not built again
    # `make` builds it into the installation, which every warehouse then reads, built no more.
    assert charts.install_bundle().read_text() == "window.built = 1;" and calls == [1, 1]
    (cache / BUNDLE_NAME).unlink()
    assert javascript_bundle(tmp_path / "new-warehouse") == "window.built = 1;" and calls == [1, 1]
    assert not (tmp_path / "new-warehouse").exists()
    # The name carries vl-convert's version and the Vega-Lite version altair writes: a new release of
    # either is a new file.
    assert vl_convert.__version__ in BUNDLE_NAME and alt_schema_version() in BUNDLE_NAME


def alt_schema_version() -> str:
    import altair as alt

    return alt.SCHEMA_VERSION.lstrip("v")


def test_every_chart_is_a_complete_vega_lite_spec_of_its_kind(deck):
    import altair as alt

    folder, pages, _ = deck
    html = (folder / "flight_deck/F1.html").read_text()
    specs = page_specs(html)
    assert len(specs) == sum(len(p.charts) for p in pages if p.force == "F1") == 6
    for spec in specs.values():
        alt.Chart.from_dict(spec)  # validates against the Vega-Lite schema
        assert "@@" not in json.dumps(spec)
        for layer in spec["layer"]:
            assert set(layer["data"]) == {"name"} and layer["data"]["name"] in spec["datasets"]  # no url: no fetch
    # The look follows the measure: a share's axis in percent, a count's in whole numbers; the legend
    # lists only the signals the chart shows, in the Making Data Count colours and shapes.
    withdrawal = specs["spc", "F1", "withdrawal_rate"]
    points = next(layer for layer in withdrawal["layer"] if layer["mark"]["type"] == "point")["encoding"]
    assert points["y"]["axis"]["format"] == ".0%"
    # F1's withdrawal rate: a concern in Aug 2026, common cause before, two provisional months; the
    # suppressed month (Mar 2026) is not drawn, so it is not in the legend.
    assert points["fill"]["legend"]["values"] == points["shape"]["legend"]["values"] == [
        "Special cause: concern", "Common cause variation", "Provisional: still settling, no signal"
    ]  # fmt: skip
    fill = dict(zip(points["fill"]["scale"]["domain"], points["fill"]["scale"]["range"], strict=True))
    shape = dict(zip(points["shape"]["scale"]["domain"], points["shape"]["scale"]["range"], strict=True))
    assert fill["Special cause: concern"] == "#ed8b00" and shape["Special cause: concern"] == "diamond"
    assert fill["Special cause: improvement"] == "#41b6e6" and shape["Special cause: improvement"] == "square"
    charges = specs["spc", "F1", "charges"]
    axis = next(layer for layer in charges["layer"] if layer["mark"]["type"] == "point")["encoding"]["y"]["axis"]
    assert axis["format"] == "d"


def test_pages_draw_their_charts_with_inline_scripts_only(deck, chart_cache):
    folder, _, _ = deck
    bundle = javascript_bundle(chart_cache)
    for path in ("flight_deck.html", "flight_deck/F1.html"):
        html = (folder / path).read_text()
        scripts = re.findall(r"<script([^>]*)>", html)
        assert scripts.count(' type="application/json" class="chart-spec"') == html.count('<figure class="chart"')
        assert all(attrs in ("", ' type="application/json" class="chart-spec"') for attrs in scripts)
        assert html.count(bundle) == 1 and "<noscript>" in html


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
        # The page's own markup, without the Vega library's code (the same inline script on every page).
        html = re.sub(r"<script>.*?</script>", "", (folder / path).read_text(), flags=re.S)
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert not re.search(r"<(script|img|link|iframe)[^>]* (src|href)=", html)
        assert "@import" not in html and "url(http" not in html


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
    import vl_convert

    from pipelines.deck.charts import attrition_spec, funnel_curve, funnel_spec, spc_spec

    hidden = [{"month": f"2025-{m:02d}-01", "value": None, "centre": 0.5, "upper": 0.7, "lower": 0.3,
               "signal": "suppressed"} for m in range(1, 13)]  # fmt: skip
    limits = [{"kpi_id": "k", "denominator": 10.0, "national_value": 0.5, "lower_95": 0.2, "upper_95": 0.8,
               "lower_99_8": 0.1, "upper_99_8": 0.9}]  # fmt: skip
    hidden_force = [{"force_code": "F1", "denominator": None, "value": None, "signal": "suppressed"}]
    specs = [spc_spec(hidden, "share of cases", "proportion"), funnel_spec(hidden_force, funnel_curve(limits), "F1"),
             attrition_spec([{"quarter": "2026 Q1", "day": 0, "withdrawn_share": None}])]  # fmt: skip
    # vl-convert draws with the same Vega as the pages' bundle, without a browser.
    for spec in specs:
        svg = vl_convert.vegalite_to_svg(spec.to_dict())
        width = float(re.search(r'width="([^"]+)"', svg).group(1))
        assert 0 < width < 2000
