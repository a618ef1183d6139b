"""KoBo exports load the same whatever export options wrote them.

The sample generator's canonical export (XML names with group paths) is the reference; the
same submissions are exported again as kpi would under each option (slc_samples.kobo_export,
written from formpack's rules, not from our reader) and must give the same bronze."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from slc_samples import surveys
from slc_samples.kobo_export import (
    KoboExport,
    file_name,
    repeat_rows,
    sheet_name,
    submission_rows,
    to_csv,
    to_xlsx,
)
from slc_samples.writers import DirtLog

from ingest import kobo
from ingest.tabular import SOURCE_ROW, read_table

FR, EN = "Français (fr)", "English (en)"
OPTIONS = [
    KoboExport(language=None, groups=False),
    KoboExport(language=None, groups=True),
    KoboExport(language=FR),  # kpi's default: labels of the first language
    KoboExport(language=FR, groups=True),
    KoboExport(language=EN, groups=True, group_sep=" / "),
    KoboExport(language=None, groups=True, multiple_select="summary"),
    KoboExport(language=FR, multiple_select="summary"),
    KoboExport(language=None, multiple_select="details", hxl=True),
    KoboExport(language=FR, copy_fields=("_uuid", "_submission_time"), index=False),
    KoboExport(language=None, groups=True, group_sep="."),
    KoboExport(language=FR, groups=True, csv_separator=","),
]
#: Columns an export under some options does not carry, and so cannot give back.
NOT_IN_EVERY_EXPORT = {"submission_id", "validation_status", "form_version", "row_index"}


@pytest.fixture(scope="module")
def canonical(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("kobo_canonical")
    canonical_layout = KoboExport(language=None, groups=True)
    with pytest.MonkeyPatch.context() as patch:  # every office exports XML with group paths
        patch.setattr(surveys, "layout_for", lambda country, cycle: canonical_layout)
        surveys.write_surveys(out, 20210401, DirtLog())
    files = sorted((out / "kobo").glob("*.xlsx"))
    pick = {
        "returnee_c3": next(f for f in files if "returnee_MLI_C3" in f.name),
        "returnee_c1": next(f for f in files if "returnee_NER_C1" in f.name),
        "sensitisation": next(f for f in files if "sensitisation_MLI" in f.name),
    }
    return pick


def _answers(path: Path, survey: str, sheet: str, repeat: str | None = None) -> pl.DataFrame:
    """A canonical export's sheet as canonical names (what the generator answered)."""
    contract = kobo.repeat_contract(survey, repeat) if repeat else kobo.survey_contract(survey)
    names = {c.header: c.name for c in contract.columns}
    table = read_table(path.read_bytes(), path.name, sheet)
    frame = table.frame.drop(SOURCE_ROW)
    frame = frame.rename({h: names.get(h, h) for h in frame.columns})
    renamed = {"row_index": "_index", "parent_index": "_parent_index"}
    return frame.rename({k: v for k, v in renamed.items() if k in frame.columns}).with_columns(
        pl.col("_index").cast(pl.Int64),
        *([pl.col("_parent_index").cast(pl.Int64)] if repeat else []),
    )


def _export(path: Path, survey: str, options: KoboExport, kind: str) -> tuple[str, bytes]:
    form = kobo.questionnaires()[survey]
    answers = _answers(path, survey, sheet_name(form.title))
    sheets = {form.title: submission_rows(form, answers, options)}
    for repeat in form.repeats():
        rows = _answers(path, survey, repeat, repeat)
        sheets[repeat] = repeat_rows(form, repeat, rows, answers, options)
    # The reader learns the survey, country and cycle from our naming until KoBo's own
    # file names land as they are; the layout inside is KoBo's.
    name = path.name.replace(".xlsx", f".{kind}")
    content = to_csv(*sheets[form.title], options) if kind == "csv" else to_xlsx(sheets, options)
    return name, content


def _summary_only(bronze: pl.DataFrame, survey: str, repeat: str | None = None) -> pl.DataFrame:
    """What a summary-only export can say: a select_multiple nobody ticked anything at has a
    blank summary, as one not asked, so its 0/1 columns come back blank (docs/feeds/kobo.md)."""
    form = kobo.questionnaires()[survey]
    fixes = []
    for q in form.questions(repeat):
        if q.type == "select_multiple" and q.list_name:
            for c in form.choices(q.list_name):
                split = f"{q.name}_{c.name}"
                fixes.append(
                    pl.when(pl.col(q.name).is_null())
                    .then(None)
                    .otherwise(pl.col(split))
                    .alias(split)
                )
    return bronze.with_columns(fixes)


def _comparable(frame: pl.DataFrame, drop: set[str]) -> pl.DataFrame:
    keep = [c for c in frame.columns if c not in drop and c != SOURCE_ROW]
    return frame.select(keep).sort("uuid" if "uuid" in keep else keep)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: o.describe())
@pytest.mark.parametrize("which", ["returnee_c3", "returnee_c1", "sensitisation"])
def test_every_export_option_gives_the_same_bronze(canonical, which, options, kind):
    path = canonical[which]
    survey = "sensitisation" if which == "sensitisation" else "returnee"
    expected = kobo.parse(path.read_bytes(), path.name)
    name, content = _export(path, survey, options, kind)
    got = kobo.parse(content, name)
    assert got.quarantine.height == expected.quarantine.height
    assert got.rows_read == expected.rows_read
    missing = NOT_IN_EVERY_EXPORT if options.copy_fields != KoboExport().copy_fields else set()
    drop = missing - {"row_index"} if options.index else missing
    reference = expected.bronze
    if options.multiple_select == "summary":
        reference = _summary_only(reference, survey)
    a, b = _comparable(reference, drop), _comparable(got.bronze, drop)
    assert a.columns == b.columns
    for column in a.columns:
        assert a[column].equals(b[column]), f"{options.describe()} {kind}: {column}"
    if kind == "xlsx" and survey == "sensitisation":
        reference = expected.related["activities"]
        if options.multiple_select == "summary":
            reference = _summary_only(reference, survey, "activites")
        a = _comparable(reference, {"parent_table", "submission_uuid"})
        b = _comparable(got.related["activities"], {"parent_table", "submission_uuid"})
        assert a.equals(b)
    assert "extras" not in got.related, got.warnings


def test_a_column_the_form_does_not_declare_is_kept_and_named(canonical):
    path = canonical["returnee_c3"]
    form = kobo.questionnaires()["returnee"]
    options = KoboExport(language=FR)
    headers, rows = submission_rows(
        form, _answers(path, "returnee", sheet_name(form.title)), options
    )
    headers = [*headers, "Commentaire enquêteur"]
    rows = [[*r, "RAS" if i % 2 else ""] for i, r in enumerate(rows)]
    parsed = kobo.parse(to_csv(headers, rows, options), path.name.replace(".xlsx", ".csv"))
    extras = parsed.related["extras"]
    assert set(extras["column_header"]) == {"Commentaire enquêteur"}
    assert extras.height == sum(1 for i in range(len(rows)) if i % 2)
    assert parsed.warnings and "Commentaire enquêteur" in parsed.warnings[0]
    assert parsed.rows_read == parsed.bronze.height + parsed.quarantine.height


def test_a_missing_required_column_refuses_the_delivery_naming_it(canonical):
    path = canonical["returnee_c3"]
    form = kobo.questionnaires()["returnee"]
    options = replace(KoboExport(), copy_fields=("_id", "_submission_time"))
    headers, rows = submission_rows(
        form, _answers(path, "returnee", sheet_name(form.title)), options
    )
    with pytest.raises(kobo.DeliveryRejected, match="_uuid"):
        kobo.parse(to_csv(headers, rows, options), path.name.replace(".xlsx", ".csv"))


def test_time_stamps_keep_their_offset_and_are_stored_in_utc(canonical):
    path = canonical["returnee_c3"]
    form = kobo.questionnaires()["returnee"]
    answers = _answers(path, "returnee", sheet_name(form.title)).with_columns(
        pl.col("start").str.replace(r"\+00:00$", "-04:00")
    )
    options = KoboExport()
    parsed = kobo.parse(
        to_csv(*submission_rows(form, answers, options), options),
        path.name.replace(".xlsx", ".csv"),
    )
    expected = kobo.parse(path.read_bytes(), path.name).bronze.sort("uuid")
    got = parsed.bronze.sort("uuid")
    assert set(got["start_utc_offset"]) == {"-04:00"}
    assert (got["start"] - expected["start"]).dt.total_hours().unique().to_list() == [4]


def test_kpi_sheet_and_file_names():
    form = kobo.questionnaires()["returnee"]
    assert sheet_name(form.title) == "TPML - Enquête migrants de r..."
    assert len(sheet_name("a" * 40)) == 31
    assert file_name(form, KoboExport(language="default"), "2021-01-15-10-22-33", "xlsx") == (
        "TPML_-_Enquête_migrants_de_retour_-_all_versions_-_labels_-_2021-01-15-10-22-33.xlsx"
    )


@pytest.mark.parametrize("language", [None, "default", FR])
def test_kobo_s_own_export_name_lands_as_it_is(canonical, language):
    """kpi's file name (`<title> - all versions - <labels|_xml|language> - <time>`, as a
    browser saves it) names the survey by its form's title; the key is the project's."""
    path = canonical["sensitisation"]
    form = kobo.questionnaires()["sensitisation"]
    options = KoboExport(language=FR if language == "default" else language)
    _, content = _export(path, "sensitisation", options, "xlsx")
    name = file_name(form, KoboExport(language=language), "2021-02-10-08-15-00", "xlsx")
    got = kobo.parse(content, name)
    expected = kobo.parse(path.read_bytes(), path.name)
    assert got.bronze.drop(SOURCE_ROW).equals(expected.bronze.drop(SOURCE_ROW))
    assert set(got.bronze["survey"]) == {"sensitisation"}
    contract = kobo.load_contract("kobo")
    assert contract.delivery_key(name) == f"kobo:{form.title.replace(' ', '_')}"
    later = name.replace("2021-02-10-08-15-00", "2021-03-01-09-00-00")
    assert contract.revision(later) > contract.revision(name)


def test_an_export_of_another_form_is_refused_naming_the_file():
    name = "Enquête_ménages_-_all_versions_-_labels_-_2021-01-15-10-22-33.xlsx"
    with pytest.raises(kobo.DeliveryRejected, match="not a KoBo export of a known form") as err:
        kobo.parse(b"PK\x03\x04", name)
    assert str(err.value).startswith(name) and "\n" not in str(err.value)


def test_rows_of_another_country_than_the_file_name_s_load_with_a_warning(canonical):
    path = canonical["returnee_c3"]
    content = path.read_bytes()
    parsed = kobo.parse(content, path.name.replace("_MLI_", "_NER_"))
    assert set(parsed.bronze["country"]) == {"MLI"}, "the rows say where"
    assert any("the file name says country NER" in w and "MLI (" in w for w in parsed.warnings)
    assert not kobo.parse(content, path.name).warnings
