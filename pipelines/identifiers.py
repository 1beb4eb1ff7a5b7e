"""Column names that look like direct identifiers (contract v1.1, "What bad input gets").

A name is split into words after normalising case, separators and digits (`VictimDOB` ->
victim dob, `NI_Number` -> ni number, `Email1` -> email), abbreviations are expanded (`no`,
`num`, `nr` -> number; `tel`, `mob` -> phone) and the words are matched against the kinds of
direct identifier the contract names: a name, date of birth, address, postcode, phone number,
email, NHS number, National Insurance number, PNC or crime reference number. Contract columns
(`officer_id`, `suspect_id`, ...) never match.
"""

from __future__ import annotations

import re
from functools import lru_cache

CAMEL_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
ABBREVIATIONS = {
    "no": "number", "num": "number", "nr": "number", "nbr": "number", "tel": "phone", "telephone": "phone",
    "mob": "mobile", "addr": "address", "dob": "dateofbirth", "nino": "ninumber", "ref": "reference",
    "e": "e",
}  # fmt: skip
# Whole words (after joining compounds) that are identifiers on their own.
IDENTIFIER_WORDS = frozenset(
    {
        "name", "names", "forename", "forenames", "surname", "firstname", "lastname", "fullname", "givenname",
        "middlename", "maidenname", "dateofbirth", "birthdate", "birthday", "address", "street", "postcode",
        "zipcode", "email", "emailaddress", "nhsnumber", "ninumber", "pnc", "pncid", "pncnumber", "urn",
        "crn", "crimereference", "crimenumber", "phonenumber", "mobilenumber", "mobilephone",
    }
)  # fmt: skip
# Word sequences that are identifiers (matched anywhere in the name).
IDENTIFIER_PHRASES = (
    ("date", "of", "birth"), ("birth", "date"), ("post", "code"), ("e", "mail"), ("crime", "reference"),
    ("crime", "number"), ("first", "name"), ("last", "name"), ("given", "name"), ("phone", "number"),
    ("mobile", "number"), ("mobile", "phone"), ("nhs", "number"), ("ni", "number"),
    ("national", "insurance"), ("pnc", "id"), ("pnc", "number"), ("home", "phone"), ("work", "phone"),
    ("contact", "number"), ("crime", "ref"),
)  # fmt: skip
# `phone` or `mobile` as the last word is a number (MobilePhone, victim_phone); followed by other
# words it usually describes the device (phone_seized), which the devices table is about.
TRAILING_IDENTIFIERS = frozenset({"phone", "mobile", "nhs"})
# Words before `name` that make it the name of a thing rather than of a person.
THING_NAMES = frozenset(
    {"offence", "crime", "file", "force", "system", "source", "team", "unit", "station", "outcome", "type",
     "stage", "code", "column", "table", "sheet", "action", "order", "device", "role", "rank"}
)  # fmt: skip


def words_of(column: str) -> tuple[str, ...]:
    """The normalised words of a column name."""
    words = []
    for part in re.split(r"[^A-Za-z0-9]+", column):
        for word in CAMEL_WORDS.findall(part):
            word = word.lower()
            if word.isdigit():
                continue  # Email1, address_line_2: the number only counts copies
            words.append(ABBREVIATIONS.get(word, word))
    return tuple(words)


@lru_cache(maxsize=4096)  # the same few dozen headers come back in every extract of an inbox
def identifier_like(column: str) -> bool:
    """Does a column name look like a direct identifier (name, date of birth, phone, ...)?"""
    words = words_of(column)
    if not words:
        return False
    if "".join(words) in IDENTIFIER_WORDS:
        return True
    for index, word in enumerate(words):
        if word in ("name", "names") and index > 0 and words[index - 1] in THING_NAMES:
            continue
        if word in IDENTIFIER_WORDS:
            return True
    if words[-1] in TRAILING_IDENTIFIERS:
        return True
    return any(
        words[i : i + len(phrase)] == phrase
        for phrase in IDENTIFIER_PHRASES
        for i in range(len(words) - len(phrase) + 1)
    )
