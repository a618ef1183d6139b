"""The survey questions and choices as dbt seeds, generated from the KoBo questionnaires.

`kobo_questionnaires.yml` is the one place a question is defined; the warehouse needs the
same list to unpivot answers (`fct_survey_responses`) and to label them in reports. `slc
docs` writes the two CSVs and a test fails when they differ from the questionnaires.
Personal-data questions (name, phone) are left out: their answers never reach the marts.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.kobo import questionnaires
from ingest.settings import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"

QUESTION_FIELDS = [
    "survey", "question", "position", "question_group", "question_type", "choice_list",
    "label_fr", "cycles", "relevant",
]  # fmt: skip
CHOICE_FIELDS = ["survey", "choice_list", "value", "position", "label_fr", "label_en"]


def _forms() -> list[tuple[str, dict, list[dict]]]:
    """(survey, form, questions): each questionnaire, and the repeat group as its own survey."""
    out = []
    for name, form in questionnaires().items():
        out.append((name, form, form["survey"]))
        if "repeat" in form:
            out.append((f"{name}_{form['repeat']['name']}", form, form["repeat"]["survey"]))
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
    for survey, form, items in _forms():
        versions = form.get("versions", {})
        lists: list[str] = []
        for position, q in enumerate(items, start=1):
            if q.get("pii"):
                continue
            kind, *rest = q["type"].split()
            choice_list = rest[0] if rest else ""
            if choice_list and choice_list not in lists:
                lists.append(choice_list)
            questions.append(
                {
                    "survey": survey,
                    "question": q["name"],
                    "position": position,
                    "question_group": q.get("group", form.get("repeat", {}).get("name", "")),
                    "question_type": kind,
                    "choice_list": choice_list,
                    "label_fr": q.get("label", ""),
                    "cycles": " ".join(str(c) for c in q.get("versions", sorted(versions))),
                    "relevant": q.get("relevant", ""),
                }
            )
        for choice_list in lists:
            english = form.get("choices_en", {}).get(choice_list, {})
            for position, (value, label) in enumerate(form["choices"][choice_list].items(), 1):
                if value not in english:
                    raise ValueError(
                        f"kobo_questionnaires.yml: choice {value!r} of list {choice_list!r} "
                        f"({survey}) has no English label under choices_en"
                    )
                choices.append(
                    {
                        "survey": survey,
                        "choice_list": choice_list,
                        "value": value,
                        "position": position,
                        "label_fr": label,
                        "label_en": english[value],
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
