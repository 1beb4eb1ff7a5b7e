"""The ratio queries (per force, sql/kpi/partial/ratio.sql; then ALL, sql/kpi/rollup/sums.sql) give
the same bytes whatever DuckDB's thread count: floating-point sums depend on the order they add
up in, and parallel aggregates combine per-thread partial sums in whatever order the threads
finish."""

from __future__ import annotations

import duckdb

from pipelines.warehouse import run_sql_file


def test_ratio_sums_do_not_depend_on_thread_order(tmp_path):
    # Sickness-like parts with fractions over nine orders of magnitude: 40 forces x 3 breakdowns x
    # 24 months x 40 items, in a hashed (shuffled) order, stored in row groups of 2,048 rows so
    # that each group's items are spread over many row groups and 16 threads read them. A plain
    # sum() gives different last digits from run to run here; the ordered sums must not.
    con = duckdb.connect()
    con.execute(f"attach '{tmp_path / 'small_groups.duckdb'}' as small (row_group_size 2048)")
    con.execute("use small")
    con.execute("set threads = 1")
    con.execute(
        """
        create table kpi_items as
        select
            'F' || f.range as force_code,
            'b' || b.range as breakdown,
            date '2023-01-01' + to_months(m.range::integer) as period,
            (hash(f.range, b.range, m.range, i.range) % 1000003) / 1000003.0
            * pow(10, (hash(i.range, m.range, b.range, f.range) % 10)::integer - 3) as numerator_part,
            1.0 + (hash(i.range, f.range) % 97) / 7.0 as denominator_part
        from range(40) as f, range(3) as b, range(24) as m, range(40) as i
        order by hash(f.range * 10000000 + b.range * 100000 + m.range * 100 + i.range)
        """
    )
    results = []
    for threads in (1, 16, 16, 16):
        con.execute(f"set threads = {threads}")
        run_sql_file(con, "kpi/partial/ratio.sql", create_table="ratio_partials")
        con.execute("create or replace table kpi_sum_partials as select 'r' as kpi_id, 'ratio' as kind, * "
                    "from ratio_partials")  # fmt: skip
        run_sql_file(con, "kpi/rollup/sums.sql", create_table="ratio_rows")
        results.append(con.execute("select * from ratio_rows order by force_code, breakdown, period").fetchall())
    assert len(results[0]) == (40 + 1) * 3 * 24
    assert all(result == results[0] for result in results[1:])
