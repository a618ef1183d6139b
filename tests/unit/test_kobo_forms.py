"""Forms other than ours, shaped like the forms of formpack's test fixtures (grouped and
translated, `or_other`, geopoints, repeats inside repeats): every export option kpi offers
gives the same bronze as the XML export with group paths."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from slc_samples.kobo_export import KoboExport, repeat_rows, submission_rows, to_csv, to_xlsx

from ingest.kobo import read_export
from ingest.tabular import SOURCE_ROW
from ingest.xlsform import Questionnaire, read_form

EN, ES = "English (en)", "Español (es)"
OPTIONS = [
    KoboExport(language=None, groups=False),
    KoboExport(language=EN),
    KoboExport(language=ES, groups=True),
    KoboExport(language=EN, groups=True, group_sep=" / "),
    KoboExport(language=ES, multiple_select="details", hxl=True),
    KoboExport(language=None, groups=True, group_sep="."),
]
CANONICAL = KoboExport(language=None, groups=True)


def _xlsform(path: Path, survey: list[list[str]], choices: list[list[str]], title: str) -> Path:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("survey")
    for i, row in enumerate([["type", "name", f"label::{EN}", f"label::{ES}"], *survey]):
        sheet.write_row(i, 0, row)
    sheet = book.add_worksheet("choices")
    for i, row in enumerate([["list_name", "name", f"label::{EN}", f"label::{ES}"], *choices]):
        sheet.write_row(i, 0, row)
    sheet = book.add_worksheet("settings")
    sheet.write_row(0, 0, ["form_title", "form_id", "version", "default_language"])
    sheet.write_row(1, 0, [title, path.stem, "v1", EN])
    book.close()
    return path


def _grouped_translated(folder: Path) -> Questionnaire:
    """Nested groups, two languages, labels with commas and the ` / ` separator in them."""
    survey = [
        ["start", "start", "", ""],
        ["begin_group", "organism", "Organism", "Organismo"],
        ["begin_group", "shape", "Shape", "Forma"],
        ["select_one symmetry", "symmetry", "Symmetry", "Simetría"],
        ["integer", "cells", "Number of cells", "Número de células"],
        ["end_group", "", "", ""],
        ["select_multiple fluids", "fluids", "Fluids, if any", "Fluidos, si hay"],
        ["text", "note_text", "Remarks", "Observaciones"],
        ["end_group", "", "", ""],
    ]
    choices = [
        ["symmetry", "spherical", "Spherical", "Esférico"],
        ["symmetry", "radial", "Radial", "Radial"],
        ["symmetry", "bilateral", "Bilateral", "Bilateral"],
        ["fluids", "yes", "Yes", "Sí"],
        ["fluids", "yes_and_some", "Yes, and some extracellular space", "Sí, y algo"],
        ["fluids", "no_unsure", "No / Unsure", "No / Inseguro"],
    ]
    return _questionnaire(_xlsform(folder / "organism.xlsx", survey, choices, "Organisms"))


def _or_other(folder: Path) -> Questionnaire:
    survey = [
        ["select_one emperors or_other", "fav", "Favourite emperor?", "¿Emperador favorito?"],
        ["select_multiple emperors or_other", "favs", "Favourite emperors?", "¿Favoritos?"],
    ]
    choices = [
        ["emperors", "julius", "Julius Caesar", "Julio César"],
        ["emperors", "augustus", "Augustus", "Augusto"],
        ["emperors", "caligula", "Caligula", "Calígula"],
    ]
    return _questionnaire(_xlsform(folder / "emperors.xlsx", survey, choices, "Emperors"))


def _geo_and_repeats(folder: Path) -> Questionnaire:
    survey = [
        ["begin_group", "site", "Site", "Sitio"],
        ["geopoint", "where", "Location", "Ubicación"],
        ["end_group", "", "", ""],
        ["begin_repeat", "tree", "For each tree", "Por cada árbol"],
        ["select_one kind", "kind", "Kind of tree", "Tipo de árbol"],
        ["begin_repeat", "nest", "For each nest", "Por cada nido"],
        ["integer", "height", "Height (m)", "Altura (m)"],
        ["end_repeat", "", "", ""],
        ["end_repeat", "", "", ""],
    ]
    choices = [["kind", "pine", "Pine", "Pino"], ["kind", "oak", "Oak", "Roble"]]
    return _questionnaire(_xlsform(folder / "nests.xlsx", survey, choices, "Bird nests survey"))


def _questionnaire(path: Path) -> Questionnaire:
    form = read_form(path)
    return Questionnaire(form.form_id, (form,))


def _meta(n: int) -> dict[str, list]:
    return {
        "uuid": [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)],
        "submitted_at": [f"2021-03-0{1 + i % 9}T10:00:00" for i in range(n)],
        "submission_id": list(range(100, 100 + n)),
        "_index": list(range(1, n + 1)),
    }


FORMS = {
    "grouped_translated": (
        _grouped_translated,
        {
            "start": ["2021-03-01T09:00:00.000+01:00", "2021-03-02T09:00:00.000-04:00", None],
            "symmetry": ["radial", "bilateral", None],
            "cells": ["12", None, "3"],
            "fluids": ["yes_and_some no_unsure", None, "yes"],
            "note_text": ["a, b / c", "", "«quoted»"],
        },
        {},
    ),
    "or_other": (
        _or_other,
        {
            "fav": ["other", "augustus", "julius"],
            "fav_other": ["Nero", None, None],
            "favs": ["caligula other", "julius augustus", None],
            "favs_other": ["Commodus", None, None],
        },
        {},
    ),
    "geo_and_repeats": (
        _geo_and_repeats,
        {"where": ["12.65 -8.0 350 5", None, "13.1 -4.2 0 10"]},
        {
            "tree": {"kind": ["pine", "oak", "oak"], "_parent_index": [1, 1, 3]},
            "nest": {"height": ["3", "7", "2"], "_parent_index": [1, 1, 2]},
        },
    ),
}


def _export(form: Questionnaire, answers: dict, repeats: dict, options: KoboExport, kind: str):
    submissions = pl.DataFrame({**answers, **_meta(len(next(iter(answers.values()))))})
    sheets = {form.title: submission_rows(form, submissions, options)}
    for repeat, values in repeats.items():
        rows = pl.DataFrame(values).with_row_index("_index", offset=1)
        parents = (
            submissions
            if repeat == "tree"
            else pl.DataFrame(repeats["tree"])
            .with_row_index("_index", offset=1)
            .with_columns(pl.lit(None, dtype=pl.String).alias("uuid"))
        )
        sheets[repeat] = repeat_rows(form, repeat, rows, parents, options)
    name = f"{form.form_id}.{kind}"
    return name, (
        to_csv(*sheets[form.title], options) if kind == "csv" else to_xlsx(sheets, options)
    )


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Questionnaire]:
    folder = tmp_path_factory.mktemp("forms")
    return {name: build(folder) for name, (build, _, _) in FORMS.items()}


def _same(a: pl.DataFrame, b: pl.DataFrame, what: str) -> None:
    keep = [c for c in a.columns if c != SOURCE_ROW]
    assert keep == [c for c in b.columns if c != SOURCE_ROW], what
    for column in keep:
        assert a[column].equals(b[column]), f"{what}: {column}"


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: o.describe())
@pytest.mark.parametrize("which", list(FORMS))
def test_a_form_loads_the_same_under_every_option(forms, which, options, kind):
    form = forms[which]
    _, answers, repeats = FORMS[which]
    if kind == "csv" and repeats:
        repeats = {}
    reference = read_export(_export(form, answers, repeats, CANONICAL, kind)[1], f"x.{kind}", form)
    got = read_export(_export(form, answers, repeats, options, kind)[1], f"x.{kind}", form)
    assert got.quarantine.height == reference.quarantine.height == 0
    assert "extras" not in got.related, got.warnings
    _same(reference.bronze, got.bronze, options.describe())
    for repeat in repeats:
        _same(reference.related[repeat], got.related[repeat], f"{options.describe()} {repeat}")


def test_what_the_forms_give(forms):
    """The reference itself is right: labels decoded, or_other kept apart, geopoints split,
    the offset of a time stamp kept while the stamp is stored in UTC."""
    form = forms["grouped_translated"]
    _, answers, _ = FORMS["grouped_translated"]
    bronze = read_export(
        _export(form, answers, {}, KoboExport(language=ES), "xlsx")[1], "x.xlsx", form
    ).bronze
    assert bronze["symmetry"].to_list() == ["radial", "bilateral", None]
    assert bronze["fluids_no_unsure"].to_list() == [1, None, 0]
    assert bronze["start_utc_offset"].to_list() == ["+01:00", "-04:00", None]
    assert str(bronze["start"][1]) == "2021-03-02 13:00:00"
    form = forms["or_other"]
    _, answers, _ = FORMS["or_other"]
    bronze = read_export(
        _export(form, answers, {}, KoboExport(language=EN), "csv")[1], "x.csv", form
    ).bronze
    assert bronze["fav"].to_list() == ["other", "augustus", "julius"]
    assert bronze["fav_other"].to_list() == ["Nero", None, None]
    assert bronze["favs__other"].to_list() == [1, 0, None]
    assert bronze["favs_other"].to_list() == ["Commodus", None, None]
    form = forms["geo_and_repeats"]
    _, answers, repeats = FORMS["geo_and_repeats"]
    parsed = read_export(
        _export(form, answers, repeats, KoboExport(language=EN), "xlsx")[1], "x.xlsx", form
    )
    assert parsed.bronze["where_latitude"].to_list() == [12.65, None, 13.1]
    assert parsed.related["nest"]["height"].to_list() == [3, 7, 2]
    assert parsed.related["tree"]["parent_index"].to_list() == [1, 1, 3]
