"""The canonical extract contract v1.1, declared once.

Every column, type, code list, range, key, ordering rule and reference here drives the
staging casts, the quarantine rules, the Great Expectations suites and the data
dictionary. Change a rule here and all of them follow.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_MAJOR = "1"

SEX_CODES = ("female", "male", "other", "unknown")
ETHNICITY_CODES = ("white", "black", "asian", "mixed", "other", "unknown")
RELATIONSHIP_CODES = ("intimate", "family", "acquaintance", "stranger", "other", "unknown")
SUPPORT_CODES = ("supports", "does_not_support", "unknown")
OUTCOME_CODES = (
    "1", "1A", "2", "2A", "3", "3A",
    *(str(n) for n in range(4, 19)),
    "20", "21", "22",
)  # fmt: skip
OWNER_CODES = ("victim", "suspect", "other")
CONSENT_CODES = ("given", "refused", "not_required", "unknown")
CONTACT_TYPE_CODES = ("update", "needs_assessment", "nfa_explained", "other")
SUSPECT_ACTION_CODES = (
    "arrest", "voluntary_interview", "pre_charge_bail", "released_under_investigation", "bail_breach",
    "order_applied", "order_granted", "order_breach", "s63g_applied", "s63g_granted",
)  # fmt: skip
ORDER_TYPE_CODES = ("shpo", "sro", "restraining", "non_molestation", "dapo", "stalking", "other")
BREACH_RESPONSE_CODES = ("arrested", "charged", "warning", "no_further_action", "unknown")
JOURNEY_STAGE_CODES = ("reporting", "investigation", "outcome")
SURVEY_ITEMS = (
    "treated_with_respect", "treated_fairly", "listened_to", "kept_informed", "felt_believed",
    "would_recommend_reporting",
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One contract column: its type decides parsing; the rest are row rules."""

    name: str
    type: str  # string | code | date | timestamp | integer | number | boolean | month
    required: bool = False
    codes: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_exclusive: bool = False


@dataclass(frozen=True)
class Order:
    """`earlier` must not be after `later` whenever both are present."""

    earlier: str
    later: str


@dataclass(frozen=True)
class RequiredWhen:
    """`column` must not be blank on a row whose `when_column` is one of `values`."""

    column: str
    when_column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One CSV file of an extract."""

    name: str
    columns: tuple[Column, ...]
    required_file: bool = True
    key: tuple[str, ...] = ()
    orders: tuple[Order, ...] = ()
    both_or_neither: tuple[tuple[str, str], ...] = ()
    not_above: tuple[tuple[str, str], ...] = ()  # (a, b): a <= b when both present
    case_reference: bool = False  # case_id must be a valid case of the same extract
    case_must_have: tuple[str, ...] = ()  # columns that referenced valid case must have filled in
    required_when: tuple[RequiredWhen, ...] = ()
    month_column: str | None = None  # a YYYY-MM column, judged against T like a date
    description: str = ""

    @property
    def file_name(self) -> str:
        """The CSV file's name in an extract folder."""
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every contract column, in contract order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be in the header and never blank."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """One column by name."""
        return next(c for c in self.columns if c.name == name)


def _age(name: str) -> Column:
    return Column(name, "integer", min_value=0, max_value=120)


CASES = Table(
    name="cases",
    description="One row per recorded RASSO crime (one victim).",
    columns=(
        Column("case_id", "string", required=True),
        Column("offence_code", "string", required=True),
        Column("reported_date", "date", required=True),
        Column("offence_date", "date"),
        _age("victim_age"),
        Column("victim_sex", "code", codes=SEX_CODES),
        Column("victim_ethnicity", "code", codes=ETHNICITY_CODES),
        Column("suspect_id", "string"),
        _age("suspect_age"),
        Column("suspect_sex", "code", codes=SEX_CODES),
        Column("suspect_ethnicity", "code", codes=ETHNICITY_CODES),
        Column("relationship", "code", codes=RELATIONSHIP_CODES),
        Column("domestic_abuse", "boolean"),
        Column("third_party_report", "boolean"),
        Column("officer_id", "string"),
        Column("victim_support_at_report", "code", codes=SUPPORT_CODES),
        Column("victim_withdrawal_date", "date"),
        Column("isva_referral_date", "date"),
        Column("early_advice_requested_date", "date"),
        Column("early_advice_received_date", "date"),
        Column("cps_referral_date", "date"),
        Column("outcome_code", "code", codes=OUTCOME_CODES),
        Column("outcome_date", "date"),
    ),
    key=("case_id",),
    orders=(
        Order("offence_date", "reported_date"),
        Order("reported_date", "victim_withdrawal_date"),
        Order("early_advice_requested_date", "early_advice_received_date"),
        Order("reported_date", "outcome_date"),
    ),
    both_or_neither=(("outcome_code", "outcome_date"),),
)

DEVICES = Table(
    name="devices",
    description="One row per digital device requested or taken.",
    columns=(
        Column("device_id", "string", required=True),
        Column("case_id", "string", required=True),
        Column("owner", "code", required=True, codes=OWNER_CODES),
        Column("requested_date", "date"),
        Column("consent", "code", codes=CONSENT_CODES),
        Column("seized_at", "timestamp"),
        Column("returned_at", "timestamp"),
        Column("replacement_at", "timestamp"),
        Column("examined_at", "timestamp"),
    ),
    key=("device_id",),
    orders=(Order("seized_at", "returned_at"), Order("seized_at", "examined_at")),
    case_reference=True,
)

CONTACTS = Table(
    name="contacts",
    description="One row per recorded contact with the victim (no key: identical rows are valid).",
    columns=(
        Column("case_id", "string", required=True),
        Column("contact_date", "date", required=True),
        Column("contact_type", "code", required=True, codes=CONTACT_TYPE_CODES),
    ),
    case_reference=True,
)

WORKFORCE = Table(
    name="workforce",
    description="One row per officer per month in RASSO teams (optional file).",
    required_file=False,
    columns=(
        Column("officer_id", "string", required=True),
        Column("month", "month", required=True),
        Column("accredited", "boolean", required=True),
        Column("contracted_days", "number", required=True, min_value=0, min_exclusive=True),
        Column("sickness_days", "number", required=True, min_value=0),
    ),
    key=("officer_id", "month"),
    not_above=(("sickness_days", "contracted_days"),),
    month_column="month",
)

ORDER_ACTIONS = ("order_applied", "order_granted", "order_breach")  # actions about a protection order
BREACH_ACTIONS = ("bail_breach", "order_breach")

SUSPECT_ACTIONS = Table(
    name="suspect_actions",
    description="One row per recorded action about a case's suspect (optional file; no key: identical rows "
    "are valid).",
    required_file=False,
    columns=(
        Column("case_id", "string", required=True),
        Column("action", "code", required=True, codes=SUSPECT_ACTION_CODES),
        Column("action_date", "date", required=True),
        Column("order_type", "code", codes=ORDER_TYPE_CODES),
        Column("breach_response", "code", codes=BREACH_RESPONSE_CODES),
    ),
    case_reference=True,
    case_must_have=("suspect_id",),  # an action about a case's suspect needs a case with a suspect
    required_when=(RequiredWhen("order_type", "action", ORDER_ACTIONS),),
)

VICTIM_SURVEY = Table(
    name="victim_survey",
    description="One row per anonymous victim survey response (optional file; never linked to a case).",
    required_file=False,
    columns=(
        Column("response_id", "string", required=True),
        Column("response_date", "date", required=True),
        Column("journey_stage", "code", required=True, codes=JOURNEY_STAGE_CODES),
        *(Column(item, "integer", min_value=1, max_value=5) for item in SURVEY_ITEMS),
    ),
    key=("response_id",),
)

TABLES: tuple[Table, ...] = (CASES, DEVICES, CONTACTS, WORKFORCE, SUSPECT_ACTIONS, VICTIM_SURVEY)
TABLES_BY_NAME = {t.name: t for t in TABLES}

# Column names that look like direct identifiers; matched against the words of a header
# (split on anything that is not a letter or digit), so `officer_id` passes and
# `victim_postcode` does not.
IDENTIFIER_WORDS = frozenset(
    {
        "name", "names", "forename", "forenames", "surname", "firstname", "lastname",
        "fullname", "dob", "birthdate", "birthday", "address", "street", "postcode",
        "zipcode", "telephone", "tel", "phonenumber", "mobilenumber", "email",
        "emailaddress", "dateofbirth", "nhs", "nhsnumber", "pnc", "urn", "crn", "crimeref",
        "crimereference", "crimenumber",
    }
)  # fmt: skip
IDENTIFIER_PHRASES = (
    ("date", "of", "birth"),
    ("birth", "date"),
    ("post", "code"),
    ("e", "mail"),
    ("crime", "ref"),
    ("crime", "reference"),
    ("crime", "number"),
    ("crime", "no"),
    ("first", "name"),
    ("last", "name"),
    ("given", "name"),
    ("phone", "number"),
    ("phone", "no"),
    ("mobile", "number"),
    ("mobile", "no"),
)
