"""docs/adapters.md documents every key of the mapping-file schema, and nothing else; the
adapter guide (docs/adapters-guide.md) links to it and its TOML examples are valid TOML."""

import re
import tomllib
import typing
from pathlib import Path

from pydantic import BaseModel

from pipelines.adapt.mapping import Mapping
from tests.adapt_helpers import adapt_folder, read_table

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "adapters.md"


def _models(model: type[BaseModel], found: dict) -> dict:
    """Every schema model reachable from `model`, through unions, lists, dicts and Annotated."""
    found[model.__name__] = model
    stack = [f.annotation for f in model.model_fields.values()]
    while stack:
        annotation = stack.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ not in found:
                _models(annotation, found)
        else:
            stack.extend(typing.get_args(annotation))
    return found


def _documented() -> dict[str, set[str]]:
    """{model name: keys in the first column of the table after its `<!-- keys: ... -->` marker}."""
    text = DOC.read_text(encoding="utf-8")
    documented = {}
    for marker in re.finditer(r"<!-- keys: (\w+) -->\n((?:\|.*\n)+)", text):
        rows = marker.group(2).splitlines()[2:]  # skip the header and the rule
        documented[marker.group(1)] = {re.match(r"\| `([^`]+)`", row).group(1) for row in rows}
    return documented


def test_every_key_of_the_schema_is_documented_and_every_documented_key_exists():
    models = _models(Mapping, {})
    documented = _documented()
    assert set(documented) == set(models)
    for name, model in models.items():
        keys = {f.alias or key for key, f in model.model_fields.items()}
        assert documented[name] == keys, name


def test_the_schema_walk_sees_the_nested_models():
    # A guard for the test above: a walk that missed unions or lists would pass too easily.
    assert {"ColumnPick", "JoinKey", "UnpivotSpec", "OnlyRule", "Rule", "ManifestFact"} <= set(_models(Mapping, {}))


def test_the_readme_guide_links_the_reference_and_its_examples_are_valid_toml():
    readme = (REPO / "docs" / "adapters-guide.md").read_text(encoding="utf-8")
    start = readme.index("# Force adapters: writing a mapping file")
    section = readme[start:]
    assert "docs/adapters.md" in section
    blocks = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 7  # the full example and one per worked example
    for block in blocks:
        tomllib.loads(block)


def _example(number: int) -> tuple[str, str]:
    """(raw lines, TOML) of the README's worked example `number`."""
    readme = (REPO / "docs" / "adapters-guide.md").read_text(encoding="utf-8")
    start = readme.index(f"**{number}. ")
    text = readme[start : readme.index(f"**{number + 1}. ", start)]
    raw = re.search(r"```\n(.*?)```", text, flags=re.S).group(1)
    toml = re.search(r"```toml\n(.*?)```", text, flags=re.S).group(1)
    return raw, toml


def test_the_readme_repeated_header_example_reads_what_it_says(tmp_path):
    raw, toml = _example(1)
    mapping = (
        '[files.crimes]\npath = "crimes.csv"\n[tables.cases]\nfrom = "crimes"\n' + toml
        + 'case_id = { source = "Crime No" }\noffence_code = { value = "19C" }\n'
        'reported_date = { value = "2026-01-01", formats = "%Y-%m-%d" }\n'
        "[tables.devices]\nempty = true\n[tables.contacts]\nempty = true\n"
    )  # fmt: skip
    report, out = adapt_folder(tmp_path, mapping, {"crimes.csv": raw})
    assert report.ok, report.problems
    row = read_table(out, "cases")[0]
    picked = [row[k] for k in ("victim_sex", "victim_age", "suspect_sex", "suspect_age")]
    assert picked == ["female", "34", "male", "40"]


def test_the_readme_contact_count_example_gives_the_four_contacts_it_says(tmp_path):
    raw, toml = _example(2)
    mapping = (
        '[files.crimes]\npath = "crimes.csv"\n[files.contact_log]\npath = "contact_log.csv"\n'
        '[tables.cases]\nfrom = "crimes"\n[tables.cases.columns]\ncase_id = { source = "Crime No" }\n'
        'offence_code = { value = "19C" }\nreported_date = { value = "2026-01-01", formats = "%Y-%m-%d" }\n'
        "[tables.devices]\nempty = true\n" + toml
    )
    report, out = adapt_folder(tmp_path, mapping, {"crimes.csv": "Crime No\nC1\n", "contact_log.csv": raw})
    assert report.ok, report.problems
    assert [(r["contact_date"], r["contact_type"]) for r in read_table(out, "contacts")] == [
        ("2026-02-01", "update"), ("2026-02-01", "update"),
        ("2026-02-03", "needs_assessment"), ("2026-02-03", "nfa_explained"),
    ]  # fmt: skip
