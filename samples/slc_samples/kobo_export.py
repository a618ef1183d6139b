"""KoBoToolbox exports laid out as its export engine writes them, under each option kpi offers.

Written from formpack's rules (src/formpack/reporting/export.py, schema/fields.py) and kpi's
defaults (kpi/models/import_export_task.py), independently of the warehouse's reader, so that
the sample and the tests check the reader against the tools partners use, not against itself:
- headers: a question's label in the export's language (its XML name for "_xml"), prefixed
  with its groups' labels (names) joined by `group_sep` when "include groups in headers";
- a select_multiple: its summary column and/or one column per choice, `<header><sep><choice
  label or name>`, values "1"/"0", every one blank when the submission has no value for it
  (not asked); the summary holds the choices' labels (names) joined by spaces;
- a geopoint: its raw column, then `_<label>_latitude`, `_longitude`, `_altitude`,
  `_precision`;
- values: a select_one's choice label in the language (its name for "_xml");
- kpi's copy fields after the questions (`_id`, `_uuid`, `_submission_time`,
  `_validation_status`, `_notes`, `_status`, `_submitted_by`, `__version__`, `_tags`), then
  `_index`; a repeat's sheet ends with `_index`, `_parent_table_name`, `_parent_index` and
  the copy fields as `_submission_<field>`;
- an optional tag row (HXL) under the header;
- CSV: every value in double quotes, `;` by default, the submissions only; XLSX: one sheet
  per section, the submissions' sheet named after the form's title (Excel's forbidden
  characters replaced by `_`, cut to 31 characters with "...").
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import xlsxwriter

from ingest.xlsform import Question, Questionnaire, label_in

COPY_FIELDS = (
    "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_tags",
)  # fmt: skip
#: What the copy fields hold in the canonical frames the generator answers.
CANONICAL_META = {
    "_id": "submission_id",
    "_uuid": "uuid",
    "_submission_time": "submitted_at",
    "_validation_status": "validation_status",
    "__version__": "form_version",
}
VALIDATION_LABELS = {
    "validation_status_approved": "Approved",
    "validation_status_not_approved": "Not Approved",
    "validation_status_on_hold": "On Hold",
}
GEO = ("latitude", "longitude", "altitude", "precision")
NOT_EXPORTED = {"note"}


@dataclass(frozen=True)
class KoboExport:
    """One set of kpi export options."""

    #: None: "XML values and headers"; else a language as the form names it.
    language: str | None = None
    #: "Include groups in headers" (formpack's hierarchy_in_labels).
    groups: bool = False
    group_sep: str = "/"
    #: both | summary | details
    multiple_select: str = "both"
    csv_separator: str = ";"
    #: A tag row (HXL) under the header.
    hxl: bool = False
    copy_fields: tuple[str, ...] = COPY_FIELDS
    #: kpi numbers submissions (`_index`) unless the export picks fields.
    index: bool = True

    def describe(self) -> str:
        words = ["xml" if self.language is None else f"labels:{self.language}"]
        words.append("groups" if self.groups else "no-groups")
        if self.group_sep != "/":
            words.append(f"sep={self.group_sep!r}")
        if self.multiple_select != "both":
            words.append(f"multiple={self.multiple_select}")
        if self.hxl:
            words.append("hxl")
        if self.copy_fields != COPY_FIELDS or not self.index:
            words.append("some-metadata")
        return " ".join(words)


def sheet_name(name: str, taken: Sequence[str] = ()) -> str:
    """formpack's `unique_name_for_xls`."""
    name = name.translate({ord(c): "_" for c in "[]*?:\\/"})
    name = re.sub(r"(^'|'$)", "_", name)
    candidate, i = _ellipsize(name, 31, "..."), 1
    while candidate in taken:
        candidate, i = _ellipsize(name, 31, f"... ({i})"), i + 1
    return candidate


def _ellipsize(text: str, size: int, ellipsis: str) -> str:
    return text if len(text) <= size else text[: size - len(ellipsis)] + ellipsis


def _text(labels: dict[str, str], name: str, language: str | None) -> str:
    return (label_in(labels, language) if language is not None else "") or name


class _Columns:
    """The header and the cell function of every column of one section."""

    def __init__(self, form: Questionnaire, options: KoboExport) -> None:
        self.form, self.options = form, options
        self.headers: list[str] = []
        self.cells: list = []
        self.group_labels: dict[str, dict[str, str]] = {}
        for version in form.versions:
            self.group_labels.update(version.group_labels)

    def _label(self, q: Question, hierarchy: bool) -> str:
        o = self.options
        own = _text(q.labels, q.name, o.language)
        if q.type in ("start", "end", "today", "deviceid", "username", "calculate") and not (
            q.labels
        ):
            own = q.name
        if not (hierarchy and o.groups):
            return own
        path = [_text(self.group_labels.get(g, {}), g, o.language) for g in q.groups]
        return o.group_sep.join([*path, own])

    def add(self, header: str, cell) -> None:
        self.headers.append(header)
        self.cells.append(cell)

    def question(self, q: Question) -> None:
        o, lang = self.options, self.options.language
        if q.type in NOT_EXPORTED:
            return
        label = self._label(q, hierarchy=True)
        choices = self.form.choices(q.list_name) if q.list_name else ()
        said = {c.name: _text(c.labels, c.name, lang) for c in choices}
        if q.type == "select_one":
            self.add(label, lambda r, n=q.name: said.get(r.get(n), r.get(n)) or "")
        elif q.type == "select_multiple":
            codes = [c.name for c in choices]

            def value(r: dict, n: str = q.name) -> str | None:
                """The submission's value: codes joined by spaces, "" when asked and nothing
                ticked (the canonical frame's 0/1 columns say so), None when not asked."""
                if r.get(n) is not None:
                    return str(r[n])
                ticks = [r.get(f"{n}_{c}") for c in codes]
                return "" if any(t is not None and str(t) != "" for t in ticks) else None

            if o.multiple_select in ("both", "summary"):
                self.add(
                    label,
                    lambda r, value=value: " ".join(
                        said.get(v) or v for v in (value(r) or "").split()
                    ),
                )
            if o.multiple_select in ("both", "details"):
                or_other = f"{q.name}_other" in self.form.names()
                for c in choices:
                    # formpack writes or_other's own column as `<header>/other` (a literal
                    # slash, the choice's name) whatever the language and separator.
                    other = or_other and c.name == "other"
                    self.add(
                        f"{label}/other" if other else f"{label}{o.group_sep or '/'}{said[c.name]}",
                        lambda r, c=c.name, value=value: (
                            "" if value(r) is None else ("1" if c in value(r).split() else "0")
                        ),
                    )
        elif q.type == "geopoint":
            self.add(label, lambda r, n=q.name: r.get(n) or "")
            own = self._label(q, hierarchy=False)
            prefix = o.group_sep.join(
                _text(self.group_labels.get(g, {}), g, lang) for g in q.groups
            )
            for i, part in enumerate(GEO):
                head = f"_{own}_{part}"
                self.add(
                    f"{prefix}{o.group_sep}{head}" if o.groups and prefix else head,
                    lambda r, n=q.name, i=i: (str(r.get(n) or "").split() + [""] * 4)[i],
                )
        else:
            self.add(label, lambda r, n=q.name: "" if r.get(n) is None else str(r[n]))


def _value(row: dict, field: str, language: str | None) -> str:
    value = row.get(CANONICAL_META.get(field, field.lstrip("_")))
    if value is None:
        return ""
    if field == "_validation_status" and language is not None:
        return VALIDATION_LABELS.get(str(value), str(value))
    return str(value)


def submission_rows(
    form: Questionnaire, answers: pl.DataFrame, options: KoboExport
) -> tuple[list[str], list[list[str]]]:
    """The submissions' sheet: answers are canonical (question names, select_multiple
    summaries as codes, kpi metadata under the warehouse's names)."""
    columns = _Columns(form, options)
    for q in form.questions():
        columns.question(q)
    for field in options.copy_fields:
        columns.add(field, lambda r, f=field: _value(r, f, options.language))
    if options.index:
        columns.add("_index", lambda r: str(r["_index"]))
    rows = [[cell(r) for cell in columns.cells] for r in answers.iter_rows(named=True)]
    return columns.headers, rows


def repeat_rows(
    form: Questionnaire, repeat: str, rows: pl.DataFrame, parents: pl.DataFrame, options: KoboExport
) -> tuple[list[str], list[list[str]]]:
    """A repeat's sheet: `rows` canonical, `_parent_index` the submission's `_index`."""
    columns = _Columns(form, options)
    for q in form.questions(repeat):
        columns.question(q)
    columns.add("_index", lambda r: str(r["_index"]))
    columns.add("_parent_table_name", lambda r: sheet_name(form.title))
    columns.add("_parent_index", lambda r: str(r["_parent_index"]))
    by_index = {p["_index"]: p for p in parents.iter_rows(named=True)}
    for field in options.copy_fields:
        columns.add(
            f"_submission_{field}",
            lambda r, f=field: _value(by_index.get(r["_parent_index"], {}), f, options.language),
        )
    out = [[cell(r) for cell in columns.cells] for r in rows.iter_rows(named=True)]
    return columns.headers, out


def with_tags(headers: list[str], rows: list[list[str]]) -> list[list[str]]:
    """kpi's tag row: an HXL hashtag over each question column (the form's `hxl` column)."""
    tags = ["" if h.startswith("_") else "#" + re.sub(r"\W+", "_", h.lower())[:20] for h in headers]
    return [tags, *rows]


def to_csv(headers: list[str], rows: list[list[str]], options: KoboExport) -> bytes:
    """formpack's `to_csv`: every value quoted, quotes doubled, no BOM."""
    sep, quote = options.csv_separator, '"'

    def line(values: list[str]) -> str:
        return (
            quote + (quote + sep + quote).join(v.replace(quote, quote * 2) for v in values) + quote
        )

    body = [line(headers), *(line(r) for r in (with_tags(headers, rows) if options.hxl else rows))]
    return ("\r\n".join(body) + "\r\n").encode("utf-8")


def to_xlsx(
    sheets: dict[str, tuple[list[str], list[list[str]]]],
    options: KoboExport,
    created: dt.datetime = dt.datetime(2021, 1, 1),
) -> bytes:
    """formpack's `to_xlsx`: one sheet per section, text cells, the header first. The
    workbook's creation time is `created`, so that a seed gives the same bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_urls": False})
    book.set_properties({"created": created})
    taken: list[str] = []
    for name, (headers, rows) in sheets.items():
        title = sheet_name(name, taken)
        taken.append(title)
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, headers)
        body = with_tags(headers, rows) if options.hxl else rows
        for i, row in enumerate(body, start=1):
            for j, value in enumerate(row):
                if value != "":
                    sheet.write_string(i, j, value)
    book.close()
    return buffer.getvalue()


def file_name(form: Questionnaire, options: KoboExport, when: str, extension: str) -> str:
    """kpi's default export file name, as a browser saves it (spaces become underscores)."""
    lang = (
        "labels"
        if options.language is None or options.language == "default"
        else (options.language)
    )
    if options.language is None:
        lang = "_xml"
    return f"{form.title} - all versions - {lang} - {when}.{extension}".replace(" ", "_")
