"""XLSForm questionnaires: a workbook (`survey`, `choices`, `settings`) to the questions the
warehouse reads.

pyxform, the reference implementation KoBoToolbox and ODK compile forms with, reads the
workbook, so every spelling the standard allows (`select one x`, `begin group`, `label` with
or without a language, `or_other`) means what it means on the server. A questionnaire is
every deployed version of one form (`settings.form_id`), one workbook each: a partner's
new version is a new workbook, and the contract is the union of the versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: pyxform's names of the types the warehouse distinguishes.
_TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select one external": "select_one",
}
#: XLSForm's metadata question types: no label, the device or server fills them; KoBo
#: heads their columns with the name (`start`, `end` are the KoBo contract's own columns).
METADATA_TYPES = {
    "start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit",
    "simserial", "subscriberid", "start-geopoint", "background-audio",
}  # fmt: skip
#: Structural and metadata rows that carry no answer of the respondent.
_NO_ANSWER = {"note", "meta", "instanceID"}


class FormError(ValueError):
    """An XLSForm that does not compile, named with pyxform's reason."""


@dataclass(frozen=True)
class Choice:
    name: str
    labels: dict[str, str] = field(compare=False)


@dataclass(frozen=True)
class Question:
    """One question (or calculate, or start/end) of a form, where it sits and what it asks."""

    name: str
    #: select_one, select_multiple, text, integer, decimal, calculate, geopoint, date...
    type: str
    #: The groups and repeats above it, outermost first (KoBo's group path).
    groups: tuple[str, ...]
    #: The repeat it belongs to, or None for the submission's own questions.
    repeat: str | None
    labels: dict[str, str] = field(compare=False)
    list_name: str | None = None
    relevant: str = ""
    calculation: str = ""
    required: bool = False
    #: Our own survey column (`pii`: name or phone): personal data the loader pseudonymises.
    pii: str | None = None

    @property
    def path(self) -> str:
        """KoBo's export header with group paths ("profil/sexe")."""
        return "/".join((*self.groups, self.name))

    def label(self, language: str) -> str:
        return label_in(self.labels, language)


@dataclass(frozen=True)
class Form:
    """One deployed version of a form."""

    form_id: str
    title: str
    version: str
    default_language: str
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    choices: dict[str, tuple[Choice, ...]] = field(compare=False)
    #: Repeat name -> its groups above it (its sheet in an XLSX export is the name).
    repeats: dict[str, tuple[str, ...]] = field(compare=False)
    #: Group and repeat name -> its labels (KoBo's label headers with group paths).
    group_labels: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)
    source: str = ""

    def question(self, name: str) -> Question | None:
        return next((q for q in self.questions if q.name == name), None)


def label_in(labels: dict[str, str], language: str) -> str:
    """The label in `language`, given as a code ("fr") or as the form names it ("Français
    (fr)"); a form without languages has one label under "default"."""
    if language in labels:
        return labels[language]
    for name, text in labels.items():
        if re.search(rf"\({re.escape(language)}\)\s*$", name) or name.lower() == language.lower():
            return text
    return labels.get("default", "")


def _labels(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {"default": str(value)} if value not in (None, "") else {}


def read_form(path: Path) -> Form:
    """Compile one XLSForm workbook; a form pyxform refuses is a FormError naming the file.
    pyxform is imported here: only the steps that read questionnaires pay for it."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    try:
        tree = parse_file_to_json(str(path), default_name=path.stem, warnings=[])
    except PyXFormError as exc:
        raise FormError(f"{path.name}: not a valid XLSForm: {exc}") from exc
    choices = {
        name: tuple(Choice(str(c["name"]), _labels(c.get("label"))) for c in items)
        for name, items in (tree.get("choices") or {}).items()
    }
    repeats: dict[str, tuple[str, ...]] = {}
    group_labels: dict[str, dict[str, str]] = {}
    questions = tuple(_walk(tree.get("children") or [], (), None, repeats, group_labels))
    languages = sorted({lang for q in questions for lang in q.labels if lang != "default"})
    return Form(
        form_id=str(tree.get("id_string") or path.stem),
        title=str(tree.get("title") or ""),
        version=str(tree.get("version") or ""),
        default_language=str(tree.get("default_language") or "default"),
        languages=tuple(languages),
        questions=questions,
        choices=choices,
        repeats=repeats,
        group_labels=group_labels,
        source=path.name,
    )


def _walk(
    children: Iterable[dict],
    groups: tuple[str, ...],
    repeat: str | None,
    repeats: dict[str, tuple[str, ...]],
    group_labels: dict[str, dict[str, str]],
) -> Iterator[Question]:
    for child in children:
        kind, name = str(child.get("type", "")), str(child.get("name", ""))
        if name in _NO_ANSWER or kind in _NO_ANSWER:
            continue
        if kind in ("group", "repeat"):
            group_labels[name] = _labels(child.get("label"))
            inner = repeat
            if kind == "repeat":
                repeats[name] = groups
                inner = name
            yield from _walk(
                child.get("children") or [], (*groups, name), inner, repeats, group_labels
            )
            continue
        bind = child.get("bind") or {}
        yield Question(
            name=name,
            type=_TYPES.get(kind, kind),
            groups=groups,
            repeat=repeat,
            labels=_labels(child.get("label")),
            list_name=child.get("list_name"),
            relevant=str(bind.get("relevant") or ""),
            calculation=str(bind.get("calculate") or ""),
            required=str(bind.get("required", "")).lower() in ("yes", "true", "true()"),
            pii=child.get("pii") or None,
        )


@dataclass(frozen=True)
class Questionnaire:
    """Every deployed version of one form, oldest first."""

    form_id: str
    versions: tuple[Form, ...]

    @property
    def latest(self) -> Form:
        return self.versions[-1]

    @property
    def title(self) -> str:
        return self.latest.title

    def questions(self, repeat: str | None = None) -> list[Question]:
        """The union of the versions' questions of the submission (or of one repeat), in the
        latest version's order; a question only older versions ask follows the question it
        followed there."""
        merged: list[Question] = []
        for form in reversed(self.versions):
            previous: str | None = None
            for q in form.questions:
                if q.repeat != repeat:
                    continue
                names = [m.name for m in merged]
                if q.name not in names:
                    at = names.index(previous) + 1 if previous in names else len(merged)
                    merged.insert(at if previous is not None else 0, q)
                previous = q.name
        return merged

    def choices(self, list_name: str) -> tuple[Choice, ...]:
        """A choice list as the latest version that has it defines it."""
        for form in reversed(self.versions):
            if list_name in form.choices:
                return form.choices[list_name]
        raise KeyError(f"{self.form_id}: no choice list {list_name!r}")

    def versions_asking(self, name: str) -> list[Form]:
        return [f for f in self.versions if f.question(name) is not None]

    def names(self) -> set[str]:
        """Every question name of every version, repeats included."""
        return {q.name for f in self.versions for q in f.questions}

    def languages(self) -> list[str]:
        """The languages any version labels in, as the forms name them ("Français (fr)")."""
        return list(dict.fromkeys(lang for f in self.versions for lang in f.languages))

    def repeats(self) -> list[str]:
        return list(dict.fromkeys(r for f in self.versions for r in f.repeats))


def read_questionnaires(folder: Path) -> dict[str, Questionnaire]:
    """form_id -> its versions, from every workbook in `folder` (ordered by version)."""
    forms: dict[str, list[Form]] = {}
    for path in sorted(folder.glob("*.xlsx")):
        form = read_form(path)
        forms.setdefault(form.form_id, []).append(form)
    return {
        form_id: Questionnaire(form_id, tuple(sorted(versions, key=lambda f: f.version)))
        for form_id, versions in forms.items()
    }


@cache
def questionnaires_in(folder: Path) -> dict[str, Questionnaire]:
    return read_questionnaires(folder)
