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

import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache

import polars as pl

from ingest import extras
from ingest.contracts import _DIR, Column, Contract, DeliveryRejected, load_contract
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.kobo_layout import GEO_PARTS, Layout, decode_multiple, resolve, split_column
from ingest.tabular import SOURCE_ROW, RawTable, read_table
from ingest.typed import parse_rows, split_duplicates, utc_offset, workbook_sheets
from ingest.xlsform import METADATA_TYPES, Form, Question, Questionnaire, questionnaires_in

FEED = "kobo"
READER_TYPES = {"string": pl.String, "int32": pl.Int32}
#: A repeat sheet's copies of its submission's metadata (kpi's `_submission__id`, ...): the
#: submission's own row holds them; only `_submission__uuid`, the link, is read.
COPIED_FROM_SUBMISSION = re.compile(r"^_submission_(?!_uuid$)")


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
    raw = load_contract(FEED).raw
    return {name: raw["reader_columns"][name] for name in raw["form_columns"]}


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
                        name=split_column(q, choice.name, form),
                        type="int",
                        required=False,
                        min=0,
                        max=1,
                    )
                )
        elif q.type == "geopoint":
            # The raw "lat lon altitude precision", then each part as KoBo splits it.
            columns.append(Column(type="string", **base))
            columns += [
                Column(
                    header=f"{q.path}/_{part}",
                    name=f"{q.name}_{part}",
                    type="decimal",
                    required=False,
                )
                for part in GEO_PARTS
            ]
        else:
            whole = q.type == "integer" or lifted().get(q.name) == "int32"
            kind = "int" if whole else "decimal" if q.type == "decimal" else "string"
            columns.append(Column(type=kind, pii=q.pii, **base))
    return columns


def form_contract(form: Questionnaire, repeat: str | None = None) -> Contract:
    """The contract of a form's submissions (or of one repeat's rows): kpi's metadata and
    the questions of every version."""
    base = load_contract(FEED)
    questions = question_columns(form, form.questions(repeat))
    if repeat is not None:
        links = base.with_columns(base.raw["repeat_columns"]).columns
        return base.with_columns((*questions, *links))
    meta = base.columns
    return base.with_columns((*meta[:2], *questions, *meta[2:]))


@cache
def survey_contract(survey: str) -> Contract:
    return form_contract(questionnaires()[survey])


@cache
def repeat_contract(survey: str, repeat: str) -> Contract:
    return form_contract(questionnaires()[survey], repeat)


#: The bronze tables, known without compiling the questionnaires (the code location lists
#: them at import; the ingest step compiles the forms).
BRONZE_TABLES = (extras.TABLE, MAIN, "activities")


def bronze_tables() -> dict[str, list[Contract]]:
    """Every questionnaire's submissions share the main table; the repeat groups' rows are
    `activities`; the cells of undeclared columns are `extras`."""
    forms = questionnaires()
    base = load_contract(FEED)
    extra, main, activities = BRONZE_TABLES
    return {
        extra: [extras.contract(base)],
        main: [survey_contract(survey) for survey in forms],
        activities: [
            repeat_contract(survey, repeat)
            for survey, form in forms.items()
            for repeat in form.repeats()
        ],
    }


def _lift(frame: pl.DataFrame) -> pl.DataFrame:
    """The reader's columns at the end of the row, in their bronze types: `country` and
    `cycle` (questions of the form), then the offsets the time stamps were written with."""
    kinds = {
        n: k for n, k in load_contract(FEED).raw["reader_columns"].items() if n in frame.columns
    }
    return frame.select(
        pl.exclude(list(kinds)),
        *(pl.col(n).cast(READER_TYPES[k], strict=False).alias(n) for n, k in kinds.items()),
    )


def _without_tag_rows(table: RawTable) -> RawTable:
    """The sheet without the tag rows under its header (kpi's HXL row: every filled cell a
    `#tag`): header rows, not submissions, so neither read nor counted."""
    values = [c for c in table.frame.columns if c != SOURCE_ROW]
    count = 0
    for row in table.frame.head(3).select(values).iter_rows():
        filled = [str(v).strip() for v in row if v is not None and str(v).strip()]
        if not filled or not all(v.startswith("#") for v in filled):
            break
        count += 1
    return replace(table, frame=table.frame.slice(count)) if count else table


def canonical(
    table: RawTable, form: Questionnaire, contract: Contract, repeat: str | None = None
) -> tuple[pl.DataFrame, Layout, pl.DataFrame]:
    """A sheet as the contract's headers, whatever export options wrote it.

    Returns the frame (question columns under their group paths, codes for values, the
    select_multiple summary and 0/1 columns both present), the layout found, and the cells
    of the columns no version of the form declares (long: header, value, row)."""
    frame = table.frame
    layout = resolve(form, table.headers, repeat)
    by_name = {c.name: c for c in contract.columns}
    by_header = {alias: c for c in contract.columns for alias in c.aliases}
    cells = [c for c in frame.columns if c != SOURCE_ROW]
    picked: dict[str, pl.Expr] = {}
    extras_at: list[int] = []
    for position in layout.unmatched:
        header = table.headers[position]
        column = by_header.get(header)
        if column is not None and column.header not in picked:
            picked[column.header] = pl.col(cells[position])
        elif not COPIED_FROM_SUBMISSION.match(header):
            extras_at.append(position)
    for position, value in layout.columns.items():
        column = by_name.get(value.name)
        if column is None or column.header in picked:
            extras_at.append(position)
            continue
        expr = pl.col(cells[position])
        if layout.spelling.language is not None and value.choice is None:
            codes = layout.labels_to_codes(value.question, form)
            if value.question.type == "select_one" and codes:
                expr = expr.str.strip_chars().replace(codes)
            elif value.question.type == "select_multiple" and codes:
                expr = expr.map_elements(
                    lambda text, codes=codes: " ".join(decode_multiple(text, codes) or [text]),
                    return_dtype=pl.String,
                )
        picked[column.header] = expr
    out = frame.select(*(e.alias(h) for h, e in picked.items()), SOURCE_ROW)
    out = _both_multiple_forms(out, form, form.questions(repeat))
    extra = extras.cells(frame, table.headers, sorted(extras_at), table.sheet)
    return out, layout, extra


def _both_multiple_forms(
    frame: pl.DataFrame, form: Questionnaire, questions: list[Question]
) -> pl.DataFrame:
    """A select_multiple as both its summary (codes, space-separated) and its 0/1 columns,
    whichever of the two the export wrote (kpi's `multiple_select`: both, summary, details).
    Not asked: every one of them blank."""
    added = []
    for q in questions:
        if q.type != "select_multiple" or not q.list_name:
            continue
        codes = [c.name for c in form.choices(q.list_name)]
        split = {c: f"{q.path}/{c}" for c in codes}
        have = [c for c, h in split.items() if h in frame.columns]
        if q.path in frame.columns and len(have) < len(codes):
            chosen = pl.col(q.path).str.strip_chars().str.split(" ")
            asked = pl.col(q.path).is_not_null() & (pl.col(q.path).str.strip_chars() != "")
            added += [
                pl.when(asked)
                .then(chosen.list.contains(pl.lit(c)).cast(pl.Int8).cast(pl.String))
                .alias(h)
                for c, h in split.items()
                if h not in frame.columns
            ]
        elif q.path not in frame.columns and have:
            one = [pl.col(split[c]).str.strip_chars().str.replace(r"\.0$", "") for c in have]
            asked = pl.any_horizontal(v.is_not_null() & (v != "") for v in one)
            joined = pl.concat_str(
                [pl.when(v == "1").then(pl.lit(c)) for c, v in zip(have, one, strict=True)],
                separator=" ",
                ignore_nulls=True,
            )
            added.append(pl.when(asked).then(joined).alias(q.path))
    return frame.with_columns(added) if added else frame


def excel_sheet(name: str) -> str:
    """The sheet KoBo names after a section: Excel's forbidden characters become `_`, a
    leading or trailing apostrophe too, and a name over 31 characters ends in "..."."""
    name = re.sub(r"(^'|'$)", "_", name.translate({ord(c): "_" for c in "[]*?:\\/"}))
    return name if len(name) <= 31 else name[:28] + "..."


def _sheet_for(sheets: list[str], name: str) -> str | None:
    wanted = excel_sheet(name)
    return next((s for s in sheets if s in (wanted, name)), None)


def main_sheet(sheets: list[str], form: Questionnaire) -> str | None:
    """The submissions' sheet of an XLSX export: named after the form's title (as Excel
    allows it), or its id, or else the first sheet that is no repeat's; None for a CSV
    (no sheets)."""
    if not sheets:
        return None
    for name in [*(v.title for v in reversed(form.versions)), form.form_id]:
        found = _sheet_for(sheets, name)
        if found:
            return found
    repeats = {excel_sheet(r) for r in form.repeats()}
    return next((s for s in sheets if s not in repeats), sheets[0])


def _plain(title: str) -> str:
    """A title as a file name may carry it: underscores for spaces, any case."""
    return " ".join(title.replace("_", " ").split()).casefold()


def survey_of(file_name: str) -> str:
    """The survey a delivery answers: named in our file names, or the form whose title KoBo
    put in its own export name (kpi cuts a long title with "...")."""
    base = load_contract(FEED)
    found = base.naming(file_name)
    if found is None:
        raise DeliveryRejected(
            file_name,
            f"file name does not match {base.file_pattern.pattern!r} nor KoBo's export names "
            "(<title> - all versions - labels - <YYYY-MM-DD-hh-mm-ss>.xlsx)",
        )
    groups = found[0].groupdict()
    if groups.get("survey"):
        return groups["survey"]
    title = _plain(groups["title"])
    for survey, form in questionnaires().items():
        names = {_plain(v.title) for v in form.versions} | {_plain(form.form_id)}
        cut = title.endswith("...") and any(n.startswith(title[:-3]) for n in names)
        if title in names or cut:
            return survey
    known = ", ".join(repr(f.title) for f in questionnaires().values())
    raise DeliveryRejected(
        file_name, f"not a KoBo export of a known form: {groups['title']!r} is none of {known}"
    )


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    """A KoBo export of one of the TPML surveys: the survey from the file name, then its
    questionnaire's contract."""
    base = load_contract(FEED)
    survey = survey_of(file_name)
    parsed = read_export(
        content,
        file_name,
        questionnaires()[survey],
        survey_contract(survey),
        lambda repeat: repeat_contract(survey, repeat),
    )
    tables = base.raw["repeat_tables"]
    related = {}
    for name, frame in parsed.related.items():
        table = name.removesuffix("_quarantine")
        related[name.replace(table, tables.get(table, table), 1)] = frame
    bronze = parsed.bronze.with_columns(pl.lit(survey).alias("survey"))
    warnings = (*parsed.warnings, *_named_elsewhere(file_name, bronze))
    return replace(parsed, bronze=bronze, related=related, warnings=warnings)


def _named_elsewhere(file_name: str, bronze: pl.DataFrame) -> list[str]:
    """Our file names also say the country and cycle; the rows say where and when they were
    collected, and win. Rows that disagree with the name are loaded, and the load says so
    (the name decides which earlier export this one supersedes)."""
    found = load_contract(FEED).naming(file_name)
    groups = found[0].groupdict() if found else {}
    said = []
    for column in ("country", "cycle"):
        named = groups.get(column)
        if named is None or column not in bronze.columns:
            continue
        other = bronze.filter(pl.col(column).cast(pl.String) != named)[column]
        if other.len():
            counts = other.cast(pl.String).value_counts(sort=True).rows()
            shown = ", ".join(f"{value} ({n})" for value, n in counts[:5])
            said.append(f"the file name says {column} {named}, {other.len()} row(s) say {shown}")
    return said


def read_export(
    content: bytes,
    file_name: str,
    form: Questionnaire,
    contract: Contract | None = None,
    repeat_contract_of: Callable[[str], Contract] | None = None,
) -> ParsedDelivery:
    """Any KoBo export of `form`, whatever options wrote it: typed submissions, the rows of
    each repeat (related tables named after the repeats, `<repeat>_quarantine` beside), the
    cells of undeclared columns (`extras`) and a warning naming those columns."""
    contract = contract or form_contract(form)
    repeat_contract_of = repeat_contract_of or (lambda repeat: form_contract(form, repeat))
    is_workbook = file_name.lower().endswith((".xlsx", ".xlsm"))
    sheets = workbook_sheets(content, file_name) if is_workbook else []
    sheet = main_sheet(sheets, form)
    try:
        table = _without_tag_rows(read_table(content, file_name, sheet))
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    frame, layout, undeclared = canonical(table, form, contract)
    if layout.matched == 0:
        raise DeliveryRejected(
            file_name, f"no column is a question of the {form.form_id} form: not its export"
        )
    # The offsets the time stamps were written with (the typed values are UTC).
    offsets = frame.select(
        *(
            (utc_offset(pl.col(c.header)) if c.header in frame.columns else pl.lit(None))
            .cast(pl.String)
            .alias(f"{c.name}_utc_offset")
            for c in contract.columns
            if c.type == "datetime_iso"
        ),
        SOURCE_ROW,
    )
    if "_index" not in frame.columns:  # kpi writes it unless fields were picked
        frame = frame.with_columns(pl.int_range(1, pl.len() + 1).cast(pl.String).alias("_index"))
    headers = [c for c in frame.columns if c != SOURCE_ROW]
    good, bad = parse_rows(frame, contract, file_name, headers)
    good = good.join(offsets, on=SOURCE_ROW, how="left")
    good, bad = split_duplicates(good, bad, "uuid")
    good = _lift(good)
    related: dict[str, pl.DataFrame] = {}
    kept = [undeclared]
    if sheet is not None:
        for repeat in form.repeats():
            rows = _repeat_rows(
                content, file_name, sheets, form, repeat, repeat_contract_of(repeat), good
            )
            if rows is None:
                continue
            related[repeat], related[f"{repeat}_quarantine"], more = rows
            kept.append(more)
    undeclared = pl.concat(kept)
    said = extras.warning(undeclared, FEED)
    if said:
        related[extras.TABLE] = undeclared
    rows_read = table.frame.height
    return ParsedDelivery(good, bad, rows_read, table.sheet, related, (said,) if said else ())


def _repeat_rows(
    content: bytes,
    file_name: str,
    sheets: list[str],
    form: Questionnaire,
    repeat: str,
    contract: Contract,
    submissions: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None:
    """A repeat group's sheet (named after the repeat, cut to 31 characters), typed, linked
    to its submission by `_parent_index`, or by `_submission__uuid` when the export has no
    index; each row of a repeat directly under the submission takes its country and cycle."""
    sheet = _sheet_for(sheets, repeat)
    if sheet is None:  # KoBo writes a repeat's sheet only when some submission has rows
        return None
    try:
        table = _without_tag_rows(read_table(content, file_name, sheet))
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"repeat sheet {sheet!r}: {exc}") from exc
    frame, _, undeclared = canonical(table, form, contract, repeat)
    if "_parent_index" not in frame.columns and "_submission__uuid" in frame.columns:
        index = submissions.select(
            pl.col("uuid").alias("_submission__uuid"),
            pl.col("row_index").cast(pl.String).alias("_parent_index"),
        ).unique("_submission__uuid", keep="first")
        frame = frame.join(index, on="_submission__uuid", how="left")
    if "_index" not in frame.columns:
        frame = frame.with_columns(pl.int_range(1, pl.len() + 1).cast(pl.String).alias("_index"))
    headers = [c for c in frame.columns if c != SOURCE_ROW]
    typed, problems = parse_rows(frame, contract, file_name, headers)
    if form.latest.repeats.get(repeat, ()) and any(
        g in form.repeats() for g in form.latest.repeats[repeat]
    ):
        return typed, problems, undeclared  # a repeat inside a repeat: its parent is one
    carried = [c for c in lifted() if c in submissions.columns]
    parents = submissions.select(pl.col("row_index").alias("parent_index"), *carried).unique(
        "parent_index", keep="first"
    )
    return typed.join(parents, on="parent_index", how="left"), problems, undeclared
