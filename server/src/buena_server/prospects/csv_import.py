"""A prospect list uploaded as CSV (POST /prospect-lists/import): its header mapped to the
prospect's fields as ``buena leads import`` maps a spreadsheet's (sdk/src/buena_sdk/cli/
mapping.py: compared without case, spaces or punctuation, "First Name", "E-mail",
"LinkedIn Profile URL"...); other columns are left out, as are empty cells."""

from __future__ import annotations

import csv
import io
import re

from buena_server.errors import ValidationFailed
from buena_server.prospects.schemas import MAX_PROSPECTS

# The lead import's spellings of the prospect's fields (after _normalise).
_ALIASES = {
    "first_name": ("firstname", "first", "givenname", "forename", "fname"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "email": ("email", "emailaddress", "mail", "workemail", "businessemail"),
    "company": ("company", "companyname", "organization", "organisation", "employer"),
    "linkedin_url": ("linkedinurl", "linkedin", "linkedinprofile", "linkedinprofileurl"),
    "job_title": ("jobtitle", "title", "position", "role"),
}
_BY_ALIAS = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def prospects_from_csv(text: str) -> list[dict[str, str]]:
    """Each data row as a prospect's fields (its non-empty mapped cells), in order; blank
    rows skipped; a row longer or shorter than the header gives the cells it has. 422
    beyond ``MAX_PROSPECTS`` rows, for a NUL anywhere, or for text the csv module
    refuses."""
    if "\x00" in text:  # as no text field takes NUL (PostgreSQL cannot store it)
        raise _invalid("The CSV file must not contain NUL characters")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None) or []
        targets = [_BY_ALIAS.get(_normalise(name)) for name in header]
        rows: list[dict[str, str]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) == MAX_PROSPECTS:
                raise _invalid(f"At most {MAX_PROSPECTS} prospects (data rows) a list")
            rows.append(
                {
                    target: cell
                    for target, cell in zip(targets, row, strict=False)
                    if target and cell.strip()
                }
            )
    except csv.Error as exc:
        raise _invalid(f"Not readable as CSV: {exc}") from None
    return rows


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"errors": [{"field": "body", "message": message}]})
