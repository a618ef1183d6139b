"""Which KoBoToolbox export options wrote a file: its headers mapped back to the questionnaire.

KoBo's export engine (formpack, driven by kpi's export settings) spells a question's column
in one of these ways, for the whole file:
- XML names ("_xml"): `name`, or with "include groups in headers" `group/sub/name`;
- labels in one of the form's languages (the default): `label`, or `Group label/label`;
- the group separator is `/` unless the export settings chose another (it also joins a
  select_multiple's header to its choices', with or without group paths);
- a select_multiple gives its summary column, its 0/1 columns (`<header><sep><choice>`,
  the choice's name or label), or both; a geopoint its raw column and `_<label>_latitude`,
  `_longitude`, `_altitude`, `_precision`;
- and the values follow the headers: XML codes with XML names, choice labels with labels.

The spelling that explains the most headers wins (a tie goes to XML names, then the form's
default language). Headers two questions share (the same label) map in form order, as the
export writes them. Headers no spelling explains are returned as extras, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ingest.xlsform import METADATA_TYPES, Question, Questionnaire, label_in

#: Group separators the reader recognises (kpi's `group_sep`; `/` by default).
SEPARATORS = ("/", ".", " / ", ":", "-", "__")
#: The split columns of a geopoint, as formpack names them.
GEO_PARTS = ("latitude", "longitude", "altitude", "precision")
#: Question types that hold no answer column of their own in an export.
NO_COLUMN = {"note", "acknowledge_note"}


@dataclass(frozen=True)
class Spelling:
    """One way of writing headers: XML names or a language's labels, with or without the
    groups above the question."""

    language: str | None  # None: XML names
    groups: bool
    sep: str = "/"

    def describe(self) -> str:
        what = "XML names" if self.language is None else f"labels ({self.language})"
        return f"{what}, {'with' if self.groups else 'without'} group paths (sep {self.sep!r})"


@dataclass(frozen=True)
class ValueColumn:
    """One column a question gives in an export."""

    header: str
    #: The canonical column: the question's name, `<name>_<choice>`, `<name>_latitude`...
    name: str
    question: Question
    #: For a select_multiple 0/1 column, the choice it stands for.
    choice: str | None = None


@dataclass
class Layout:
    """A file's headers resolved: position -> canonical column, and what was left over."""

    spelling: Spelling
    columns: dict[int, ValueColumn] = field(default_factory=dict)
    #: Positions of headers no question explains (kpi metadata or a partner's own columns).
    unmatched: list[int] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.columns)

    def labels_to_codes(self, question: Question, form: Questionnaire) -> dict[str, str]:
        """What the file writes for each choice -> its code (codes map to themselves)."""
        if not question.list_name:
            return {}
        out: dict[str, str] = {}
        for choice in form.choices(question.list_name):
            out.setdefault(choice.name, choice.name)
            if self.spelling.language is not None:
                label = label_in(choice.labels, self.spelling.language)
                if label:
                    out.setdefault(label.strip(), choice.name)
        return out


def split_column(question: Question, choice: str, form: Questionnaire) -> str:
    """The canonical 0/1 column of a select_multiple's choice, `<question>_<choice>`; where a
    question of the form already has that name (`or_other`'s `<question>_other`, the text
    the respondent wrote), `<question>__<choice>`."""
    name = f"{question.name}_{choice}"
    return f"{question.name}__{choice}" if name in form.names() else name


def _label(q: Question, language: str | None) -> str:
    if language is None:
        return q.name
    return q.label(language) or q.name


def _group_labels(form: Questionnaire, language: str | None) -> dict[str, str]:
    """Group (and repeat) name -> its label in the language, for label headers with groups."""
    out: dict[str, str] = {}
    for version in form.versions:
        for name, labels in version.group_labels.items():
            text = label_in(labels, language) if language else ""
            out.setdefault(name, text or name)
    return out


def value_columns(
    form: Questionnaire, questions: list[Question], spelling: Spelling
) -> Iterator[ValueColumn]:
    """Every column the questions give under one spelling, in export order (both the
    select_multiple summary and its 0/1 columns: a file may have either or both)."""
    groups = _group_labels(form, spelling.language) if spelling.groups else {}
    for q in questions:
        if q.type in NO_COLUMN:
            continue
        label = _label(q, spelling.language)
        prefix = spelling.sep.join(groups[g] for g in q.groups) if spelling.groups else ""
        base = f"{prefix}{spelling.sep}{label}" if prefix else label
        if q.type in METADATA_TYPES:
            base = q.name  # metadata questions have no label; KoBo writes the name
        yield ValueColumn(base, q.name, q)
        if q.type == "select_multiple" and q.list_name:
            for choice in form.choices(q.list_name):
                text = choice.name
                if spelling.language is not None:
                    text = label_in(choice.labels, spelling.language) or choice.name
                name = split_column(q, choice.name, form)
                yield ValueColumn(f"{base}{spelling.sep}{text}", name, q, choice.name)
                if choice.name == "other" and f"{q.name}_other" in form.names():
                    # or_other's column: formpack writes `<header>/other` in every spelling.
                    yield ValueColumn(f"{base}/other", name, q, choice.name)
        elif q.type == "geopoint":
            for part in GEO_PARTS:
                geo = f"_{label}_{part}"
                header = f"{prefix}{spelling.sep}{geo}" if prefix else geo
                yield ValueColumn(header, f"{q.name}_{part}", q)


def spellings(form: Questionnaire) -> list[Spelling]:
    """Every spelling worth trying for a form, the likeliest first."""
    languages: list[str | None] = [None]
    default = form.latest.default_language
    ordered = sorted(form.languages(), key=lambda lang: lang != default)
    languages += ordered or ["default"]
    return [
        Spelling(language, groups, sep)
        for language in languages
        for groups in (True, False)
        for sep in SEPARATORS  # also between a select_multiple and its choices
    ]


def resolve(form: Questionnaire, headers: list[str], repeat: str | None = None) -> Layout:
    """The spelling that explains the most of `headers` (a submission sheet, or a repeat's).

    With XML names, a header whose group path is not the form's (a group renamed in another
    version) is still its question's: names are unique in a form, so the path's last part,
    or last two for a select_multiple's choice, says which column it is."""
    questions = form.questions(repeat)
    best: Layout | None = None
    for spelling in spellings(form):
        layout = _match(form, questions, spelling, headers)
        if best is None or layout.matched > best.matched:
            best = layout
    assert best is not None
    if best.spelling.language is None and best.unmatched:
        _match_by_name(form, questions, best, headers)
    return best


def _match_by_name(
    form: Questionnaire, questions: list[Question], layout: Layout, headers: list[str]
) -> None:
    sep = layout.spelling.sep
    taken = {c.name for c in layout.columns.values()}
    by_name = {
        c.header: c
        for c in value_columns(form, questions, Spelling(None, groups=False, sep=sep))
        if c.name not in taken
    }
    for position in list(layout.unmatched):
        parts = _norm(headers[position]).split(sep)
        for tail in (sep.join(parts[-2:]), parts[-1]):
            column = by_name.pop(tail, None) if len(parts) > 1 else None
            if column is not None:
                layout.columns[position] = column
                layout.unmatched.remove(position)
                break


def _match(
    form: Questionnaire, questions: list[Question], spelling: Spelling, headers: list[str]
) -> Layout:
    expected: dict[str, list[ValueColumn]] = {}
    for column in value_columns(form, questions, spelling):
        expected.setdefault(_norm(column.header), []).append(column)
    layout = Layout(spelling)
    for position, header in enumerate(headers):
        waiting = expected.get(_norm(header))
        if waiting:
            layout.columns[position] = waiting.pop(0)
        else:
            layout.unmatched.append(position)
    return layout


def _norm(header: str) -> str:
    """Headers compare without surrounding or doubled spaces (spreadsheets add them)."""
    return re.sub(r"\s+", " ", header.strip())


def decode_multiple(text: str, codes: dict[str, str]) -> list[str] | None:
    """A select_multiple summary written as choice labels joined by spaces ("Radio Télévision")
    back to codes: labels may hold spaces, so the longest label that fits is taken first.
    None when some part matches no choice."""
    out: list[str] = []
    rest = text.strip()
    spellings_ = sorted(codes, key=len, reverse=True)
    while rest:
        found = next((s for s in spellings_ if rest == s or rest.startswith(s + " ")), None)
        if found is None:
            return None
        out.append(codes[found])
        rest = rest[len(found) :].lstrip()
    return out
