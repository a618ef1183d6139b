"""Bronze suite of the AECID activity workbooks (each quarterly workbook of an organisation).

The region is one of Mali's (as the admin-area registry names them, accents aside); the
total is the sum of the six sex-and-age bands; potential migrants and returnees involved
are part of the participants, never more.
"""

from __future__ import annotations

import polars as pl

from expectations.bronze import BronzeCheck, Delivery
from expectations.registry import region_area_ids
from expectations.rules import at_most, equal, in_set
from ingest.countries import normalise_name

BANDS = ["men_15_17", "men_18_35", "men_36_plus", "women_15_17", "women_18_35", "women_36_plus"]


def activity_rows(delivery: Delivery) -> pl.DataFrame:
    return delivery.bronze.select(
        "region",
        pl.col("region")
        .map_elements(lambda r: "MLI:" + normalise_name(r).replace(" ", "_"), pl.String)
        .alias("region_area_id"),
        "participants",
        pl.when(pl.any_horizontal(pl.col(b).is_not_null() for b in BANDS))
        .then(pl.sum_horizontal(BANDS))
        .alias("participants_by_band"),
        "potential_migrants",
        "returnees_involved",
    )


def activity_expectations() -> list:
    return [
        in_set("region_area_id", region_area_ids("MLI")),
        equal("participants", "participants_by_band"),
        at_most("potential_migrants", "participants"),
        at_most("returnees_involved", "participants"),
    ]


BRONZE_CHECKS = [BronzeCheck("bronze_aecid_activities", activity_rows, activity_expectations)]
