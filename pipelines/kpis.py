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

CATALOGUE_VERSION = "1.1"
CONTRACT_VERSION = "1.1"
KPI_SQL_DIR = Path(__file__).resolve().parents[1] / "sql" / "kpi"

PROPORTION, RATIO, MEDIAN, KM_MEDIAN, COUNT = "proportion", "ratio", "median", "km_median", "count"

# The catalogue's Breakdowns section: dimensions of the victim and case, each value a row.
BREAKDOWN_DIMENSIONS = ("offence_group", "victim_sex", "victim_age_band", "victim_ethnicity", "relationship",
                        "domestic_abuse")  # fmt: skip
# Breakdown families: the case dimensions above (items carry case_id; sql/kpi/case_breakdowns.sql,
# counted by sql/kpi/partial/proportion_by_case.sql) or the survey response's journey stage (items
# carry journey_stage; sql/kpi/breakdowns/journey_stage.sql).
CASE_BREAKDOWNS, JOURNEY_STAGE_BREAKDOWNS = "case", "journey_stage"


@dataclass(frozen=True)
class Kpi:
    """One flight deck measure. `better` is 'up', 'down' or None (no better direction).

    Kinds: proportion (numerator / denominator with a Wilson interval), ratio (a sum over a sum,
    no interval), median, km_median (Kaplan-Meier median) and count.
    """

    kpi_id: str
    title: str
    kind: str
    unit: str
    better: str | None
    section: str
    definition: str
    query: str = ""  # sql/kpi/<query>.sql when several KPIs share one query; default kpi_id
    params: tuple[tuple[str, object], ...] = ()
    breakdowns: str = ""  # "", CASE_BREAKDOWNS or JOURNEY_STAGE_BREAKDOWNS: also rows per dimension value
    settling_days: int = 0  # the catalogue's settling period P: a month is provisional until D_T > its end + P
    requires_file: str = ""  # a contract table: published only for forces whose used extract supplies it

    @property
    def sql_path(self) -> Path:
        """The query file that computes this KPI."""
        return KPI_SQL_DIR / f"{self.query or self.kpi_id}.sql"

    @property
    def aggregate_path(self) -> Path:
        """The query that turns this KPI's items into rows, shared by every KPI of its kind."""
        return KPI_SQL_DIR / "aggregate" / f"{self.kind}.sql"

    @property
    def breakdown_path(self) -> Path | None:
        """The query that repeats this KPI's items once per breakdown value, if it has breakdowns."""
        return KPI_SQL_DIR / "breakdowns" / f"{self.breakdowns}.sql" if self.breakdowns else None

    @property
    def is_proportion(self) -> bool:
        """Numerator over denominator, with a Wilson interval."""
        return self.kind == PROPORTION


KPIS: tuple[Kpi, ...] = (
    Kpi("withdrawal_rate", "Victim withdrawal rate", PROPORTION, "share of cases", "down", "Attrition",
        "Cases reported in the month whose victim has withdrawn support (as at the extract).",
        breakdowns=CASE_BREAKDOWNS, settling_days=180),
    Kpi("withdrawal_within_7d", "Withdrawals within 7 days of report", PROPORTION, "share of withdrawals",
        "down", "Attrition", "Withdrawals dated in the month that came 7 days or fewer after the report.",
        query="withdrawal_within_days", params=(("max_days", 7),)),
    Kpi("withdrawal_within_30d", "Withdrawals within 30 days of report", PROPORTION, "share of withdrawals",
        "down", "Attrition", "Withdrawals dated in the month that came 30 days or fewer after the report.",
        query="withdrawal_within_days", params=(("max_days", 30),)),
    Kpi("median_days_to_withdrawal", "Median days from report to withdrawal", MEDIAN, "days", None,
        "Attrition", "Median of withdrawal date minus report date, for withdrawals dated in the month."),
    Kpi("does_not_support_at_report_share", "Victims not supporting at report", PROPORTION,
        "share of recorded stances", None, "Attrition",
        "Cases reported in the month whose victim's stance at report is recorded: the share that did not "
        "support police action from the start."),
    Kpi("withdrawal_within_90d_of_report", "Withdrawals within 90 days of report", PROPORTION, "share of cases",
        "down", "Attrition",
        "Cases reported in the month (at least 90 days before the extract date) whose victim withdrew support "
        "no more than 90 days after the report: every month gets the same follow-up, so months compare.",
        breakdowns=CASE_BREAKDOWNS, settling_days=90),
    Kpi("outcome14_share", "Outcome 14 share", PROPORTION, "share of outcomes", "down", "Outcomes",
        "Outcomes assigned in the month that are type 14 (victim does not support; no suspect identified).",
        query="outcome_share", params=(("codes", ["14"]),)),
    Kpi("outcome15_share", "Outcome 15 share", PROPORTION, "share of outcomes", None, "Outcomes",
        "Outcomes assigned in the month that are type 15 (evidential difficulties; victim supports).",
        query="outcome_share", params=(("codes", ["15"]),)),
    Kpi("outcome16_share", "Outcome 16 share", PROPORTION, "share of outcomes", "down", "Outcomes",
        "Outcomes assigned in the month that are type 16 (victim does not support; suspect identified).",
        query="outcome_share", params=(("codes", ["16"]),), breakdowns=CASE_BREAKDOWNS),
    Kpi("outcome18_share", "Outcome 18 share", PROPORTION, "share of outcomes", "down", "Outcomes",
        "Outcomes assigned in the month that are type 18 (investigation complete; no suspect identified).",
        query="outcome_share", params=(("codes", ["18"]),)),
    Kpi("victim_withdrawal_outcome_share", "Victim-withdrawal outcomes (14 or 16)", PROPORTION,
        "share of outcomes", "down", "Outcomes", "Outcomes assigned in the month that are type 14 or 16.",
        query="outcome_share", params=(("codes", ["14", "16"]),), breakdowns=CASE_BREAKDOWNS),
    Kpi("charge_outcome_share", "Charge outcomes", PROPORTION, "share of outcomes", "up", "Outcomes",
        "Outcomes assigned in the month that are a charge or summons (type 1 or 1A).",
        query="outcome_share", params=(("codes", ["1", "1A"]),), breakdowns=CASE_BREAKDOWNS),
    Kpi("charge_rate", "Charge rate of reports", PROPORTION, "share of cases", "up", "Charges and timeliness",
        "Cases reported in the month that have been charged (outcome 1 or 1A), as at the extract.",
        breakdowns=CASE_BREAKDOWNS, settling_days=365),
    Kpi("charged_within_365d_of_report", "Charged within 365 days of report", PROPORTION, "share of cases", "up",
        "Charges and timeliness",
        "Cases reported in the month (at least 365 days before the extract date) charged (outcome 1 or 1A) no "
        "more than 365 days after the report: every month gets the same follow-up, so months compare.",
        breakdowns=CASE_BREAKDOWNS, settling_days=365),
    Kpi("charges", "Charges", COUNT, "cases", "up", "Charges and timeliness",
        "Charged cases (outcome 1 or 1A) whose outcome date is in the month; zero months included."),
    Kpi("median_days_report_to_charge", "Median days from report to charge", MEDIAN, "days", "down",
        "Charges and timeliness", "Median of outcome date minus report date, for charges dated in the month.",
        query="median_days_report_to_outcome", params=(("charged_only", True),)),
    Kpi("median_days_report_to_outcome", "Median days from report to outcome", MEDIAN, "days", "down",
        "Charges and timeliness", "Median of outcome date minus report date, for outcomes dated in the month.",
        query="median_days_report_to_outcome", params=(("charged_only", False),)),
    Kpi("cps_referrals", "CPS referrals", COUNT, "cases", "up", "Charges and timeliness",
        "Cases whose first referral to the CPS for a charging decision is dated in the month; zero months "
        "included."),
    Kpi("early_advice_median_days", "Median days to CPS early advice", MEDIAN, "days", "down",
        "Charges and timeliness",
        "Median of early advice received minus requested, for advice received in the month (with a request "
        "date)."),
    Kpi("victim_phone_request_rate", "Victim phone requests", PROPORTION, "share of cases", "down",
        "Victims' phones and suspects' devices",
        "Cases reported in the month with at least one victim device requested or taken.", settling_days=90),
    Kpi("victim_phone_consent_rate", "Victim consent to phone examination", PROPORTION, "share of requests",
        None, "Victims' phones and suspects' devices",
        "Victim devices requested in the month with consent given or refused: the share given."),
    Kpi("victim_phone_returned_24h", "Victim phones returned within 24 hours", PROPORTION,
        "share of seized phones", "up", "Victims' phones and suspects' devices",
        "Victim devices seized in the month (at least 24 hours before the extract) returned within 24 hours.",
        query="victim_phone_seizures_24h", params=(("without_phone", False),)),
    Kpi("victim_without_phone_over_24h", "Victims without a phone for over 24 hours", PROPORTION,
        "share of seized phones", "down", "Victims' phones and suspects' devices",
        "Victim devices seized in the month (at least 24 hours before the extract) neither returned nor "
        "replaced within 24 hours.",
        query="victim_phone_seizures_24h", params=(("without_phone", True),)),
    Kpi("victim_phone_median_hours_held", "Median hours a victim's phone is held", KM_MEDIAN, "hours", "down",
        "Victims' phones and suspects' devices",
        "Kaplan-Meier median of hours from seizure to return, victim devices seized in the month; "
        "phones not yet returned are censored at the extract."),
    Kpi("suspect_device_median_days_to_examination", "Median days to examine a suspect's device", KM_MEDIAN,
        "days", "down", "Victims' phones and suspects' devices",
        "Kaplan-Meier median of days (hours / 24) from seizure to completed examination, suspect devices "
        "seized in the month; devices not yet examined are censored at the extract."),
    Kpi("isva_referral_within_7d", "ISVA referral within 7 days", PROPORTION, "share of cases", "up",
        "Victim care",
        "Cases reported in the month (at least 7 days before the extract date) referred to an independent "
        "sexual violence adviser no later than 7 days after the report; a referral before the report counts."),
    Kpi("victim_updated_within_28d", "Victims updated in the last 28 days", PROPORTION, "share of open cases",
        "up", "Victim care",
        "At month end E: open cases reported at least 28 days before E whose victim had not withdrawn, with "
        "an update contact in the 28 days to E."),
    Kpi("repeat_suspect_share", "Cases with a repeat suspect", PROPORTION, "share of cases with a suspect",
        None, "Suspects",
        "Cases reported in the month with a suspect identified whose suspect is on at least two valid cases "
        "of the same force (any dates).", settling_days=365),
    Kpi("suspect_arrest_within_30d", "Suspects arrested or interviewed within 30 days", PROPORTION,
        "share of cases with a suspect", "up", "Disrupting suspects",
        "Cases reported in the month (at least 30 days before the extract date) with a suspect identified, "
        "whose suspect was arrested or voluntarily interviewed no more than 30 days after the report (an "
        "action before the report counts).",
        settling_days=30, requires_file="suspect_actions"),
    Kpi("breach_arrest_share", "Breaches met with arrest or charge", PROPORTION, "share of breaches", "up",
        "Disrupting suspects",
        "Breaches of pre-charge bail or of an order dated in the month whose response was an arrest or a "
        "charge (a blank response counts as unknown).",
        settling_days=30, requires_file="suspect_actions"),
    Kpi("protection_orders_applied", "Protection orders applied for", COUNT, "orders", "up",
        "Disrupting suspects", "Applications for a protection order dated in the month; zero months included.",
        query="protection_orders", params=(("action", "order_applied"),), requires_file="suspect_actions"),
    Kpi("protection_orders_granted", "Protection orders granted", COUNT, "orders", "up", "Disrupting suspects",
        "Protection orders granted in the month; zero months included.",
        query="protection_orders", params=(("action", "order_granted"),), requires_file="suspect_actions"),
    Kpi("s63g_application_share", "Section 63G applications after no further action", PROPORTION,
        "share of outcomes", "up", "Disrupting suspects",
        "Outcomes 15 or 16 dated in the month on cases with a suspect identified, where an application was "
        "made (at any date) under section 63G of PACE to keep the uncharged suspect's DNA and fingerprints.",
        settling_days=90, requires_file="suspect_actions"),
    *(
        Kpi(f"pj_{item}", title, PROPORTION, "share of answers", "up", "Victim voice",
            f"Victim survey responses dated in the month or the two months before that answer '{statement}': "
            "the share who agree or strongly agree (4 or 5 of 5).",
            query="survey_agreement", params=(("item", item),), breakdowns=JOURNEY_STAGE_BREAKDOWNS,
            requires_file="victim_survey")
        for item, title, statement in (
            ("treated_with_respect", "Victims treated with respect", "I was treated with respect"),
            ("treated_fairly", "Victims treated fairly", "I was treated fairly"),
            ("listened_to", "Victims listened to", "I was listened to"),
            ("kept_informed", "Victims kept informed", "I was kept informed"),
            ("felt_believed", "Victims who felt believed", "I felt believed"),
            ("would_recommend_reporting", "Victims who would encourage others to report",
             "I would encourage others to report"),
        )
    ),
    Kpi("open_cases_per_investigator", "Open cases per investigator", RATIO, "cases per officer", "down",
        "Workforce",
        "At month end E: open cases with an officer in charge, divided by the distinct officers in charge of "
        "open cases.", query="officer_open_cases"),
    Kpi("investigators_over_15_cases", "Investigators holding more than 15 cases", PROPORTION,
        "share of officers", "down", "Workforce",
        "At month end E: officers in charge of open cases who hold more than 15 of them.",
        query="officer_open_cases"),
    Kpi("sickness_rate", "Sickness rate", RATIO, "share of contracted days", "down", "Workforce",
        "Sickness days over contracted days of RASSO officers in the month (only where workforce.csv is "
        "supplied)."),
    Kpi("unaccredited_share", "Investigators not accredited", PROPORTION, "share of officers", "down",
        "Workforce",
        "Officers in the month's workforce who are not fully accredited specialist investigators (only where "
        "workforce.csv is supplied)."),
    *(
        Kpi(f"completeness_{field}", f"Completeness: {field.replace('_', ' ')}", PROPORTION,
            "share of cases", "up", "Data quality",
            f"Cases reported in the month{' with a suspect identified' if field.startswith('suspect_') else ''}"
            f" whose {field.replace('_', ' ')} is recorded"
            f"{'' if field.endswith('_age') else ' and not unknown'}.",
            query="completeness", params=(("field", field),))
        for field in ("victim_age", "victim_sex", "victim_ethnicity", "relationship", "suspect_age",
                      "suspect_sex", "suspect_ethnicity")
    ),
)  # fmt: skip

KPIS_BY_ID = {k.kpi_id: k for k in KPIS}
