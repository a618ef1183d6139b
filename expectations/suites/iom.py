"""Bronze suite of the IOM case-management exports (each export, before it is accepted).

The mission of an export (from its file name) is an SLC country; a returnee is a national
of the mission's country; the arrival allowance is 52,000 FCFA; the cash amount follows the
household formula and transport its daily rate (expectations/domain_rules.yml); ages are
plausible. A country code the registry does not know is a row problem, caught by the
contract (quarantine); these rules catch values that are valid codes but wrong.
"""

from __future__ import annotations

import polars as pl

from expectations.bronze import BronzeCheck, Delivery
from expectations.registry import slc_country_codes
from expectations.rules import between, equal, in_set, rules, when


def case_rows(delivery: Delivery) -> pl.DataFrame:
    """The columns the rules need, with the amounts the formulas give beside those written."""
    cash = rules()["cash_formula_xof"]
    household = pl.all_horizontal(pl.col(c).is_not_null() for c in cash)
    return delivery.bronze.select(
        "mission",
        "case_type",
        "nationality",
        "age_at_event",
        "arrival_allowance_xof",
        "cash_amount_xof",
        # A formula over an incomplete household is no formula: compared only when complete.
        pl.when(household)
        .then(pl.sum_horizontal(pl.col(c) * rate for c, rate in cash.items()))
        .cast(pl.Float64)
        .alias("cash_formula_xof"),
        "transport_xof",
        (pl.col("transport_days") * rules()["transport_xof_per_day"])
        .cast(pl.Float64)
        .alias("transport_formula_xof"),
    )


def case_expectations() -> list:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="mission"),
        in_set("mission", slc_country_codes()),
        equal("nationality", "mission", **when('case_type=="returnee"')),
        in_set("arrival_allowance_xof", [float(rules()["arrival_allowance_xof"])]),
        equal("cash_amount_xof", "cash_formula_xof"),
        equal("transport_xof", "transport_formula_xof"),
        between("age_at_event", rules()["beneficiary_age"]),
    ]


BRONZE_CHECKS = [BronzeCheck("bronze_iom_cases", case_rows, case_expectations)]
