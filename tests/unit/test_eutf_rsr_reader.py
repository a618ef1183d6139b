"""The real EUTF results export (Akvo RSR) read as shipped: nothing lost, numbers and text kept."""

from __future__ import annotations

import polars as pl
import pytest

from ingest import eutf_rsr
from ingest.contracts import DeliveryRejected
from tests.conftest import REFERENCE

RSR = REFERENCE / "eutf_rsr"


@pytest.mark.parametrize(
    "name, rows",
    [
        ("EUTF_akvo_results.csv", 15278),
        ("EUTF_projects_akvo.csv", 644),
        ("EUTF_akvo_recipients.csv", 1122),
        ("EUTF_akvo_orgs.csv", 271),
    ],
)
def test_every_row_is_in_bronze_or_quarantine(name, rows):
    parsed = eutf_rsr.parse((RSR / name).read_bytes(), name)
    assert parsed.rows_read == rows == parsed.bronze.height + parsed.quarantine.height
    # The export's own blanks (results without a title, two empty project rows) are quarantined.
    assert set(parsed.quarantine["_reason"].to_list()) <= {"missing_value"}


def test_actuals_keep_their_text_and_their_number():
    parsed = eutf_rsr.parse((RSR / "EUTF_akvo_results.csv").read_bytes(), "EUTF_akvo_results.csv")
    mali = parsed.bronze.filter(
        (pl.col("iati_id") == "T05-EUTF-SAH-ML-07-02") & pl.col("title").str.starts_with("3.4 ")
    )
    assert mali["actual_value"].to_list() == [3208.0]
    qualitative = parsed.bronze.filter(pl.col("actual") == "N/A")
    assert qualitative.height > 0 and qualitative["actual_value"].null_count() == qualitative.height


def test_budgets_in_scientific_notation_are_numbers():
    parsed = eutf_rsr.parse((RSR / "EUTF_projects_akvo.csv").read_bytes(), "EUTF_projects_akvo.csv")
    row = parsed.bronze.filter(pl.col("iati_id") == "T05-EUTF-NOA-REG-13-01")
    assert parsed.bronze["budget"].dtype == pl.Float64 and row.height == 1
    assert set(parsed.bronze["prefix"].drop_nulls()) == {"DEC", "CTR"}


def test_an_unknown_file_is_refused_by_name():
    with pytest.raises(DeliveryRejected, match="EUTF_other.csv"):
        eutf_rsr.parse(b"a,b\n1,2\n", "EUTF_other.csv")
