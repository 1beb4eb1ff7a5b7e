"""The Great Expectations quality gate.

Suites in `expectations/` are generated from the contract rules (`pipelines.rules`) and
committed as JSON; `flightdeck expectations` rewrites them and a test fails if the
committed files differ. The gate runs each suite with GX on pandas batches of a valid
table, one chunk at a time: chunks are cut by a hash of the table's key, so every copy of
a key lands in the same chunk and uniqueness is still checked exactly, and memory stays
bounded by the chunk size however big the table is.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines.contract import TABLES, Table
from pipelines.rules import ALL_RULES, case_has_column

EXPECTATIONS_DIR = Path(__file__).resolve().parents[1] / "expectations"
CHUNK_ROWS = 200_000


def suite_name(table: Table) -> str:
    """The suite's name, also the name of its blocking asset check."""
    return f"{table.name}_contract"


def suite_path(table: Table) -> Path:
    """Where the suite's JSON is committed."""
    return EXPECTATIONS_DIR / f"{suite_name(table)}.json"


def build_suite(table: Table) -> dict:
    """The GX suite of one table, as the JSON document committed in expectations/."""
    return {
        "name": suite_name(table),
        "meta": {
            "generated_by": "flightdeck expectations (from pipelines/contract.py)",
            "table": f"valid_{table.name}",
        },
        "expectations": [r.expectation for r in ALL_RULES[table.name] if r.expectation],
    }


def suite_text(table: Table) -> str:
    """The suite file's exact text."""
    return json.dumps(build_suite(table), indent=2, sort_keys=True) + "\n"


def write_suites() -> list[Path]:
    """Regenerate every suite file from the contract."""
    EXPECTATIONS_DIR.mkdir(exist_ok=True)
    paths = []
    for table in TABLES:
        suite_path(table).write_text(suite_text(table), encoding="utf-8")
        paths.append(suite_path(table))
    return paths


@lru_cache(maxsize=1)
def _gx():
    """One ephemeral GX context with a pandas data source (GX is slow to import)."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # they swamp the run log
    source = context.data_sources.add_pandas("flightdeck")
    batch_definition = source.add_dataframe_asset("chunk").add_batch_definition_whole_dataframe("whole")
    return gx, batch_definition


def load_suite(table: Table):
    """The committed suite as a GX ExpectationSuite; fails if GX dropped any expectation."""
    gx, _ = _gx()
    document = json.loads(suite_path(table).read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**document)
    if len(suite.expectations) != len(document["expectations"]):
        raise ValueError(
            f"{suite_path(table)}: GX loaded {len(suite.expectations)} of "
            f"{len(document['expectations'])} expectations; check their types and arguments"
        )
    return suite


def gate_view_sql(table: Table, rows: str | None = None, valid_cases: str = "valid_cases") -> str:
    """The rows GX sees: a valid table plus the columns some rules compare against.

    `has_valid_case` is null where case_id is blank, as in the quarantine SQL: a blank
    case_id breaks the required rule, not the reference rule. `case_has_<column>` (for the
    case columns the table requires, e.g. a suspect action's suspect_id) is null where there
    is no valid case, which breaks the reference rule instead.
    """
    rows = rows or f"valid_{table.name}"
    if table.case_reference:
        case_columns = "".join(f", {c}" for c in table.case_must_have)
        must_have = "".join(
            f",\n                case when parent.case_id is not null then parent.{c} is not null end "
            f"as {case_has_column(c)}"
            for c in table.case_must_have
        )
        return f"""
            select
                child.*,
                case when child.case_id is not null then parent.case_id is not null end as has_valid_case{must_have}
            from {rows} as child
            left join (select force_code, case_id{case_columns} from {valid_cases}) as parent
                on parent.force_code = child.force_code and parent.case_id = child.case_id
        """
    return f"select * from {rows}"


@dataclass
class GateResult:
    """What the suite found on one table, summed over chunks."""

    table: str
    rows: int = 0
    chunks: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list] = field(default_factory=dict)
    expectations: int = 0

    @property
    def success(self) -> bool:
        """True when no expectation failed in any chunk."""
        return not self.failures


def run_gate(con, table: Table, chunk_rows: int = CHUNK_ROWS, log=None) -> GateResult:
    """Validate `valid_<table>` against its suite, chunk by chunk."""
    _, batch_definition = _gx()
    suite = load_suite(table)
    result = GateResult(table.name, expectations=len(suite.expectations))
    result.rows = con.execute(f"select count(*) from valid_{table.name}").fetchone()[0]
    result.chunks = max(1, math.ceil(result.rows / chunk_rows))
    # One pass assigns every row its chunk. Hashing the key keeps every copy of a key in one
    # chunk, so uniqueness is checked exactly; keyless tables are simply dealt out in turn.
    chunk_of = f"hash({', '.join(('force_code', *table.key))})" if table.key else "row_number() over ()"
    con.execute(
        f"""
        create or replace temp table gate_rows as
        select *, {chunk_of} % $chunks as gate_chunk from ({gate_view_sql(table)})
        order by gate_chunk
        """,
        {"chunks": result.chunks},
    )
    for chunk in range(result.chunks):
        frame = con.execute(
            "select * exclude (gate_chunk) from gate_rows where gate_chunk = $chunk", {"chunk": chunk}
        ).df()
        if log:
            log(f"validate: valid_{table.name}: GX chunk {chunk + 1}/{result.chunks} ({len(frame):,} rows)")
        if frame.empty:
            continue
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(suite, result_format="SUMMARY")
        for item in outcome.results:
            if item.success:
                continue
            rule_id = item.expectation_config.meta.get("rule_id", item.expectation_config.type)
            failed_rows = max(item.result.get("unexpected_count") or 0, 1)  # an error counts once
            result.failures[rule_id] = result.failures.get(rule_id, 0) + failed_rows
            examples = result.examples.setdefault(rule_id, [])
            if (item.exception_info or {}).get("raised_exception"):
                examples.append(item.exception_info.get("exception_message"))
            examples.extend(item.result.get("partial_unexpected_list", [])[: 5 - len(examples)])
    con.execute("drop table gate_rows")
    return result
