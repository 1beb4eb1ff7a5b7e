"""The documentation matches the code: generated sections are current, every KPI is listed, every
link between the README and docs/ leads somewhere, and the README's layout names real files."""

import re
from pathlib import Path

import pytest

from pipelines.docs import SECTIONS, render
from pipelines.kpis import KPIS

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("name", list(SECTIONS))
def test_generated_sections_are_current(name):
    path = SECTIONS[name][0]
    text = path.read_text(encoding="utf-8")
    assert render(name, text) == text, "run `.venv/bin/flightdeck docs`"


def test_every_kpi_is_in_the_kpi_reference():
    text = (REPO / "docs" / "kpis.md").read_text(encoding="utf-8")
    assert all(f"| `{k.kpi_id}` |" in text for k in KPIS)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_link_leads_to_a_file_and_heading_that_exist(document):
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        path = (document.parent / file).resolve() if file else document
        assert path.exists(), f"{document.name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{document.name}: {target}"


def test_the_readme_layout_names_files_that_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Repository layout") :]
    layout = layout[layout.index("```\n") + 4 : layout.index("```", layout.index("```\n") + 4)]
    folder = None
    for line in layout.splitlines():
        if line[:1].strip():
            folder = line.split()[0].rstrip("/")
            assert (REPO / folder).exists(), folder
        for name in re.findall(r"\b([a-z_-]+\.(?:py|sql|md|yaml|json|toml))\b", line):
            if folder in ("pipelines", "assets", "sql", "docs"):
                found = list((REPO / folder).rglob(name))
                assert found, f"{folder}/.../{name}"
