"""KoBoToolbox exports of the TPML surveys: bytes to a typed frame, one row per submission.

The column contract is built from the questionnaire, an XLSForm workbook per deployed version
(contracts/xlsforms/, read by ingest.xlsform): "group/name" headers become `name`, a
select_multiple's "group/name/choice" 0/1 columns become `name_choice`, and a select_one's
answer must be one of its choices. The form's own `country` question and `cycle` calculation
say where and when a submission was collected. The sensitisation survey's repeat group (its
XLSX sheet is the repeat's name) is returned as the related table `activities`, linked by
`parent_index` to its submission, whose country and cycle it takes.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from ingest.contracts import _DIR, Column, Contract, DeliveryRejected, load_contract
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.tabular import read_table
from ingest.typed import parse_related, parse_rows, split_duplicates
from ingest.xlsform import Form, Question, Questionnaire, questionnaires_in

FEED = "kobo"
#: XLSForm metadata types: the contract's own columns (start, end) or not exported.
METADATA_TYPES = {
    "start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit",
    "simserial", "subscriberid", "start-geopoint", "background-audio",
}  # fmt: skip
READER_TYPES = {"string": pl.String, "int32": pl.Int32}


@cache
def questionnaires() -> dict[str, Questionnaire]:
    """Survey name (returnee, sensitisation) -> its questionnaire, as the contract names them."""
    contract = load_contract(FEED)
    found = questionnaires_in(_DIR / contract.raw["xlsforms"])
    out = {}
    for survey, form_id in contract.raw["forms"].items():
        if form_id not in found:
            raise ValueError(f"kobo.yml: form {form_id!r} ({survey}) has no XLSForm workbook")
        out[survey] = found[form_id]
    return out


def lifted() -> dict[str, str]:
    """Questions the reader moves to the end of a row, with their bronze type (`country`,
    `cycle`): they say where and when, and every table of a delivery has them."""
    return dict(load_contract(FEED).raw["reader_columns"])


def cycle_of(version: Form) -> str:
    """The survey cycle a form version collects: its `cycle` calculation (a constant)."""
    cycle = version.question("cycle")
    if cycle is None or not cycle.calculation:
        raise ValueError(f"{version.source}: the form has no `cycle` calculation")
    return cycle.calculation.strip("'\" ")


def question_columns(form: Questionnaire, questions: list[Question]) -> list[Column]:
    """Contract columns of a questionnaire's questions (header = the KoBo export's path)."""
    columns = []
    for q in questions:
        if q.type in METADATA_TYPES:
            continue
        base = {
            "header": q.path,
            "name": q.name,
            "required": False,
            # country and cycle are described where every feed's are (the glossary).
            "description": "" if q.name in lifted() else q.label("fr"),
        }
        if q.type == "select_one" and q.list_name:
            choices = form.choices(q.list_name)
            columns.append(Column(type="code", codes={c.name: [] for c in choices}, **base))
        elif q.type == "select_multiple" and q.list_name:
            columns.append(Column(type="string", **base))
            for choice in form.choices(q.list_name):
                columns.append(
                    Column(
                        header=f"{q.path}/{choice.name}",
                        name=f"{q.name}_{choice.name}",
                        type="int",
                        required=False,
                        min=0,
                        max=1,
                    )
                )
        else:
            whole = q.type == "integer" or lifted().get(q.name) == "int32"
            columns.append(Column(type="int" if whole else "string", pii=q.pii, **base))
    return columns


@cache
def survey_contract(survey: str) -> Contract:
    base = load_contract(FEED)
    form = questionnaires()[survey]
    meta = base.columns
    return base.with_columns((*meta[:2], *question_columns(form, form.questions()), *meta[2:]))


@cache
def repeat_contract(survey: str, repeat: str) -> Contract:
    base = load_contract(FEED)
    form = questionnaires()[survey]
    links = base.with_columns(base.raw["repeat_columns"]).columns
    return base.with_columns((*question_columns(form, form.questions(repeat)), *links))


def bronze_tables() -> dict[str, list[Contract]]:
    """Every questionnaire's submissions share the main table; the repeat groups' rows are
    `activities`."""
    forms = questionnaires()
    return {
        MAIN: [survey_contract(survey) for survey in forms],
        "activities": [
            repeat_contract(survey, repeat)
            for survey, form in forms.items()
            for repeat in form.repeats()
        ],
    }


def _lift(frame: pl.DataFrame) -> pl.DataFrame:
    """`country` and `cycle` at the end of the row, in their bronze types."""
    kinds = lifted()
    return frame.select(
        pl.exclude(list(kinds)),
        *(pl.col(n).cast(READER_TYPES[k], strict=False).alias(n) for n, k in kinds.items()),
    )


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    base = load_contract(FEED)
    match = base.file_pattern.match(file_name)
    if not match:
        raise DeliveryRejected(file_name, f"file name does not match {base.file_pattern.pattern!r}")
    survey = match.group("survey")
    form = questionnaires()[survey]
    contract = survey_contract(survey)
    try:
        table = read_table(content, file_name, form.latest.form_id)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    good, bad = parse_rows(table.frame, contract, file_name, table.headers)
    good, bad = split_duplicates(good, bad, "uuid")
    good = _lift(good)
    related = {}
    if file_name.lower().endswith(".xlsx"):
        for repeat in form.repeats():
            sub = repeat_contract(survey, repeat)
            typed, problems = parse_related(content, file_name, repeat, sub)
            parents = good.select(pl.col("row_index").alias("parent_index"), *lifted()).unique(
                "parent_index", keep="first"
            )
            related["activities"] = typed.join(parents, on="parent_index", how="left")
            related["activities_quarantine"] = problems
    return ParsedDelivery(good, bad, table.frame.height, table.sheet, related)
