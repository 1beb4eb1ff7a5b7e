"""The KPI registry: every KPI's id and metadata, declared once.

SQL assets, the kpi_monthly assembly, the exports and the README's KPI table all read this
list, so a KPI id is typed only here (and in its query file's name). A KPI is two queries:
its items query `sql/kpi/<query>.sql` says which records are in the denominator (or are
counted, or measured) and in which month; `sql/kpi/items_in_range.sql` keeps the items
inside their force's published months; the aggregate query of its kind
(`sql/kpi/aggregate/<kind>.sql`) applies the catalogue's common rules the same way for
every KPI: pooling into `ALL`, medians, Kaplan-Meier, zero months.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CATALOGUE_VERSION = "1"
CONTRACT_VERSION = "1"
KPI_SQL_DIR = Path(__file__).resolve().parents[1] / "sql" / "kpi"

PROPORTION, MEDIAN, KM_MEDIAN, COUNT = "proportion", "median", "km_median", "count"


@dataclass(frozen=True)
class Kpi:
    """One flight deck measure. `better` is 'up', 'down' or None (no better direction)."""

    kpi_id: str
    title: str
    kind: str
    unit: str
    better: str | None
    section: str
    definition: str
    query: str = ""  # sql/kpi/<query>.sql when several KPIs share one query; default kpi_id
    params: tuple[tuple[str, object], ...] = ()

    @property
    def sql_path(self) -> Path:
        """The query file that computes this KPI."""
        return KPI_SQL_DIR / f"{self.query or self.kpi_id}.sql"

    @property
    def aggregate_path(self) -> Path:
        """The query that turns this KPI's items into rows, shared by every KPI of its kind."""
        return KPI_SQL_DIR / "aggregate" / f"{self.kind}.sql"

    @property
    def is_proportion(self) -> bool:
        """Numerator over denominator, with a Wilson interval."""
        return self.kind == PROPORTION


KPIS: tuple[Kpi, ...] = (
    Kpi("withdrawal_rate", "Victim withdrawal rate", PROPORTION, "share of cases", "down", "Attrition",
        "Cases reported in the month whose victim has withdrawn support (as at the extract)."),
    Kpi("withdrawal_within_7d", "Withdrawals within 7 days of report", PROPORTION, "share of withdrawals",
        "down", "Attrition", "Withdrawals dated in the month that came 7 days or fewer after the report.",
        query="withdrawal_within_days", params=(("max_days", 7),)),
    Kpi("withdrawal_within_30d", "Withdrawals within 30 days of report", PROPORTION, "share of withdrawals",
        "down", "Attrition", "Withdrawals dated in the month that came 30 days or fewer after the report.",
        query="withdrawal_within_days", params=(("max_days", 30),)),
    Kpi("median_days_to_withdrawal", "Median days from report to withdrawal", MEDIAN, "days", None,
        "Attrition", "Median of withdrawal date minus report date, for withdrawals dated in the month."),
    Kpi("outcome14_share", "Outcome 14 share", PROPORTION, "share of outcomes", "down", "Outcomes",
        "Outcomes assigned in the month that are type 14 (victim does not support; no suspect identified).",
        query="outcome_share", params=(("codes", ["14"]),)),
    Kpi("outcome15_share", "Outcome 15 share", PROPORTION, "share of outcomes", None, "Outcomes",
        "Outcomes assigned in the month that are type 15 (evidential difficulties; victim supports).",
        query="outcome_share", params=(("codes", ["15"]),)),
    Kpi("outcome16_share", "Outcome 16 share", PROPORTION, "share of outcomes", "down", "Outcomes",
        "Outcomes assigned in the month that are type 16 (victim does not support; suspect identified).",
        query="outcome_share", params=(("codes", ["16"]),)),
    Kpi("outcome18_share", "Outcome 18 share", PROPORTION, "share of outcomes", "down", "Outcomes",
        "Outcomes assigned in the month that are type 18 (investigation complete; no suspect identified).",
        query="outcome_share", params=(("codes", ["18"]),)),
    Kpi("victim_withdrawal_outcome_share", "Victim-withdrawal outcomes (14 or 16)", PROPORTION,
        "share of outcomes", "down", "Outcomes", "Outcomes assigned in the month that are type 14 or 16.",
        query="outcome_share", params=(("codes", ["14", "16"]),)),
    Kpi("charge_outcome_share", "Charge outcomes", PROPORTION, "share of outcomes", "up", "Outcomes",
        "Outcomes assigned in the month that are a charge or summons (type 1 or 1A).",
        query="outcome_share", params=(("codes", ["1", "1A"]),)),
    Kpi("charge_rate", "Charge rate of reports", PROPORTION, "share of cases", "up", "Charges and timeliness",
        "Cases reported in the month that have been charged (outcome 1 or 1A), as at the extract."),
    Kpi("charges", "Charges", COUNT, "cases", "up", "Charges and timeliness",
        "Charged cases (outcome 1 or 1A) whose outcome date is in the month; zero months included."),
    Kpi("median_days_report_to_charge", "Median days from report to charge", MEDIAN, "days", "down",
        "Charges and timeliness", "Median of outcome date minus report date, for charges dated in the month.",
        query="median_days_report_to_outcome", params=(("charged_only", True),)),
    Kpi("median_days_report_to_outcome", "Median days from report to outcome", MEDIAN, "days", "down",
        "Charges and timeliness", "Median of outcome date minus report date, for outcomes dated in the month.",
        query="median_days_report_to_outcome", params=(("charged_only", False),)),
    Kpi("victim_phone_request_rate", "Victim phone requests", PROPORTION, "share of cases", "down",
        "Victims' phones", "Cases reported in the month with at least one victim device requested or taken."),
    Kpi("victim_phone_consent_rate", "Victim consent to phone examination", PROPORTION, "share of requests",
        None, "Victims' phones",
        "Victim devices requested in the month with consent given or refused: the share given."),
    Kpi("victim_phone_returned_24h", "Victim phones returned within 24 hours", PROPORTION,
        "share of seized phones", "up", "Victims' phones",
        "Victim devices seized in the month (at least 24 hours before the extract) returned within 24 hours.",
        query="victim_phone_seizures_24h", params=(("without_phone", False),)),
    Kpi("victim_without_phone_over_24h", "Victims without a phone for over 24 hours", PROPORTION,
        "share of seized phones", "down", "Victims' phones",
        "Victim devices seized in the month (at least 24 hours before the extract) neither returned nor "
        "replaced within 24 hours.",
        query="victim_phone_seizures_24h", params=(("without_phone", True),)),
    Kpi("victim_phone_median_hours_held", "Median hours a victim's phone is held", KM_MEDIAN, "hours", "down",
        "Victims' phones",
        "Kaplan-Meier median of hours from seizure to return, victim devices seized in the month; "
        "phones not yet returned are censored at the extract."),
)  # fmt: skip

KPIS_BY_ID = {k.kpi_id: k for k in KPIS}
