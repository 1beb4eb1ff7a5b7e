"""Committed artefacts match the code that generates them."""

import filecmp
import json
from pathlib import Path

from pipelines.adapt.sample import write_raw_samples
from pipelines.contract import TABLES
from pipelines.quality import load_suite, suite_path, suite_text
from pipelines.rules import ALL_RULES
from pipelines.synth import write_inbox

REPO = Path(__file__).resolve().parents[2]


def test_committed_suites_are_generated_from_the_contract():
    for table in TABLES:
        assert suite_path(table).read_text() == suite_text(table), f"run `make expectations` ({table.name})"


def test_gx_loads_every_expectation_in_each_suite():
    for table in TABLES:
        document = json.loads(suite_path(table).read_text())
        assert len(load_suite(table).expectations) == len(document["expectations"])
        assert {e["meta"]["rule_id"] for e in document["expectations"]} == {
            r.rule_id for r in ALL_RULES[table.name] if r.expectation
        }


def test_regenerating_the_sample_gives_the_same_files(tmp_path):
    write_inbox(tmp_path / "inbox")
    assert len(write_raw_samples(tmp_path / "inbox" / "raw")) == 2
    # The raw exports' mapping files are written by hand, not generated.
    comparison = filecmp.dircmp(REPO / "data" / "sample" / "inbox", tmp_path / "inbox", ignore=["mapping.toml"])
    assert sorted(p.parent.name for p in (REPO / "data" / "sample" / "inbox" / "raw").rglob("mapping.toml")) == [
        "2026-10-31", "2026-10-31",
    ]  # fmt: skip

    def identical(c):
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        assert not (c.left_only or c.right_only or mismatch or errors), c.left
        for sub in c.subdirs.values():
            identical(sub)

    identical(comparison)
