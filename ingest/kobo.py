"""KoBoToolbox exports of the TPML surveys: bytes to a typed frame, one row per submission.

The column contract is built from the questionnaire (contracts/kobo_questionnaires.yml):
"group/name" headers become `name`, a select_multiple's "group/name/choice" 0/1 columns
become `name_choice`, and a select_one's answer must be one of its choices. Country and cycle
come from the file name. The sensitisation survey's repeat group ("activites" sheet) is
returned as the related table `activities`, linked by `parent_index`.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from ingest.contracts import _DIR, Column, Contract, DeliveryRejected, load_contract, read_yaml
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.tabular import read_table
from ingest.typed import parse_related, parse_rows, split_duplicates

FEED = "kobo"


@cache
def questionnaires() -> dict:
    return read_yaml(_DIR / "kobo_questionnaires.yml")


def question_columns(form: dict, survey: list[dict], prefix: str | None = None) -> list[Column]:
    """Contract columns of a questionnaire's questions (header = the KoBo export's path)."""
    columns = []
    for q in survey:
        group = prefix if prefix is not None else q.get("group")
        path = f"{group}/{q['name']}" if group else q["name"]
        kind = q["type"].split()[0]
        base = {
            "header": path,
            "name": q["name"],
            "required": False,
            "description": q.get("label", ""),
        }
        if kind == "select_one":
            choices = form["choices"][q["type"].split()[1]]
            columns.append(Column(type="code", codes={c: [] for c in choices}, **base))
        elif kind == "select_multiple":
            columns.append(Column(type="string", **base))
            for choice in form["choices"][q["type"].split()[1]]:
                columns.append(
                    Column(
                        header=f"{path}/{choice}",
                        name=f"{q['name']}_{choice}",
                        type="int",
                        required=False,
                        min=0,
                        max=1,
                    )
                )
        else:
            pii = ("name" if "nom" in q["name"] else "phone") if q.get("pii") else None
            columns.append(Column(type="int" if kind == "integer" else "string", pii=pii, **base))
    return columns


@cache
def survey_contract(survey: str) -> Contract:
    base = load_contract(FEED)
    form = questionnaires()[survey]
    meta = base.columns
    return base.with_columns((*meta[:2], *question_columns(form, form["survey"]), *meta[2:]))


@cache
def repeat_contract(survey: str) -> Contract:
    base = load_contract(FEED)
    form = questionnaires()[survey]
    links = base.with_columns(base.raw["repeat_columns"]).columns
    return base.with_columns(
        (*question_columns(form, form["repeat"]["survey"], "activites"), *links)
    )


def bronze_tables() -> dict[str, list[Contract]]:
    """Every questionnaire's submissions share the main table; the repeat groups' rows are
    `activities`."""
    forms = questionnaires()
    return {
        MAIN: [survey_contract(survey) for survey in forms],
        "activities": [repeat_contract(s) for s, form in forms.items() if "repeat" in form],
    }


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    base = load_contract(FEED)
    match = base.file_pattern.match(file_name)
    if not match:
        raise DeliveryRejected(file_name, f"file name does not match {base.file_pattern.pattern!r}")
    survey, country, cycle = (
        match.group("survey"),
        match.group("country"),
        int(match.group("cycle")),
    )
    form = questionnaires()[survey]
    contract = survey_contract(survey)
    try:
        table = read_table(content, file_name, form["form_id"])
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    good, bad = parse_rows(table.frame, contract, file_name, table.headers)
    good, bad = split_duplicates(good, bad, "uuid")
    extra = [pl.lit(country).alias("country"), pl.lit(cycle).alias("cycle")]
    related = {}
    if "repeat" in form and file_name.lower().endswith(".xlsx"):
        sub = repeat_contract(survey)
        typed, problems = parse_related(content, file_name, form["repeat"]["name"], sub)
        related["activities"] = typed.with_columns(extra)
        related["activities_quarantine"] = problems
    return ParsedDelivery(good.with_columns(extra), bad, table.frame.height, table.sheet, related)
