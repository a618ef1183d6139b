"""The Frontex reader: both published formats, the contract, and row-level quarantine."""

from __future__ import annotations

import polars as pl
import pytest

from ingest.contracts import DeliveryRejected
from ingest.frontex import parse
from tests.conftest import FRONTEX_CSV, FRONTEX_XLSX

NAME = "Frontex-Monthly_detections_of_IBC_20220204.csv"


def mali_year(frame: pl.DataFrame, year: int) -> int:
    mali = frame.filter(pl.col("nationality") == "Mali")
    return int(mali.select(pl.sum_horizontal(pl.col(f"^[a-z]{{3}}{year}$"))).sum().item())


@pytest.fixture(scope="module")
def csv_parsed():
    return parse(FRONTEX_CSV.read_bytes(), FRONTEX_CSV.name)


def test_csv_with_bom_reads_every_row_typed(csv_parsed):
    assert csv_parsed.rows_read == 833
    assert csv_parsed.bronze.height == 833 and csv_parsed.quarantine.height == 0
    assert csv_parsed.bronze.columns[:4] == ["route", "border_type", "nationality", "jan2009"]
    assert csv_parsed.bronze.schema["dec2021"] == pl.Int64
    assert csv_parsed.bronze["_source_row"].to_list()[:2] == [2, 3]


def test_mali_figures_match_the_source(csv_parsed):
    assert [mali_year(csv_parsed.bronze, y) for y in (2014, 2018, 2020)] == [10567, 11728, 1034]


def test_xlsx_gives_the_same_frame_as_csv(csv_parsed):
    xlsx = parse(FRONTEX_XLSX.read_bytes(), FRONTEX_XLSX.name)
    assert xlsx.sheet == "Detections_of_IBC"
    # Known quirk: the XLSX marks Palestine with a footnote sign the CSV drops; the country
    # registry maps both spellings, bronze keeps what was delivered.
    assert set(xlsx.bronze["nationality"]) - set(csv_parsed.bronze["nationality"]) == {"Palestine^"}
    restored = xlsx.bronze.with_columns(pl.col("nationality").str.strip_suffix("^"))
    assert restored.equals(csv_parsed.bronze)


def _csv(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def test_comma_separated_cp1252_is_detected():
    content = _csv(
        ["Route,Border type or inland,Nationality,JAN2021,FEB2021", "Other,Sea,Côte d'Ivoire,1,2"],
        encoding="cp1252",
    )
    parsed = parse(content, NAME)
    assert parsed.bronze.row(0)[:5] == ("Other", "Sea", "Côte d'Ivoire", 1, 2)


@pytest.mark.parametrize(
    ("header", "column", "message"),
    [
        ("Route;Border type;Nationality;JAN2021", "Border type", "unknown column"),
        ("Route;Nationality;JAN2021;FEB2021", "Border type or inland", "required column missing"),
        ("Route;Border type or inland;Nationality;JAN2021;Comment", "Comment", "unknown column"),
        ("Route;Border type or inland;Nationality;JANUARY2021", "JANUARY2021", "unknown column"),
    ],
)
def test_header_breaking_the_contract_rejects_the_delivery(header, column, message):
    with pytest.raises(DeliveryRejected) as error:
        parse(_csv([header, "Other;Sea;Mali;1"]), NAME)
    assert error.value.column == column
    assert NAME in str(error.value) and message in str(error.value)


def test_bad_cells_go_to_quarantine_with_reason_and_accounting_holds():
    content = _csv(
        [
            "Route;Border type or inland;Nationality;JAN2021;FEB2021",
            "Other;Sea;Mali;1;2",
            "Other;Sea;Niger;-4;2",
            "Other;Sea;Chad;abc;2",
            "Other;Sea;;1;1",
            "Other;Sea;Ghana;;3",
        ]
    )
    parsed = parse(content, NAME)
    assert parsed.rows_read == parsed.bronze.height + parsed.quarantine.height == 5
    reasons = dict(zip(parsed.quarantine["_source_row"], parsed.quarantine["_reason"], strict=True))
    assert reasons == {3: "negative_count", 4: "not_a_count", 5: "missing_value"}
    assert parsed.quarantine.filter(pl.col("_source_row") == 4)["jan2021"].item() == "abc"
    assert parsed.bronze.filter(pl.col("nationality") == "Ghana")["jan2021"].item() is None
