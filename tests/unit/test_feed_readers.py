"""Each partner feed's reader on small handcrafted files, one per kind of dirt the sample
generator injects: what is caught equals what was put in, row by row.

The CSVs are written here as text and encoded as partners send them (cp1252, UTF-8 with a
BOM); the workbooks with xlsxwriter, a writer other than the generator's, with merged
title rows, Excel serial dates and repeat sheets as Excel and Akvo Flow produce them.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime

import polars as pl
import pytest
import xlsxwriter

from ingest import aecid, ejom, eutf_rsr, iom, kobo
from ingest.contracts import DeliveryRejected, load_contract
from ingest.kobo import survey_contract
from tests.conftest import REFERENCE


def _reasons(quarantine: pl.DataFrame) -> Counter:
    return Counter(quarantine["_reason"].to_list()) if quarantine.height else Counter()


def _accounted(parsed) -> None:
    assert parsed.rows_read == parsed.bronze.height + parsed.quarantine.height


def _workbook(sheets: dict[str, list[list]], merges: dict[str, list] | None = None) -> bytes:
    """An XLSX as Excel writes it: rows of values per sheet (datetime cells formatted as
    dates, numbers in date columns left bare as serials), optional merged ranges."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime | date):
                    sheet.write_datetime(r, c, value, date_format)
                elif value is not None:
                    sheet.write(r, c, value)
        for first_row, first_col, last_row, last_col, text in (merges or {}).get(name, []):
            sheet.merge_range(first_row, first_col, last_row, last_col, text)
    book.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------- IOM
IOM = load_contract("iom")
GOOD_CASE = {
    "case_id": "ML-2020-000001",
    "case_type": "Migrant de retour",
    "first_name": "Awa",
    "last_name": "Traoré",
    "date_of_birth": "12/03/1995",
    "phone": "+223 76 12 34 56",
    "sex": "Femme",
    "nationality": "Mali",
    "host_country": "Libye",
    "return_type": "RVA - vol charter",
    "arrival_date": "02/03/2020",
    "arrival_allowance_xof": "52000,00",
    "household_adults": "2",
    "status": "Enregistré",
    "last_updated": "05/03/2020",
}


def _iom_csv(rows: list[dict[str, str] | None], template: str, sep: str, encoding: str) -> bytes:
    """As Excel saves a CSV: quoted where a value holds the separator, CRLF line ends."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=sep, lineterminator="\r\n")
    writer.writerow([c.header_for(template) for c in IOM.columns])
    for row in rows:
        writer.writerow([] if row is None else [row.get(c.name, "") for c in IOM.columns])
    return text.getvalue().encode(encoding)


def _case(n: int, **changes: str) -> dict[str, str]:
    return {**GOOD_CASE, "case_id": f"ML-2020-{n:06d}", **changes}


IOM_ROWS: list[dict[str, str] | None] = [
    _case(1),
    _case(2, nationality="MALI", host_country="Cote d'ivoire"),  # spellings: not dirt
    None,  # blank line
    _case(3, arrival_date="31/02/2020"),  # unparseable_date
    _case(4, arrival_allowance_xof="-52000,00"),  # below_minimum
    _case(5, nationality="Atlantide"),  # unknown_country
    None,  # blank line
    _case(6, household_adults="40"),  # above_maximum
    _case(7, sex=""),  # missing_value
    _case(8, return_type="RVA - par avion"),  # unknown_code
    _case(9, host_country="Côte d’Ivoire", arrival_allowance_xof="52 000,00"),
]
IOM_INJECTED = Counter(
    blank_row=2,
    unparseable_date=1,
    below_minimum=1,
    unknown_country=1,
    above_maximum=1,
    missing_value=1,
    unknown_code=1,
)


@pytest.mark.parametrize(
    "name,template,sep,encoding",
    [
        ("OIM_ML_cases_2020-03.csv", "fr_v2", ";", "cp1252"),
        ("OIM_ML_cases_2020-03.csv", "fr_v2", ";", "utf-8-sig"),
        ("OIM_ML_cases_2019-11.csv", "fr", ",", "utf-8"),
    ],
)
def test_iom_csv_dirt_caught_equals_injected(name, template, sep, encoding):
    parsed = iom.parse(_iom_csv(IOM_ROWS, template, sep, encoding), name)
    _accounted(parsed)
    assert parsed.rows_read == len(IOM_ROWS)
    assert _reasons(parsed.quarantine) == IOM_INJECTED
    # Each problem row keeps its original text, its source row and the offending column.
    bad = parsed.quarantine.filter(pl.col("_reason") == "unparseable_date")
    assert bad.select("case_id", "arrival_date", "_column", "_source_row").row(0) == (
        "ML-2020-000003",
        "31/02/2020",
        "arrival_date",
        5,  # the line in the file, the header being line 1
    )
    blank = parsed.quarantine.filter(pl.col("_reason") == "blank_row")["_source_row"]
    assert sorted(blank.to_list()) == [4, 8]
    good = parsed.bronze.sort("case_id")
    assert good["case_id"].to_list() == ["ML-2020-000001", "ML-2020-000002", "ML-2020-000009"]
    assert good["nationality"].to_list() == ["MLI"] * 3
    assert good["host_country"].to_list() == ["LBY", "CIV", "CIV"]
    assert good["arrival_allowance_xof"].to_list() == [52000.0] * 3
    assert good["arrival_date"].to_list() == [date(2020, 3, 2)] * 3
    assert good["sex"].to_list() == ["F"] * 3 and good["return_type"][0] == "avr_charter"
    assert set(good["mission"]) == {"MLI"}


def test_iom_xlsx_in_english_with_excel_serial_dates():
    header = [c.header_for("en") for c in IOM.columns]
    names = [c.name for c in IOM.columns]

    def row(n: int, arrival) -> list:
        values = {
            **GOOD_CASE,
            "case_id": f"GH-2020-{n:06d}",
            "case_type": "Returnee",
            "sex": "Male",
            "nationality": "Ghana",
            "host_country": "Libya",
            "return_type": "AVR - charter flight",
            "status": "Registered",
            "arrival_date": arrival,
            "date_of_birth": datetime(1990, 1, 31),
            "last_updated": datetime(2020, 3, 5),
            "arrival_allowance_xof": 52000,
        }
        return [values.get(name) for name in names]

    content = _workbook(
        {
            "Cases": [
                header,
                row(1, datetime(2020, 3, 2)),  # a date cell
                row(2, 43892),  # the same day as a bare serial number (pasted as values)
                row(3, "02/03/2020"),  # and as text
            ]
        }
    )
    parsed = iom.parse(content, "IOM_GH_cases_2020-03.xlsx")
    _accounted(parsed)
    assert parsed.quarantine.height == 0, parsed.quarantine
    assert parsed.bronze["arrival_date"].to_list() == [date(2020, 3, 2)] * 3
    assert parsed.bronze["date_of_birth"].to_list() == [date(1990, 1, 31)] * 3
    assert set(parsed.bronze["nationality"]) == {"GHA"} and parsed.sheet == "Cases"


def test_iom_file_naming_no_known_mission_is_refused():
    """A two-letter code no country has: its rows would belong to no mission."""
    content = _iom_csv([_case(1)], "fr", ";", "utf-8")
    with pytest.raises(DeliveryRejected, match="'ZZ' is no country code we know"):
        iom.parse(content, "OIM_ZZ_cases_2020-03.csv")


def test_iom_renamed_header_rejects_the_delivery():
    content = _iom_csv([_case(1)], "fr", ";", "utf-8").replace(b"Statut", b"Etat du dossier", 1)
    with pytest.raises(DeliveryRejected, match="Etat du dossier.*unknown column"):
        iom.parse(content, "OIM_ML_cases_2020-03.csv")


def test_iom_export_that_lists_a_case_twice_is_refused_naming_it_and_its_rows():
    """One row per case (the contract's row_key): spaces around a case number do not hide
    a repeat; which of the rows is the case's state cannot be known, so the file is refused."""
    rows = [_case(1), _case(2), _case(3), _case(2, sex="F"), _case(1, case_id=" ML-2020-000001")]
    content = _iom_csv(rows, "fr", ";", "utf-8")
    message = "ML-2020-000001 in rows 2, 6; ML-2020-000002 in rows 3, 5"
    with pytest.raises(DeliveryRejected, match=f"'case_id'.*2 values.*{message}"):
        iom.parse(content, "OIM_ML_cases_2020-03.csv")
    # Two blank case numbers are two rows missing a required value, not a repeat.
    blank = [*rows[:3], _case(4, case_id=" "), _case(5, case_id="  ")]
    parsed = iom.parse(_iom_csv(blank, "fr", ";", "utf-8"), "OIM_ML_cases_2020-03.csv")
    assert parsed.bronze.height == 3 and parsed.quarantine.height == 2


# -------------------------------------------------------------------------------------- EJOM
def _akvo_sheet(
    contract_name: str, rows: list[dict], columns_key: str = "columns", approval: bool = False
) -> list:
    """Akvo Flow layout: group titles above the headers (row 1), headers (row 2), data; the
    `Data approval status` column only for a survey with approval."""
    contract = load_contract(contract_name)
    specs = [s for s in contract.raw[columns_key] if approval or s["name"] != "approval_status"]
    headers = [s["header"] for s in specs]
    names = [s["name"] for s in specs]
    return [["Metadata"] + [None] * (len(headers) - 1), headers] + [
        [r.get(n) for n in names] for r in rows
    ]


def test_ejom_training_duplicates_and_attendance():
    def submission(instance: int, module: str, completed: str = "1:Oui") -> dict:
        return {
            "identifier": f"ab12-cd34-{instance:04d}",
            "display_name": "Fatoumata Keïta",
            "instance": instance,
            "submission_date": "27-01-2020 11:32:22 CET",
            "submitter": "Seydou Coulibaly",
            "beneficiary_id": "zz99-yy88-0001",
            "module": module,
            "start_date": datetime(2020, 1, 20),
            "end_date": datetime(2020, 1, 24),
            "days_present": 5,
            "completed": completed,
        }

    raw = [
        submission(101, "2:Formation technique"),
        submission(102, "1:Compétences de vie"),
        submission(101, "2:Formation technique"),  # the same Instance again: duplicate
        submission(103, "2:Technique (libellé modifié)", completed="2:Non"),  # text may vary
        submission(104, "7:Inconnu"),  # unknown option code
    ]
    attendance = [
        {
            "instance": 101,
            "day": d,
            "attendance_date": datetime(2020, 1, 19 + d),
            "present": "1:Oui",
        }
        for d in range(1, 6)
    ] + [{"instance": 103, "day": 1, "attendance_date": "pas une date", "present": "2:Non"}]
    content = _workbook(
        {
            "Raw Data": _akvo_sheet("ejom_training", raw),
            "Group 3": _akvo_sheet("ejom_training", attendance, "repeat_columns"),
        },
    )
    parsed = ejom.parse(content, "EJOM_training_2020-01.xlsx")
    _accounted(parsed)
    assert parsed.rows_read == 5
    assert _reasons(parsed.quarantine) == Counter(duplicate_submission=1, unknown_code=1)
    assert parsed.bronze["instance"].to_list() == [101, 102, 103]
    assert parsed.bronze["module"].to_list() == ["technical", "life_skills", "technical"]
    assert parsed.bronze["completed"].to_list() == ["true", "true", "false"]
    assert parsed.bronze["submission_date"][0] == datetime(2020, 1, 27, 10, 32, 22)  # UTC
    assert parsed.bronze["submission_date_zone"][0] == "CET"
    assert parsed.related["attendance"].height == 5
    assert _reasons(parsed.related["attendance_quarantine"]) == Counter(unparseable_date=1)
    assert set(parsed.bronze["funding_action"]) == {"T05-EUTF-SAH-ML-09-01"}


def test_akvo_exports_as_the_exporter_writes_them():
    """Zones CET, CEST and UTC give the same instant; a survey with approval keeps its
    status (blank: PENDING); the repeatable group's sheet repeats the metadata and numbers
    the repetitions; an export without that sheet loads with no attendance."""

    def submission(instance: int, stamp: str, approval: str | None) -> dict:
        return {
            "identifier": f"ab12-cd34-{instance:04d}",
            "approval_status": approval,
            "instance": instance,
            "submission_date": stamp,
            "beneficiary_id": "zz99-yy88-0001",
            "module": "1:Compétences de vie",
            "start_date": datetime(2020, 7, 20),
            "completed": "1:Oui",
        }

    raw = [
        submission(1, "27-07-2020 12:00:00 CEST", "Validation SNV - APPROVED"),
        submission(2, "27-07-2020 11:00:00 CET", None),
        submission(3, "27-07-2020 10:00:00 UTC", "Validation SNV - REJECTED"),
    ]
    repeat_headers = [
        "Identifier", "Data approval status", "Repeat no", "Display Name", "Device identifier",
        "Instance", "Submission Date", "Submitter", "Duration", "Form version",
        "301|Jour", "302|Date", "303|Présent ?",
    ]  # fmt: skip
    repeat = [["Metadata"], repeat_headers] + [
        ["ab12-cd34-0001", "", d, "", "", 1, "", "", "", "", d, datetime(2020, 7, 19 + d), "1:Oui"]
        for d in (1, 2)
    ]
    sheets = {"Raw Data": _akvo_sheet("ejom_training", raw, approval=True), "Group 3": repeat}
    parsed = ejom.parse(_workbook(sheets), "EJOM_training_2020-07.xlsx")
    _accounted(parsed)
    assert set(parsed.bronze["submission_date"]) == {datetime(2020, 7, 27, 10, 0, 0)}
    assert parsed.bronze["submission_date_zone"].to_list() == ["CEST", "CET", "UTC"]
    assert parsed.bronze["approval_status"].to_list() == [
        "Validation SNV - APPROVED", "PENDING", "Validation SNV - REJECTED",
    ]  # fmt: skip
    attendance = parsed.related["attendance"]
    assert attendance["repeat_no"].to_list() == [1, 2] and set(attendance["instance"]) == {1}
    without = ejom.parse(_workbook({"Raw Data": sheets["Raw Data"]}), "EJOM_training_2020-07.xlsx")
    assert "attendance" not in without.related and without.bronze.height == 3
    added = _akvo_sheet("ejom_training", raw[:2])
    added[1] = [*added[1], "207|Remarque de l'animateur"]
    added[2] = [*added[2], "Très motivée"]
    kept = ejom.parse(_workbook({"Raw Data": added}), "EJOM_training_2020-07.xlsx")
    _accounted(kept)
    assert kept.related["extras"]["column_header"].to_list() == ["207|Remarque de l'animateur"]
    assert kept.warnings and "207|Remarque de l'animateur" in kept.warnings[0]
    unknown = [submission(4, "27-07-2020 11:00:00 XYZ", None)]
    odd = ejom.parse(
        _workbook({"Raw Data": _akvo_sheet("ejom_training", unknown)}), "EJOM_training_2020-07.xlsx"
    )
    assert _reasons(odd.quarantine) == Counter(unparseable_date=1)


@pytest.mark.parametrize("zone", ["CET", "CEST", "UTC"])
@pytest.mark.parametrize("approval", [False, True])
def test_an_akvo_report_gives_the_same_bronze_in_any_zone_with_or_without_approval(zone, approval):
    """The same submissions, reported by a machine in CET, CEST or UTC, from a survey with
    or without data approval (every one approved): the same EJOM bronze, but for the zone
    and the approval status the report wrote."""
    shift = {"CET": 1, "CEST": 2, "UTC": 0}[zone]

    def report(zone: str, shift: int, approval: bool) -> bytes:
        rows = [
            {
                "identifier": f"ab12-cd34-{i:04d}",
                "approval_status": "Validation SNV - APPROVED" if approval else None,
                "instance": i,
                "submission_date": f"2{i}-03-2020 {9 + shift:02d}:15:00 {zone}",
                "beneficiary_id": "zz99-yy88-0001",
                "module": "2:Formation technique",
                "start_date": datetime(2020, 3, 2),
                "completed": "1:Oui",
            }
            for i in (1, 2, 3)
        ]
        sheet = _akvo_sheet("ejom_training", rows, approval=approval)
        return _workbook({"Raw Data": sheet})

    reference = ejom.parse(report("UTC", 0, False), "EJOM_training_2020-03.xlsx").bronze
    got = ejom.parse(report(zone, shift, approval), "EJOM_training_2020-03.xlsx").bronze
    written = ["submission_date_zone", "approval_status"]
    assert got.drop(written).equals(reference.drop(written))
    assert set(got["submission_date_zone"]) == {zone}
    assert got["approval_status"].null_count() == (0 if approval else 3)


# ------------------------------------------------------------------------------------- AECID
AECID = load_contract("aecid")


def _aecid_sheet(month: str, activities: list[dict | None], total: bool = True) -> list:
    headers = [c.header for c in AECID.columns]
    names = [c.name for c in AECID.columns]
    rows = [
        ["Projet Migration AECID / MMEIA / UE"] + [None] * (len(headers) - 1),
        ["Structure : ASDAP (OSC - AMI 2019)"],
        [f"Région : Kayes — Mois : {month}"],
        [],
        headers,
    ]
    for activity in activities:
        rows.append([] if activity is None else [activity.get(n) for n in names])
    if total:
        n = sum(a["participants"] for a in activities if a)
        rows.append(["TOTAL"] + [None] * (names.index("participants") - 1) + [n])
    return rows


def _activity(no: int, funder: str = "FFU", **changes) -> dict:
    return {
        "activity_no": no,
        "activity_date": datetime(2020, 1, 10 + no),
        "region": "Kayes",
        "cercle": "Kayes",
        "commune": "Kayes",
        "locality": "Khasso",
        "activity_type": "Causerie éducative",
        "themes": "Risques de la migration irrégulière ; Migration légale",
        "men_18_35": 20,
        "women_18_35": 15,
        "participants": 35,
        "potential_migrants": 12,
        "funder": funder,
        **changes,
    }


def test_aecid_titles_totals_blank_rows_and_participants():
    january = [_activity(1), None, _activity(2, funder="MMEIA")]  # a blank row between
    february = [_activity(3, activity_date="31/02/2020"), _activity(4, funder="UE/FFU")]
    participants = [
        ["N° activité", "Nom", "Prénom", "Sexe", "Âge", "Téléphone"],
        [1, "Diallo", "Mamadou", "H", 19, "76 00 00 01"],
        [1, "Sidibé", "Aminata", "F", 8, "76 00 00 02"],  # age below 10: out of range
    ]
    merge = [(0, 0, 0, 8, "Projet Migration AECID / MMEIA / UE")]
    content = _workbook(
        {
            "Janvier 2020": _aecid_sheet("Janvier 2020", january),
            "Février 2020": _aecid_sheet("Février 2020", february),
            "Participants": participants,
        },
        merges={"Janvier 2020": merge, "Février 2020": merge},
    )
    parsed = aecid.parse(content, "AECID_asdap_2020-T1.xlsx")
    _accounted(parsed)
    assert parsed.rows_read == 7  # 4 activities, 1 blank row, 2 TOTAL rows
    assert _reasons(parsed.quarantine) == Counter(totals_row=2, blank_row=1, unparseable_date=1)
    assert parsed.bronze["activity_no"].to_list() == [1, 2, 4]
    assert parsed.bronze["funding_action"].to_list() == [
        "T05-EUTF-SAH-ML-07-01",
        "MMEIA",
        "T05-EUTF-SAH-ML-07-01",
    ]
    assert set(parsed.bronze["organisation"]) == {"ASDAP"}
    assert set(parsed.bronze["organisation_type"]) == {"osc"}
    assert set(parsed.bronze["call_year"]) == {2019}
    assert parsed.related["participants"].height == 1
    assert _reasons(parsed.related["participants_quarantine"]) == Counter(below_minimum=1)


# -------------------------------------------------------------------------------------- KoBo
RETURNEE = survey_contract("returnee")


def _kobo_csv(rows: list[dict | None]) -> bytes:
    headers = [c.header for c in RETURNEE.columns]
    names = [c.name for c in RETURNEE.columns]
    lines = [";".join(headers)] + [
        "" if r is None else ";".join(str(r.get(n, "")) for n in names) for r in rows
    ]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def _submission(n: int, **changes) -> dict:
    return {
        "start": "2021-01-20T10:02:11.000+00:00",
        "end": "2021-01-20T10:31:40.000+00:00",
        "cycle": 3,
        "country": "MLI",
        "nom_repondant": "Bakary Konaté",
        "telephone": "66 12 34 56",
        "sexe": "m",
        "age": 27,
        "retour_oim": "oui",
        "raison_depart": "economique",
        "submission_id": 5000 + n,
        "uuid": f"2b1f0c8e-0000-4000-8000-{n:012d}",
        "submitted_at": "2021-01-20T10:32:00",
        "form_version": "vC3-2020-08",
        "row_index": n,
        **changes,
    }


def test_kobo_duplicates_blank_lines_and_autre():
    rows = [
        _submission(1),
        _submission(2, raison_depart="autre", raison_depart_autre="Rejoindre un frère"),
        None,  # blank line
        _submission(1, submission_id=5099, row_index=9),  # the same _uuid again
        _submission(3, sexe="x"),  # unknown choice
        _submission(4, submitted_at="hier"),  # unparseable
    ]
    parsed = kobo.parse(_kobo_csv(rows), "TPML_returnee_MLI_C3_2021-01-31.csv")
    _accounted(parsed)
    assert parsed.rows_read == 6
    assert _reasons(parsed.quarantine) == Counter(
        blank_row=1, duplicate_submission=1, unknown_code=1, unparseable_date=1
    )
    assert parsed.bronze["submission_id"].to_list() == [5001, 5002]
    assert parsed.bronze["raison_depart_autre"].to_list() == [None, "Rejoindre un frère"]
    assert set(parsed.bronze["country"]) == {"MLI"} and set(parsed.bronze["cycle"]) == {3}


# ------------------------------------------------------------------------- declared schemas
def _delivery_samples(sample) -> list:
    picks = [
        "iom/OIM_ML_cases_2019-0*.csv",
        "iom/IOM_GH_cases_*.xlsx",
        *(f"ejom/EJOM_{form}_*.xlsx" for form in ("registration", "training", "kits", "smes")),
        "aecid/AECID_*.xlsx",
        "kobo/TPML_returnee_*.csv",
        "kobo/TPML_returnee_*.xlsx",
        "kobo/TPML_sensitisation_*.xlsx",
    ]
    found = [sorted(sample.glob(p))[-1] for p in picks]
    rsr = REFERENCE / "eutf_rsr"
    return found + sorted(rsr.glob("*.csv"))


def test_every_delivery_has_the_declared_bronze_schema(small_sample):
    """Bronze types are explicit: each table of a real delivery has exactly the columns and
    types of the feed's declared schema (the one dbt reads before a first delivery)."""
    from datetime import UTC

    from ingest.bronze_schema import empty_bronze, with_lineage
    from ingest.feeds import MAIN, declares_schema
    from ingest.pseudonymise import protect

    parsers = {"iom": iom.parse, "ejom": ejom.parse, "aecid": aecid.parse, "kobo": kobo.parse}
    parsers["eutf_rsr"] = eutf_rsr.parse
    key = b"k" * 32
    for path in _delivery_samples(small_sample):
        feed = path.parent.name
        assert declares_schema(feed), feed
        parsed = protect(parsers[feed](path.read_bytes(), path.name), feed, key)
        tables = {MAIN: parsed.bronze} | {
            name: frame for name, frame in parsed.related.items() if "quarantine" not in name
        }
        for table, frame in tables.items():
            real = with_lineage(
                frame,
                feed=feed,
                file_name=path.name,
                sha256="x",
                sheet=parsed.sheet,
                delivery_key="k",
                ingested_at=datetime.now(UTC),
            )
            declared = empty_bronze(feed, table, lambda p, f=feed: protect(p, f, key)).schema
            extra = {c: t for c, t in real.schema.items() if declared.get(c) != t}
            assert not extra, f"{path.name} [{table or 'main'}]: undeclared or mistyped {extra}"
