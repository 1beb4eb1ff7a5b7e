"""Whole-job runs on temporary folders: agreement with an independent implementation,
immutable versions, and a failing gate or run that publishes nothing."""

import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import publish as publish_module
from pipelines import rules
from pipelines.failures import RunFailure
from pipelines.kpis import KPIS
from pipelines.synth import write_inbox
from tests.conftest import run_pipeline
from tests.reference_kpis import ALL_KPI_IDS, BREAKDOWN_KPI_IDS, JOURNEY_STAGE_KPI_IDS, reference_kpi_rows

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "inbox"


def published_rows(out: Path) -> dict:
    """{(force, period iso, kpi_id, breakdown): (numerator, denominator, value, ci_low, ci_high, provisional)},
    every breakdown."""
    pointer = json.loads((out / "latest.json").read_text())
    table = duckdb.sql(f"select * from read_parquet('{out / pointer['path'] / 'kpi_monthly.parquet'}')")
    assert table.columns[:4] == ["force_code", "period", "kpi_id", "breakdown"]
    return {(r[0], r[1].isoformat(), r[2], r[3]): tuple(r[4:]) for r in table.fetchall()}


def assert_matches_reference(inbox: Path | list[Path], out: Path) -> int:
    """Every published row, breakdowns included, equals the independent reference's, and
    neither side has a row the other lacks."""
    ours = published_rows(out)
    theirs = {
        (r["force_code"], r["period"].isoformat(), r["kpi_id"], r["breakdown"]): (
            r["numerator"], r["denominator"], r["value"], r["ci_low"], r["ci_high"], r["provisional"],
        )
        for r in reference_kpi_rows(inbox, ALL_KPI_IDS, breakdowns=True)
    }  # fmt: skip
    assert sorted(ours.keys() - theirs.keys()) == [], "rows the reference does not publish"
    assert sorted(theirs.keys() - ours.keys()) == [], "rows the pipeline does not publish"
    for key, values in theirs.items():
        for mine, reference in zip(ours[key], values, strict=True):
            assert (mine is None) == (reference is None), (key, ours[key], values)
            assert mine is None or math.isclose(mine, reference, rel_tol=1e-12, abs_tol=1e-12), (key, ours[key], values)
    return len(ours)


def test_the_registry_is_the_whole_catalogue():
    # The reference lists the catalogue's 37 ids in its order, written from the spec alone.
    assert [k.kpi_id for k in KPIS] == list(ALL_KPI_IDS)
    assert [k.kpi_id for k in KPIS if k.breakdowns == "case"] == list(BREAKDOWN_KPI_IDS)
    assert [k.kpi_id for k in KPIS if k.breakdowns == "journey_stage"] == list(JOURNEY_STAGE_KPI_IDS)


def test_sample_agrees_with_independent_reference(tmp_path):
    result, out, _ = run_pipeline(SAMPLE, tmp_path)
    assert result.success
    # The raw exports of EASTC and WESTD reach the reference through their adapted extracts.
    adapted = tmp_path / "warehouse.duckdb.state" / "adapted"
    forces = sorted(json.loads(p.read_text())["force_code"] for p in adapted.rglob("manifest.json"))
    assert forces == ["EASTC", "WESTD"]
    assert assert_matches_reference([SAMPLE, adapted], out) > 20000


def snapshot(folder: Path) -> dict:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_nightly_run_publishes_a_complete_version(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox, forces=3, years=2, seed=7, cases_per_force_year=150)
    before = snapshot(inbox)
    result, out, _ = run_pipeline(inbox, tmp_path)
    assert result.success
    assert snapshot(inbox) == before  # input files are only ever read
    pointer = json.loads((out / "latest.json").read_text())
    version = out / pointer["path"]
    assert pointer == {"version": version.name, "path": f"versions/{version.name}"}
    assert sorted(p.relative_to(version).as_posix() for p in version.rglob("*.*")) == [
        "attrition_curve.parquet", "flight_deck.html", "flight_deck.xlsx", "flight_deck/EASTC.html",
        "flight_deck/NORTHA.html", "flight_deck/SOUTHB.html", "kpi_export.csv", "kpi_export.parquet",
        "kpi_funnel.parquet",
        "kpi_monthly.csv", "kpi_monthly.parquet", "kpi_spc.parquet", "manifest.json", "quarantine/cases.parquet",
        "quarantine/contacts.parquet", "quarantine/devices.parquet", "quarantine/suspect_actions.parquet",
        "quarantine/victim_survey.parquet", "quarantine/workforce.parquet",
    ]  # fmt: skip
    table = duckdb.sql(f"select * from '{version}/kpi_monthly.parquet'")
    assert table.columns == [
        "force_code", "period", "kpi_id", "breakdown", "numerator", "denominator", "value", "ci_low", "ci_high",
        "provisional",
    ]  # fmt: skip
    rows = table.fetchall()
    assert rows == sorted(rows, key=lambda r: (r[0], r[2], r[3], r[1]))
    assert len(duckdb.sql(f"select * from read_csv('{version}/kpi_monthly.csv')").fetchall()) == len(rows)
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["version_id"] == version.name and manifest["catalogue_version"] == "1.1"
    assert len(manifest["extracts"]) == 3
    # The second synthetic force supplies neither optional file of contract v1.1.
    optional = {"NORTHA": {"suspect_actions", "victim_survey"}, "SOUTHB": set(), "EASTC": {"suspect_actions",
                "victim_survey"}}  # fmt: skip
    for extract in manifest["extracts"]:
        assert set(extract["files"]) == {"cases", "devices", "contacts", "workforce"} | optional[extract["force_code"]]
        for counts in extract["files"].values():
            assert len(counts["sha256"]) == 64
            assert counts["rows_read"] == counts["rows_accepted"] > 0 and counts["rows_quarantined"] == 0
    assert_matches_reference(inbox, out)
    assert_views_agree_with_kpi_monthly(version)


def assert_views_agree_with_kpi_monthly(version: Path) -> None:
    """kpi_export, kpi_spc, attrition_curve and the page, checked against kpi_monthly by a
    second, simpler route."""
    monthly = duckdb.sql(f"select * from '{version}/kpi_monthly.parquet'").fetchall()
    export = duckdb.sql(f"select * exclude (section, title, unit) from '{version}/kpi_export.parquet'").fetchall()
    kinds = {k.kpi_id: k.kind for k in KPIS}
    assert len(export) == len(monthly)
    by_key = {row[:4]: row for row in monthly}
    suppressed = 0
    for force, period, kpi_id, breakdown, *numbers, provisional, status in export:
        full = by_key[(force, period, kpi_id, breakdown)]
        assert provisional == full[9]
        if kinds[kpi_id] == "proportion" and full[5] < 10:
            suppressed += 1
            assert status == "suppressed" and numbers == [None] * 5
        else:
            assert status == "published" and tuple(numbers) == full[4:9]
    assert suppressed > 0
    spc = duckdb.sql(
        f"select force_code, period, kpi_id, value, provisional, signal from '{version}/kpi_spc.parquet'"
    ).fetchall()
    assert sorted(r[:5] for r in spc) == sorted((r[0], r[1], r[2], r[6], r[9]) for r in monthly if r[3] == "all")
    assert {r[5] for r in spc} <= {"improvement", "concern", "neither", "common_cause", "too_few_points", "provisional"}
    assert all((r[5] == "provisional") == r[4] for r in spc)
    curves = duckdb.sql(
        f"select force_code, report_quarter, count(*), min(day), max(day) from '{version}/attrition_curve.parquet' "
        "group by all"
    ).fetchall()
    assert {r[0] for r in curves} == {r[0] for r in monthly} and all(r[2:] == (366, 0, 365) for r in curves)
    # The deck: one page per force (ALL on the index), each with every KPI the force has rows for.
    for force in {r[0] for r in monthly}:
        path = "flight_deck.html" if force == "ALL" else f"flight_deck/{force}.html"
        page = (version / path).read_text(encoding="utf-8")
        has_rows = {r[2] for r in monthly if r[0] == force}
        titles = {k.title.replace("'", "&#39;") for k in KPIS if k.kpi_id in has_rows}
        assert all(f"<h3>{t}</h3>" in page for t in titles)
        assert page.count('data-chart="spc"') == len(titles) and '<h2 id="attrition">' in page


def test_same_inputs_give_the_same_kpi_rows_and_versions_are_never_touched(tmp_path):
    result, out, _ = run_pipeline(SAMPLE, tmp_path)
    assert result.success
    first = json.loads((out / "latest.json").read_text())["path"]
    before = {p: p.read_bytes() for p in (out / first).rglob("*") if p.is_file()}
    result, out, _ = run_pipeline(SAMPLE, tmp_path, out=out)
    second = json.loads((out / "latest.json").read_text())["path"]
    assert second != first
    for name in ("kpi_monthly.csv", "kpi_spc.parquet", "kpi_funnel.parquet", "kpi_export.parquet"):
        assert (out / first / name).read_bytes() == (out / second / name).read_bytes(), name
    assert {p: p.read_bytes() for p in (out / first).rglob("*") if p.is_file()} == before


def test_a_shrinking_force_gets_a_warning_not_a_block(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox, forces=1, years=1, seed=3, cases_per_force_year=100)
    result, out, _ = run_pipeline(inbox, tmp_path)
    first = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert first["cases_not_shrunk"]  # nothing to compare with yet
    smaller = tmp_path / "smaller"
    write_inbox(smaller, forces=1, years=1, seed=3, cases_per_force_year=50)
    result, out, _ = run_pipeline(smaller, tmp_path, out=out)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["cases_not_shrunk"].passed
    assert checks["cases_not_shrunk"].severity.value == "WARN"
    assert result.success and len(list((out / "versions").iterdir())) == 2  # still published


def _published_state(out: Path) -> tuple[str, list[str]]:
    return (out / "latest.json").read_text(), sorted(p.name for p in (out / "versions").iterdir())


def test_a_run_failing_part_way_leaves_the_previous_version_intact(tmp_path, monkeypatch):
    result, out, _ = run_pipeline(SAMPLE, tmp_path)
    assert result.success
    before = _published_state(out)

    def broken_copy(*args, **kwargs):
        raise OSError("disk full while writing the version")

    monkeypatch.setattr(publish_module, "_copy", broken_copy)
    with pytest.raises(RunFailure, match="OSError: disk full while writing the version"):
        run_pipeline(SAMPLE, tmp_path, out=out)
    assert _published_state(out) == before  # no half-written version, pointer unchanged


def test_a_failing_blocking_gate_stops_publishing(tmp_path, monkeypatch):
    result, out, _ = run_pipeline(SAMPLE, tmp_path)
    before = _published_state(out)
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    cases = next(inbox.rglob("cases.csv"))
    text = cases.read_text()
    cases.write_text(text.replace('"female"', '"F"', 1))
    # Break the quarantine side only: without its code-list rule the bad row reaches
    # valid_cases, and the committed GX suite must catch it.
    kept = [r for r in rules.ALL_RULES["cases"] if r.rule_id != "cases.victim_sex.code_list"]
    monkeypatch.setitem(rules.ALL_RULES, "cases", kept)
    result, out, _ = run_pipeline(inbox, tmp_path, out=out)
    assert not result.success or not any(
        e.asset_key.to_user_string() == "published_version" for e in result.get_asset_materialization_events()
    )
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["contract_suites"].passed
    assert checks["contract_suites"].metadata["failed_rules"].value == {"cases.victim_sex.code_list": 1}
    assert _published_state(out) == before
