"""Mapping files: schema errors name the file and key path; the sample mappings load."""

from pathlib import Path

import pytest

from pipelines.adapt.mapping import MappingError, load_mapping
from pipelines.adapt.sample import mapping_of
from tests.adapt_helpers import HEAD

REPO = Path(__file__).resolve().parents[2]
GOOD = HEAD.format(unmapped="error", encoding="auto", ambiguous="error", nonexistent="error")


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    return [line.removeprefix(f"{path}: ") for line in str(raised.value).splitlines()]


def test_the_test_mapping_and_both_sample_mappings_load(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(GOOD)
    assert load_mapping(path).tables["cases"].from_ == "crimes"
    tables = {"cases", "devices", "contacts"}
    expected = {"EASTC": tables, "WESTD": tables | {"suspect_actions", "victim_survey"}, "MIDLE": tables}
    for force, names in expected.items():
        assert set(load_mapping(mapping_of(force)).tables) == names


def test_source_system_is_one_short_line(tmp_path):
    assert problems(tmp_path, GOOD.replace('"test system"', '"test\\nsystem"')) == [
        "source_system: must be one line of text without control characters"
    ]
    assert problems(tmp_path, GOOD.replace('"test system"', '"' + "x" * 201 + '"')) == [
        "source_system: String should have at most 200 characters"
    ]


def test_an_unknown_key_is_named_with_its_path(tmp_path):
    text = GOOD.replace('case_id = { source = "Ref" }', 'case_id = { source = "Ref", sorce = "x" }')
    assert problems(tmp_path, text) == [
        "tables.cases.columns.case_id.sorce: unknown key (check the spelling against docs/adapters.md)"
    ]


def test_bad_values_name_the_key(tmp_path):
    text = GOOD.replace('ambiguous = "error"', 'ambiguous = "first"')
    text = text.replace('encoding = "auto"', 'encoding = "latin9"')
    found = problems(tmp_path, text)
    assert [p.split(": ")[0] for p in found] == ["time.ambiguous", "files.crimes.encoding"]
    assert "'earlier', 'later' or 'error'" in found[0]


def test_a_bad_format_or_regex_or_zone_is_refused(tmp_path):
    text = GOOD.replace('formats = ["%Y-%m-%d"]', 'formats = ["dd/mm/yyyy"]')
    assert problems(tmp_path, text) == [
        "tables.cases.columns.reported_date.formats.0: 'dd/mm/yyyy' is neither a strptime format nor \"excel\""
    ]
    text = GOOD.replace('case_id = { source = "Ref" }', "case_id = { source = \"Ref\", pattern = '(IC' }")
    assert problems(tmp_path, text)[0].startswith("tables.cases.columns.case_id.pattern: '(IC' is not a valid regular")
    text = GOOD.replace('timezone = "Europe/London"', 'timezone = "Europe/Londres"')
    assert problems(tmp_path, text) == ["time.timezone: 'Europe/Londres' is not a known time zone (e.g. Europe/London)"]


def test_cross_key_mistakes_are_listed_together(tmp_path):
    text = (
        GOOD.replace('from = "crimes"', 'from = "crime"')
        .replace('case_id = { source = "Ref" }', 'case_ref = { source = "Ref" }')
        .replace("[tables.contacts]\nempty = true\n", "")
    )
    assert problems(tmp_path, text) == [
        "tables.cases.from: 'crime' is not a file declared under [files]",
        "tables.cases.columns.case_ref: 'case_ref' is not a column of cases.csv",
        "tables.cases.columns: required column 'case_id' is not mapped",
        "tables: contacts is missing; map it, or write [tables.contacts] empty = true",
    ]


def test_a_date_column_needs_formats_and_a_column_needs_one_source(tmp_path):
    text = GOOD.replace('case_id = { source = "Ref" }', 'case_id = { source = "Ref" }\noffence_date = { source = "D" }')
    assert problems(tmp_path, text) == [
        'tables.cases.columns.offence_date.formats: a date column needs formats (e.g. ["%d/%m/%Y", "excel"])'
    ]
    text = GOOD.replace('case_id = { source = "Ref" }', 'case_id = { source = "Ref", value = "X" }')
    assert problems(tmp_path, text) == [
        "tables.cases.columns.case_id: give exactly one of source (column name or list of names) or value (a constant)"
    ]


def test_invalid_toml_names_the_file(tmp_path):
    assert problems(tmp_path, "source_system = \n")[0].startswith("not valid TOML: ")


def test_the_readme_example_mapping_is_a_valid_mapping(tmp_path):
    readme = (REPO / "docs" / "adapters-guide.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A full example") :]
    example = section[section.index("```toml\n") + 8 : section.index("```\n", section.index("```toml\n") + 8)]
    path = tmp_path / "mapping.toml"
    path.write_text(example, encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.manifest.extracted_at.sidecar == "run_info.txt"
    assert [r.value for r in mapping.tables["cases"].columns["offence_code"].rules] == ["19C", "19F"]


def test_value_maps_of_code_columns_must_give_contract_codes(tmp_path):
    text = GOOD.replace(
        'case_id = { source = "Ref" }',
        'case_id = { source = "Ref" }\nvictim_sex = { source = "S", values = { F = "Female", M = "male" } }\n'
        'domestic_abuse = { source = "D", values = { Y = "yes" } }',
    )
    assert problems(tmp_path, text) == [
        "tables.cases.columns.victim_sex.values.F: 'Female' is not one of female, male, other, unknown",
        "tables.cases.columns.domestic_abuse.values.Y: 'yes' is not one of true, false",
    ]


def test_discovery_skips_the_raw_area(tmp_path):
    from pipelines.extracts import find_extract_folders, find_raw_exports

    (tmp_path / "raw" / "F1" / "d").mkdir(parents=True)
    (tmp_path / "raw" / "F1" / "d" / "cases.csv").write_text("x\n")
    (tmp_path / "raw" / "F1" / "d" / "mapping.toml").write_text("")
    (tmp_path / "F2" / "d").mkdir(parents=True)
    (tmp_path / "F2" / "d" / "manifest.json").write_text("{}")
    assert find_extract_folders(tmp_path) == [tmp_path / "F2" / "d"]
    assert find_raw_exports(tmp_path) == [tmp_path / "raw" / "F1" / "d"]


def test_a_format_code_or_delimiter_no_reader_takes_is_refused_at_load(tmp_path):
    # Found by probing: both passed the mapping check, then failed the export with the reader's
    # own message (and a traceback from `flightdeck adapt --check`).
    text = GOOD.replace('formats = ["%Y-%m-%d"]', 'formats = ["%Q/%m/%Y"]')
    assert problems(tmp_path, text) == [
        "tables.cases.columns.reported_date.formats.0: '%Q/%m/%Y' is not a format the date reader "
        "knows (Unrecognized format for strftime/strptime: %Q)"
    ]
    text = GOOD.replace('path = "crimes.csv"', 'path = "crimes.csv"\ndelimiter = "\\n"')
    assert problems(tmp_path, text) == ["files.crimes.delimiter: a line break or a quote cannot separate values"]
