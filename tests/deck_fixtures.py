"""Small warehouses for the flight deck tests, with the views exactly as catalogue v1.1's Views
section defines their columns (kpi_export with `provisional`, kpi_spc, kpi_funnel), written by hand.

Two forces (F1, F2) and ALL over 14 months (2025-09 to 2026-10), three KPIs of the registry
(withdrawal_rate: a proportion; median_days_to_withdrawal: a median; charges: a count) and, for F1
and ALL only, sickness_rate (a ratio) so that a KPI without rows for a force is absent from its page.
Figures chosen to be found (or not) in the output:
- F1 withdrawal_rate 2026-03 has denominator 4: suppressed; its hidden value is 0.4321 (43.2%);
- F2's funnel row has denominator 6 (< 10): suppressed; its hidden value is 0.5678 (56.8%);
- the last two months (2026-09, 2026-10) of withdrawal_rate are provisional for every series;
- F1 withdrawal_rate's latest settled month (2026-08) is a concern (outside_limits);
- F2 withdrawal_rate 2026-09 is provisional in kpi_export but, inconsistently, says concern in kpi_spc:
  the deck must still show it as provisional with no signal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from pipelines.kpis import KPIS

MONTHS = [date(2025 + (8 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(14)]  # 2025-09 .. 2026-10
HIDDEN_SUPPRESSED = 0.4321
HIDDEN_FUNNEL = 0.5678
CHOSEN = ("withdrawal_rate", "median_days_to_withdrawal", "charges", "sickness_rate")


def catalogue_rows(extra: list[tuple] = ()) -> list[tuple]:
    """kpi_catalogue rows from the registry (every KPI), plus any extra (id, title, kind, unit, better, section)."""
    rows = [(k.kpi_id, k.title, k.kind, k.unit, k.better, k.section, k.definition, i) for i, k in enumerate(KPIS, 1)]
    for n, (kpi_id, title, kind, unit, better, section) in enumerate(extra, start=len(rows) + 1):
        rows.append((kpi_id, title, kind, unit, better, section, f"{title} (added later).", n))
    return rows


def _series(force: str, kpi_id: str) -> list[dict]:
    """Monthly rows of one force and KPI, as kpi_monthly would hold them (full numbers)."""
    rows = []
    for i, period in enumerate(MONTHS):
        provisional = kpi_id == "withdrawal_rate" and i >= 12
        if kpi_id == "withdrawal_rate":
            denominator = 4.0 if (force == "F1" and period == date(2026, 3, 1)) else 40.0 + i
            numerator = round(denominator * (0.60 + 0.01 * (i % 3)))
            value = HIDDEN_SUPPRESSED if denominator == 4.0 else numerator / denominator
            if force == "F1" and period == date(2026, 8, 1):
                numerator, value = 39.0, 39.0 / denominator
        elif kpi_id == "median_days_to_withdrawal":
            numerator, denominator, value = None, 3.0, 20.0 + i
        elif kpi_id == "charges":
            numerator, denominator, value = float(i % 4), None, float(i % 4)
        else:
            numerator, denominator, value = 30.0 + i, 600.0, (30.0 + i) / 600.0
        ci = (max(0.0, value - 0.1), min(1.0, value + 0.1)) if kpi_id == "withdrawal_rate" else (None, None)
        rows.append({"force_code": force, "period": period, "kpi_id": kpi_id, "breakdown": "all",
                     "numerator": numerator, "denominator": denominator, "value": value, "ci_low": ci[0],
                     "ci_high": ci[1], "provisional": provisional})  # fmt: skip
    return rows


def build(con=None, min_denominator: int = 10, extra_kpis: list[tuple] = (), with_v11: bool = True):
    """A DuckDB connection holding kpi_catalogue, kpi_export, kpi_spc, kpi_funnel, attrition_curve and
    extract_verdicts. With with_v11=False the views lack v1.1's columns and kpi_funnel (a warehouse
    from before catalogue v1.1)."""
    con = con or duckdb.connect()
    con.execute(
        "create table kpi_catalogue (kpi_id varchar, title varchar, kind varchar, unit varchar, better varchar, "
        "section varchar, definition varchar, position integer)"
    )
    catalogue = catalogue_rows(extra_kpis)
    con.executemany("insert into kpi_catalogue values (?, ?, ?, ?, ?, ?, ?, ?)", catalogue)
    meta = {r[0]: r for r in catalogue}
    monthly = []
    for force in ("ALL", "F1", "F2"):
        for kpi_id in [*CHOSEN, *(e[0] for e in extra_kpis)]:
            if kpi_id == "sickness_rate" and force == "F2":
                continue
            source = kpi_id if kpi_id in CHOSEN else "withdrawal_rate"
            monthly += [{**r, "kpi_id": kpi_id} for r in _series(force, source)]
    con.execute(
        "create table kpi_export (force_code varchar, period date, section varchar, kpi_id varchar, title varchar, "
        "unit varchar, breakdown varchar, numerator double, denominator double, value double, ci_low double, "
        "ci_high double, status varchar" + (", provisional boolean)" if with_v11 else ")")
    )
    for r in monthly:
        kind = meta[r["kpi_id"]][2]
        hidden = kind == "proportion" and r["denominator"] < min_denominator
        numbers = [None] * 5 if hidden else [r["numerator"], r["denominator"], r["value"], r["ci_low"], r["ci_high"]]
        row = [r["force_code"], r["period"], meta[r["kpi_id"]][5], r["kpi_id"], meta[r["kpi_id"]][1],
               meta[r["kpi_id"]][3], "all", *numbers, "suppressed" if hidden else "published"]  # fmt: skip
        if with_v11:
            row.append(r["provisional"])
        con.execute(f"insert into kpi_export values ({', '.join('?' * len(row))})", row)
    # A breakdown row, which the pages never chart but the workbook must hold.
    con.execute(
        "insert into kpi_export select force_code, period, section, kpi_id, title, unit, 'victim_sex=female', "
        "numerator, denominator, value, ci_low, ci_high, status" + (", provisional" if with_v11 else "")
        + " from kpi_export where kpi_id = 'withdrawal_rate' and force_code = 'ALL'"
    )
    spc_columns = "force_code varchar, kpi_id varchar, period date, value double, centre double, " \
                  "upper_limit double, lower_limit double, rules varchar, signal varchar"
    con.execute(f"create table kpi_spc ({spc_columns}{', provisional boolean' if with_v11 else ''})")
    for r in monthly:
        settled = not r["provisional"]
        signal, rules = ("common_cause", None) if settled else ("provisional", None)
        if r["force_code"] == "F1" and r["kpi_id"] == "withdrawal_rate" and r["period"] == date(2026, 8, 1):
            signal, rules = "concern", "outside_limits"
        if r["force_code"] == "F2" and r["kpi_id"] == "withdrawal_rate" and r["period"] == date(2026, 9, 1):
            signal, rules = "concern", "outside_limits"  # inconsistent on purpose: the month is provisional
        limits = (0.61, 0.70, 0.52) if settled and r["kpi_id"] == "withdrawal_rate" else (None, None, None)
        if r["kpi_id"] != "withdrawal_rate":
            signal = "too_few_points"
        row = [r["force_code"], r["kpi_id"], r["period"], r["value"], *limits, rules, signal]
        if with_v11:
            row.append(r["provisional"])
        con.execute(f"insert into kpi_spc values ({', '.join('?' * len(row))})", row)
    if with_v11:
        con.execute(
            "create table kpi_funnel (kpi_id varchar, force_code varchar, window_from date, window_to date, "
            "numerator double, denominator double, value double, national_value double, lower_95 double, "
            "upper_95 double, lower_99_8 double, upper_99_8 double, position varchar, signal varchar)"
        )
        con.executemany(
            "insert into kpi_funnel values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("withdrawal_rate", "F1", date(2025, 9, 1), date(2026, 8, 1), 300, 500, 0.6, 0.6, 0.557, 0.643,
                 0.532, 0.668, "within", "within_limits"),
                ("withdrawal_rate", "F2", date(2025, 9, 1), date(2026, 8, 1), 3.4068, 6, HIDDEN_FUNNEL, 0.6, 0.208,
                 0.992, 0.0, 1.0, "within", "within_limits"),
            ],
        )  # fmt: skip
    con.execute(
        "create table attrition_curve (force_code varchar, report_quarter date, day integer, cases bigint, "
        "at_risk bigint, withdrawals_to_date bigint, withdrawn_share double)"
    )
    con.execute(
        """
        insert into attrition_curve
        select force_code, report_quarter, day, cases,
               greatest(cases - day // 10, 0) as at_risk, day // 20 as withdrawals_to_date,
               if(day <= 300, day / 1000.0, null) as withdrawn_share
        from (values ('ALL'), ('F1'), ('F2')) as f(force_code),
             (values (date '2025-10-01'), (date '2026-01-01'), (date '2026-04-01'), (date '2026-07-01'),
                     (date '2025-07-01')) as q(report_quarter),
             range(0, 366) as d(day),
             (select 60 as cases)
        """
    )
    con.execute("update attrition_curve set cases = 5 where force_code = 'F2' and report_quarter = '2026-07-01'")
    con.execute(
        "create table extract_verdicts (extract_id varchar, path varchar, force_code varchar, "
        "extracted_at timestamptz, extract_date date, status varchar)"
    )
    for force in ("F1", "F2"):
        con.execute(
            "insert into extract_verdicts values (?, ?, ?, ?, ?, 'used')",
            [f"{force}/2026-10-31", f"{force}/2026-10-31", force, datetime(2026, 10, 31, 23, tzinfo=UTC),
             date(2026, 10, 31)],
        )  # fmt: skip
    return con
