"""Round trip: canonical extracts written in each raw style and adapted back give exactly
the KPIs of the canonical form; a raw export that cannot be mapped is rejected with its
reasons while the other forces are published."""

import shutil
from pathlib import Path

import duckdb

from pipelines.adapt.sample import SAMPLE_FORCES, STYLES
from pipelines.synth import write_inbox
from tests.conftest import latest_kpis, query, run_pipeline

RAW_SAMPLES = Path(__file__).resolve().parents[2] / "data" / "sample" / "inbox" / "raw"


def _instants_in_the_repeated_hour(folder: Path) -> int:
    """Device timestamps in the autumn repeated hour: naive local time cannot tell them apart."""
    return duckdb.sql(
        f"""
        select count(*) from read_csv('{folder}/devices.csv', all_varchar = true) as d,
        unnest([seized_at, returned_at, replacement_at, examined_at]) as u(stamp)
        where stamp is not null and timezone('Europe/London', stamp::timestamptz)
            = timezone('Europe/London', stamp::timestamptz - interval 1 hour)
        """
    ).fetchone()[0]


def test_raw_styles_adapt_back_to_identical_kpis(tmp_path):
    canonical_inbox, raw_inbox = tmp_path / "canonical", tmp_path / "raw-inbox"
    folders = write_inbox(tmp_path / "synth", forces=4, years=1, seed=12, cases_per_force_year=120)
    for force, index in SAMPLE_FORCES.items():
        folder = folders[index]
        # A naive local time in the repeated autumn hour is read as its earlier instant, so
        # the round trip is exact only without instants in the later one.
        assert _instants_in_the_repeated_hour(folder) == 0
        shutil.copytree(folder, canonical_inbox / force / folder.name)
        # The raw styles carry no workforce file, nor (yet) contract v1.1's optional files, so
        # neither does the canonical side.
        for name in ("workforce.csv", "suspect_actions.csv", "victim_survey.csv"):
            (canonical_inbox / force / folder.name / name).unlink(missing_ok=True)
        raw = raw_inbox / "raw" / force / folder.name
        STYLES[force](folder, raw)
        shutil.copy(RAW_SAMPLES / force / "2026-10-31" / "mapping.toml", raw / "mapping.toml")

    result, out_canonical, _ = run_pipeline(canonical_inbox, tmp_path / "a")
    assert result.success
    result, out_raw, warehouse = run_pipeline(raw_inbox, tmp_path / "b")
    assert result.success
    assert query(warehouse, "select extract_id, status from extract_verdicts order by all") == [
        ("raw/EASTC/2026-10-31", "used"), ("raw/WESTD/2026-10-31", "used"),
    ]  # fmt: skip
    canonical, adapted = latest_kpis(out_canonical), latest_kpis(out_raw)
    assert len(canonical) > 300 and {force for force, _, _ in canonical} == {"EASTC", "WESTD", "ALL"}
    assert adapted == canonical
    # Every row, breakdowns included, is the same.
    assert _every_kpi_row(out_raw) == _every_kpi_row(out_canonical)


def _every_kpi_row(out: Path) -> list[tuple]:
    version = out / "versions" / next(p.name for p in (out / "versions").iterdir())
    return duckdb.sql(f"select * from read_parquet('{version}/kpi_monthly.parquet') order by all").fetchall()


def test_an_unmappable_raw_export_is_rejected_and_the_others_are_published(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox, forces=1, years=1, seed=5, cases_per_force_year=60)
    shutil.copytree(RAW_SAMPLES, inbox / "raw")
    crimes = next((inbox / "raw" / "WESTD").rglob("*_crimes.csv"))
    lines = crimes.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",F,", ",Woman,", 1)
    assert ",Woman," in lines[3]
    crimes.write_text("".join(lines), encoding="utf-8")
    before = {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()}

    result, out, warehouse = run_pipeline(inbox, tmp_path)
    assert result.success
    verdicts = query(warehouse, "select extract_id, force_code, status, reasons from extract_verdicts order by all")
    assert [v[:3] for v in verdicts] == [
        ("NORTHA/2026-10-31", "NORTHA", "used"),
        ("raw/EASTC/2026-10-31", "EASTC", "used"),
        ("raw/WESTD/2026-10-31", "WESTD", "rejected"),
    ]
    assert verdicts[2][3] == [
        f"raw/WESTD/2026-10-31: not adapted: {crimes.name}: line 4: column 'Victim Gender' (cases.victim_sex): "
        f"value 'Woman' is not covered by the mapping (1 rows, lines 4); add it to tables.cases.columns.victim_sex "
        'or set unmapped = "unknown"'
    ]
    adapted = tmp_path / "adapted" / "WESTD" / "2026-10-31"
    assert sorted(p.name for p in adapted.iterdir()) == ["adapt_report.json", "adapt_report.md"]
    assert "'Woman' x1 (unmapped), lines 4" in (adapted / "adapt_report.md").read_text()
    assert {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()} == before  # inputs only read
    assert {force for force, _, _ in latest_kpis(out)} == {"NORTHA", "EASTC", "ALL"}
