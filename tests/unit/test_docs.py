"""The README's generated sections match the registry and contract."""

from pipelines.docs import README, render
from pipelines.kpis import KPIS


def test_readme_generated_sections_are_current():
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "run `.venv/bin/flightdeck docs`"


def test_readme_lists_every_kpi():
    text = README.read_text(encoding="utf-8")
    assert all(f"| `{k.kpi_id}` |" in text for k in KPIS)
