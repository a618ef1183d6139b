"""The survey questions and choices as dbt seeds, generated from the KoBo questionnaires.

The XLSForm workbooks (ingest/contracts/xlsforms/) are the one place a question is defined;
the warehouse needs the same list to unpivot answers (`fct_survey_responses`) and to label
them in reports. `slc docs` writes the two CSVs and a test fails when they differ from the
questionnaires. Personal-data questions (name, phone) are left out: their answers never
reach the marts; so are the form's `country` and `cycle`, which are columns of every row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.kobo import cycle_of, lifted, questionnaires
from ingest.settings import REPO_ROOT
from ingest.xlsform import METADATA_TYPES, Question, Questionnaire, label_in

SEEDS = REPO_ROOT / "dbt_project" / "seeds"

QUESTION_FIELDS = [
    "survey", "question", "position", "question_group", "question_type", "choice_list",
    "label_fr", "label_en", "cycles", "relevant",
]  # fmt: skip
CHOICE_FIELDS = ["survey", "choice_list", "value", "position", "label_fr", "label_en"]


def _forms() -> list[tuple[str, Questionnaire, list[Question]]]:
    """(survey, questionnaire, questions): each questionnaire, and each repeat group as its
    own survey (`<survey>_<repeat>`)."""
    out = []
    for name, form in questionnaires().items():
        out.append((name, form, form.questions()))
        for repeat in form.repeats():
            out.append((f"{name}_{repeat}", form, form.questions(repeat)))
    return out


def _csv(fields: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def rendered() -> dict[Path, str]:
    """Seed file -> its content."""
    questions, choices = [], []
    skipped = set(lifted())
    for survey, form, items in _forms():
        lists: list[str] = []
        asked = [q for q in items if q.type not in METADATA_TYPES and q.name not in skipped]
        for position, q in enumerate(asked, start=1):
            if q.pii:
                continue
            choice_list = q.list_name or ""
            if choice_list and choice_list not in lists:
                lists.append(choice_list)
            questions.append(
                {
                    "survey": survey,
                    "question": q.name,
                    "position": position,
                    "question_group": q.groups[-1] if q.groups else "",
                    "question_type": q.type,
                    "choice_list": choice_list,
                    "label_fr": q.label("fr"),
                    "label_en": q.label("en"),
                    "cycles": " ".join(cycle_of(v) for v in form.versions_asking(q.name)),
                    "relevant": q.relevant,
                }
            )
        for choice_list in lists:
            for position, choice in enumerate(form.choices(choice_list), 1):
                english = label_in(choice.labels, "en")
                if not english:
                    raise ValueError(
                        f"{form.latest.source}: choice {choice.name!r} of list {choice_list!r} "
                        "has no English label (label::English (en))"
                    )
                choices.append(
                    {
                        "survey": survey,
                        "choice_list": choice_list,
                        "value": choice.name,
                        "position": position,
                        "label_fr": label_in(choice.labels, "fr"),
                        "label_en": english,
                    }
                )
    return {
        SEEDS / "survey_questions.csv": _csv(QUESTION_FIELDS, questions),
        SEEDS / "survey_choices.csv": _csv(CHOICE_FIELDS, choices),
    }


def write() -> list[Path]:
    changed = []
    for path, text in rendered().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale() -> list[str]:
    return [
        path.name
        for path, text in rendered().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
