"""Bronze suites of the EJOM monitoring exports (Akvo Flow; one form per delivery).

Registrations: plausible ages. Trainings: life skills last three days and technical
training five, first to last day included, and nobody is present more days than the module
lasts. Kits: the first tranche is 70% of the 300,000 FCFA kit, the second the rest
(expectations/domain_rules.yml). Regions are codes of the contract (Mali only).
"""

from __future__ import annotations

import polars as pl

from expectations.bronze import BronzeCheck, Delivery
from expectations.rules import at_most, between, in_set, rules, when


def _form(delivery: Delivery, column: str) -> bool:
    return column in delivery.bronze.columns and delivery.bronze[column].is_not_null().any()


def registration_rows(delivery: Delivery) -> pl.DataFrame | None:
    if not _form(delivery, "cohort"):
        return None
    return delivery.bronze.select("age_at_event")


def registration_expectations() -> list:
    return [between("age_at_event", rules()["beneficiary_age"])]


def training_rows(delivery: Delivery) -> pl.DataFrame | None:
    if not _form(delivery, "module"):
        return None
    return delivery.bronze.select(
        "module",
        "days_present",
        ((pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1).alias("duration_days"),
    )


def training_expectations() -> list:
    days = rules()["ejom_training_days"]
    return [
        in_set("module", days),
        *[in_set("duration_days", [n], **when(f'module=="{m}"')) for m, n in days.items()],
        at_most("days_present", "duration_days"),
    ]


def kit_rows(delivery: Delivery) -> pl.DataFrame | None:
    if not _form(delivery, "tranche"):
        return None
    return delivery.bronze.select("tranche", "amount_xof")


def kit_expectations() -> list:
    kit, share = rules()["ejom_kit_xof"], rules()["ejom_first_tranche_share"]
    return [
        in_set("tranche", ["1", "2"]),
        in_set("amount_xof", [float(round(kit * share))], **when('tranche=="1"')),
        in_set("amount_xof", [float(round(kit * (1 - share)))], **when('tranche=="2"')),
    ]


BRONZE_CHECKS = [
    BronzeCheck("bronze_ejom_registrations", registration_rows, registration_expectations),
    BronzeCheck("bronze_ejom_trainings", training_rows, training_expectations),
    BronzeCheck("bronze_ejom_kits", kit_rows, kit_expectations),
]
