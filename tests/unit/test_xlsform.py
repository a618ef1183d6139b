"""The questionnaires are XLSForms: each workbook compiles with pyxform (and passes ODK Validate
where Java is installed), speaks both report languages, and says where and when it was
collected; the reader's contract is the union of a form's versions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import xlsxwriter
from pyxform.builder import create_survey_element_from_dict
from pyxform.xls2json import parse_file_to_json

from ingest.contracts import _DIR, load_contract
from ingest.countries import to_iso3
from ingest.kobo import cycle_of, questionnaires, survey_contract
from ingest.xlsform import FormError, Questionnaire, label_in, read_form

WORKBOOKS = sorted((_DIR / load_contract("kobo").raw["xlsforms"]).glob("*.xlsx"))


def test_every_survey_has_its_workbooks():
    assert WORKBOOKS
    forms = questionnaires()
    assert set(forms) == set(load_contract("kobo").raw["forms"])
    assert [v.version for v in forms["returnee"].versions] == ["vC1-2019-07", "vC3-2020-08"]


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_the_workbook_compiles_to_an_xform(path: Path):
    tree = parse_file_to_json(str(path), default_name=path.stem, warnings=[])
    survey = create_survey_element_from_dict(tree)
    xml = survey.to_xml(validate=shutil.which("java") is not None, warnings=[])
    assert "<h:html" in xml and tree["id_string"] in xml


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_questions_and_choices_have_french_and_english_labels(path: Path):
    form = read_form(path)
    for q in form.questions:
        if q.labels:
            assert q.label("fr") and q.label("en"), f"{path.name}: {q.name}"
    for list_name, choices in form.choices.items():
        for c in choices:
            assert label_in(c.labels, "fr") and label_in(c.labels, "en"), (list_name, c.name)


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_the_form_says_where_and_when(path: Path):
    form = read_form(path)
    country = form.question("country")
    assert country is not None and country.type == "select_one" and country.required
    codes = [c.name for c in form.choices[str(country.list_name)]]
    assert all(to_iso3(code) == code for code in codes), "country choices are ISO3 codes"
    assert cycle_of(form) in {"1", "3"}


def test_the_contract_is_the_union_of_the_versions():
    """A question only the first cycle asked stays a column, where that cycle had it."""
    names = [c.name for c in survey_contract("returnee").columns]
    assert "info_processus" in names and "info_reintegration" in names
    assert names.index("retour_oim") < names.index("info_processus") < names.index("seule_option")


def _workbook(path: Path, version: str, names: list[str]) -> Path:
    book = xlsxwriter.Workbook(path)
    survey = book.add_worksheet("survey")
    survey.write_row(0, 0, ["type", "name", "label"])
    for i, name in enumerate(names, start=1):
        survey.write_row(i, 0, ["integer", name, name.upper()])
    settings = book.add_worksheet("settings")
    settings.write_row(0, 0, ["form_id", "version"])
    settings.write_row(1, 0, ["f", version])
    book.close()
    return path


def test_a_question_a_new_version_drops_keeps_its_place(tmp_path: Path):
    old = read_form(_workbook(tmp_path / "f1.xlsx", "1", ["a", "b", "c", "d"]))
    new = read_form(_workbook(tmp_path / "f2.xlsx", "2", ["a", "c", "e", "d"]))
    merged = Questionnaire("f", (old, new)).questions()
    assert [q.name for q in merged] == ["a", "b", "c", "e", "d"]
    assert [q.label("default") for q in merged][:2] == ["A", "B"]


def test_a_workbook_that_is_not_an_xlsform_is_refused_by_name(tmp_path: Path):
    path = tmp_path / "notes.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Feuil1").write_row(0, 0, ["nom", "valeur"])
    book.close()
    with pytest.raises(FormError, match="notes.xlsx"):
        read_form(path)


def test_area_choice_codes_are_admin_area_ids():
    """The choice lists the dbt project declares as areas (var survey_area_lists) spell each
    code as dim_admin_area's ids do, under the country the question is asked in: an answer
    `kayes` joins `MLI:kayes` (mart_survey_regions)."""
    import csv
    import re

    import yaml

    project = yaml.safe_load((_DIR.parents[1] / "dbt_project" / "dbt_project.yml").read_text())
    area_lists = set(project["vars"]["survey_area_lists"])
    seed = _DIR.parents[1] / "dbt_project" / "seeds" / "admin_areas.csv"
    areas = {row["area_id"] for row in csv.DictReader(seed.open(encoding="utf-8"))}
    checked = set()
    for questionnaire in questionnaires().values():
        for form in questionnaire.versions:
            for question in form.questions:
                if question.list_name not in area_lists:
                    continue
                country = re.search(r"\$\{country\}\s*=\s*'([A-Z]{3})'", question.relevant)
                assert country, f"{question.name}: asked in which country?"
                codes = {c.name for c in questionnaire.choices(question.list_name)}
                unknown = {c for c in codes if f"{country[1]}:{c}" not in areas}
                assert not unknown, f"{question.list_name}: not an area of {country[1]}: {unknown}"
                checked.add(question.list_name)
    assert checked == area_lists
