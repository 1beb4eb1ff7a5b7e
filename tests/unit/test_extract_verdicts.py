"""The reject threshold and the choice of extract, on the verdict query alone."""

import duckdb
import pytest

from pipelines.warehouse import run_sql_file


def verdicts(threshold: float, quarantined: int, read: int) -> dict:
    con = duckdb.connect()
    con.execute(
        """
        create table extract_inventory as
        select * from (values
            ('F/old', 'p', 'FFF', timestamptz '2026-06-01 00:00:00+00', date '2026-06-01', '1.0', null, []::varchar[]),
            ('F/new', 'p', 'FFF', timestamptz '2026-06-02 00:00:00+00', date '2026-06-02', '1.0', null, []::varchar[])
        ) as t(extract_id, path, force_code, extracted_at, extract_date, schema_version, source_system, problems)
        """
    )
    con.execute("create table stage_problems (extract_id varchar, table_name varchar, problem varchar)")
    con.execute(
        """
        create view screened_rows as
        select 'cases' as table_name, 'F/new' as extract_id, i as line_number,
            case when i < $quarantined then ['x'] else []::varchar[] end as reasons
        from range($read) as r(i)
        union all
        select 'cases', 'F/old', 1, []::varchar[]
        """.replace("$quarantined", str(quarantined)).replace("$read", str(read))
    )
    run_sql_file(con, "validate/extract_table_counts.sql", create_table="extract_table_counts")
    run_sql_file(con, "validate/extract_verdicts.sql", {"threshold": threshold})
    return dict(con.execute("select extract_id, status from extract_verdicts").fetchall())


@pytest.mark.parametrize(
    "threshold, quarantined, read, newest",
    [
        (0.05, 1, 20, "used"),  # exactly 5%: not more than 5%
        (0.05, 2, 20, "rejected"),
        (0.29, 29, 100, "used"),  # 0.29 * 100 is 28.999999999999996 in floating point
        (0.29, 30, 100, "rejected"),
        (0.0, 0, 0, "used"),  # an empty table quarantines nothing
    ],
)
def test_threshold_is_a_share_not_more_than(threshold, quarantined, read, newest):
    result = verdicts(threshold, quarantined, read)
    assert result["F/new"] == newest
    assert result["F/old"] == ("superseded" if newest == "used" else "used")
