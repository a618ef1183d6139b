"""IOM case-management exports: one country mission at a time, one cumulative file per month.

Cases are generated once per country with their whole history (final state), then each
monthly export shows every case registered by the end of that month as it stood then:
later events are not yet known. Volumes follow the EUTF results export for the country's
Joint Initiative contract; Mali also follows every dated statement of the TPML report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ingest.contracts import load_contract
from ingest.countries import names
from slc_samples.config import config, month
from slc_samples.people import people
from slc_samples.timeline import (
    DAY,
    allocate,
    allocate_anchored,
    between,
    d64,
    dates_in_months,
    month_end,
    months,
    pick,
)
from slc_samples.writers import DirtLog, csv_bytes, insert_blank_rows, write_xlsx

CONTRACT = load_contract("iom")
PERIOD_END = d64("2021-12-31")
PERIOD_START = d64("2017-05-01")
NaT = np.datetime64("NaT", "D")

#: Return types by host country (returnees), as weights.
RETURN_TYPES = {
    "NER": {"avr_land": 0.5, "avr_charter": 0.3, "avr_commercial": 0.2},
    "LBY": {"vhr_charter": 0.7, "avr_commercial": 0.3},
    "DZA": {"expelled": 0.6, "avr_charter": 0.4},
    "default": {"avr_commercial": 0.6, "avr_land": 0.25, "avr_charter": 0.15},
}
TRAINING_CENTRES = ["ECICA", "CFPM", "BERD", "COPCC", "ENDA", "Centre Songhaï", "CFP Kayes"]
KIT_TYPES = ["agriculture", "élevage", "commerce", "couture", "mécanique", "restauration"]

# Dates that, when still in the future at an export's month, blank these columns too.
DEPENDENTS = {
    "vulnerability_screening_date": ["vulnerable"],
    "psychosocial_first_date": ["psychosocial_sessions", "psychosocial_mode"],
    "reintegration_start_date": ["counselling_sessions", "reintegration_action"],
    "cash_date": ["household_adults", "children_14_18", "children_0_13", "cash_amount_xof"],
    "kit_date": ["kit_type", "kit_value_xof"],
    "training_start_date": ["training_centre"],
    "training_end_date": ["training_allowance_xof", "transport_days", "transport_xof"],
    "project_date": ["project_type", "project_value_xof"],
    "departure_date": ["movement_ref", "return_action"],
    "medical_date": [],
    "ejom_referral_date": [],
    "reintegration_completed_date": [],
    "closed_date": [],
}


def curve(month_list: list[dt.date], rng: np.random.Generator) -> np.ndarray:
    """Relative monthly activity of a mission: ramp-up in 2017, COVID-19 stop in 2020."""
    weights = []
    for m in month_list:
        if m.year == 2017:
            w = 0.4 + 0.07 * (m.month - 5)
        elif m.year == 2018:
            w = 1.2
        elif m.year == 2019:
            w = 1.0
        elif m.year == 2020 and m.month <= 2:
            w = 0.9
        elif m.year == 2020 and m.month == 3:
            w = 0.3
        elif m.year == 2020 and m.month <= 6:
            w = 0.05
        elif m.year == 2020:
            w = 0.6
        else:
            w = 0.7
        weights.append(w)
    return np.array(weights) * rng.uniform(0.85, 1.15, len(weights))


def _weighted(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return rng.choice(np.array(keys, dtype=object), n, p=p / p.sum())


def _month_index(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[M]")


@dataclass
class MissionCases:
    iso3: str
    returnees: pl.DataFrame
    transit: pl.DataFrame
    #: Returnees IOM referred to EJOM (Mali): the EJOM generator registers these people.
    referred: pl.DataFrame


def _arrival_counts(
    iso3: str,
    scale: float,
    total: int,
    month_list: list[dt.date],
    rng: np.random.Generator,
    h1_2020: int,
) -> np.ndarray:
    iom = config()["iom"]
    weights = curve(month_list, rng)
    if iso3 == "MLI":
        for i, m in enumerate(month_list):  # interruptions of 2020 (COVID-19, then politics)
            if dt.date(2020, 4, 1) <= m <= dt.date(2020, 6, 1) or m in (
                dt.date(2020, 8, 1),
                dt.date(2020, 9, 1),
            ):
                weights[i] = 0
        anchors = {month(k): round(v * scale) for k, v in iom["mali_arrivals_cumulative"].items()}
        return allocate_anchored(month_list, weights, anchors, total)
    window = np.array([dt.date(2020, 1, 1) <= m <= dt.date(2020, 6, 1) for m in month_list])
    counts = np.zeros(len(month_list), dtype=np.int64)
    counts[window] = allocate(h1_2020, weights[window])
    counts[~window] = allocate(total - h1_2020, weights[~window])
    return counts


def returnees(
    iso3: str, scale: float, volumes: dict[str, int], h1_2020: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Nationals of a country returning home: arrival, post-arrival and reintegration."""
    cfg, iom = config(), config()["iom"]
    contract = cfg["countries"][iso3]["contract"]
    other = iom["non_eutf_funder"]
    share = iom["non_eutf_share"]
    month_list = months(month(cfg["period"]["start"]), month(cfg["period"]["end"]))
    mali = iso3 == "MLI"
    n_post_arrival = round(volumes["3.5"] * scale)
    n_reintegration = round(volumes["3.5 bis"] * scale)
    if mali:
        total = round(max(iom["mali_arrivals_cumulative"].values()) * scale)
    else:
        total = round(max(n_post_arrival, n_reintegration) * (1 + share))
    counts = _arrival_counts(iso3, scale, total, month_list, rng, h1_2020)
    arrival = dates_in_months(rng, month_list, counts)
    n = len(arrival)
    person = people(rng, n, iso3, female_share=0.1)

    hosts = {k: v for k, v in iom["hosts"].items() if k != iso3}
    host = _weighted(rng, hosts, n)
    return_type = np.empty(n, dtype=object)
    for key in np.unique(host):
        mask = host == key
        return_type[mask] = _weighted(
            rng, RETURN_TYPES.get(key, RETURN_TYPES["default"]), mask.sum()
        )
    movement = np.full(n, None, dtype=object)

    if mali:  # the pandemic charters of section 3.2.2, on six + four + two flight dates
        window = (arrival >= d64("2020-03-01")) & (arrival <= d64("2021-03-05"))
        return_type[window & (return_type == "avr_charter")] = "avr_commercial"
        free = window.copy()
        flight_no = 0
        for host_code, spec in iom["mali_charters_pandemic"].items():
            flights = allocate(round(spec["returns"] * scale), np.ones(spec["flights"]))
            for size in flights:
                month_of = _month_index(arrival)
                free_months, free_counts = np.unique(month_of[free], return_counts=True)
                roomy = free_months[free_counts >= size]
                if len(roomy) == 0:
                    raise ValueError(f"charter from {host_code}: no month has {size} free arrivals")
                flight_month = rng.choice(roomy)
                chosen = pick(
                    rng, free & (month_of == flight_month), int(size), f"charter from {host_code}"
                )
                day = arrival[chosen].min()
                arrival[chosen] = day
                host[chosen] = host_code
                return_type[chosen] = "avr_charter"
                flight_no += 1
                movement[chosen] = f"{host_code[:2]}-ML-{str(day).replace('-', '')}-F{flight_no}"
                free[chosen] = False
    charter = (return_type == "avr_charter") | (return_type == "vhr_charter")
    no_ref = charter & (movement == None)  # noqa: E711 (object array)
    movement[no_ref] = [
        f"{h[:2]}-{iso3[:2]}-{str(a).replace('-', '')}"
        for h, a in zip(host[no_ref], arrival[no_ref], strict=True)
    ]
    land = return_type == "avr_land"
    departure = arrival - np.where(land, rng.integers(1, 6, n), 0) * DAY

    # Post-arrival: everyone gets the allowance; the funder is the EUTF for exactly 3.5.
    if n_post_arrival > n:
        raise ValueError(f"{iso3}: 3.5 = {n_post_arrival} exceeds {n} returnees")
    late = np.where(arrival >= d64("2021-01-01"), 4.0, 1.0)
    non_eutf = rng.choice(n, n - n_post_arrival, replace=False, p=late / late.sum())
    post_arrival_action = np.full(n, contract, dtype=object)
    post_arrival_action[non_eutf] = other
    screening = arrival + rng.integers(0, 3, n) * DAY
    vulnerable = rng.random(n) < 0.12
    medical = np.where(rng.random(n) < 0.2, arrival + rng.integers(0, 10, n) * DAY, NaT)

    start = np.full(n, NaT)
    economic = np.full(n, NaT)
    completed = np.full(n, NaT)
    psychosocial = np.full(n, NaT)
    referral = np.full(n, NaT)
    if mali:
        _mali_reintegration(rng, scale, arrival, start, economic, completed, psychosocial, referral)
    else:
        n_started = min(
            round(n_reintegration * (1 + share)), int((arrival <= d64("2021-11-15")).sum())
        )
        n_started = max(n_started, n_reintegration)
        chosen = pick(rng, arrival <= d64("2021-11-15"), n_started, f"{iso3} reintegration")
        start[chosen] = np.minimum(
            arrival[chosen] + rng.integers(10, 180, len(chosen)) * DAY, PERIOD_END
        )
        eco = chosen[rng.random(len(chosen)) < 0.85]
        economic[eco] = np.minimum(start[eco] + rng.integers(15, 200, len(eco)) * DAY, PERIOD_END)
        done = eco[rng.random(len(eco)) < 0.55]
        completed[done] = economic[done] + rng.integers(60, 300, len(done)) * DAY
        completed[completed > PERIOD_END] = NaT
        pss = pick(rng, np.ones(n, bool), round(0.06 * n), "psychosocial")
        psychosocial[pss] = np.minimum(
            arrival[pss] + rng.integers(0, 90, len(pss)) * DAY, PERIOD_END
        )

    started = ~np.isnat(start)
    reintegration_action = np.full(n, None, dtype=object)
    weight = np.where(start >= d64("2021-01-01"), 3.0, 1.0)[started]
    started_idx = np.flatnonzero(started)
    eutf = rng.choice(started_idx, n_reintegration, replace=False, p=weight / weight.sum())
    reintegration_action[started_idx] = other
    reintegration_action[eutf] = contract

    # What the economic assistance was: cash (where tested), training, kit or project.
    has_eco = ~np.isnat(economic)
    kind = np.full(n, None, dtype=object)
    kind[has_eco] = _weighted(
        rng, {"training": 0.38, "kit": 0.34, "project": 0.28}, int(has_eco.sum())
    )
    if iso3 in iom["cash_countries"]:
        if mali:
            eligible = (
                has_eco
                & (arrival >= d64(iom["mali_cash_eligible_arrival_from"]))
                & (economic >= d64(iom["mali_cash_start"]))
            )
            early = pick(
                rng,
                eligible & (economic <= d64("2021-02-28")),
                round(3410 * scale),
                "cash cheques by 2021-02",
            )
            kind[early] = "cash"
            later = np.flatnonzero(eligible & (economic > d64("2021-02-28")))
            kind[later[: len(later) // 3]] = "cash"
        else:
            eligible = has_eco & (economic >= d64("2020-04-01")) & (arrival >= d64("2019-07-01"))
            kind[np.flatnonzero(eligible)[::3]] = "cash"
    cash = kind == "cash"
    adults = np.where(cash, rng.choice([1, 1, 1, 2], n), 0)
    older = np.where(cash, rng.choice([0, 0, 1, 2], n), 0)
    younger = np.where(cash, rng.choice([0, 0, 1, 2, 3], n), 0)
    formula = iom["cash_formula_xof"]
    cash_amount = (
        adults * formula["household_adults"]
        + older * formula["children_14_18"]
        + younger * formula["children_0_13"]
    )

    training = kind == "training"
    months_trained = rng.integers(1, 7, n)
    training_end = np.where(training, economic + months_trained * 30 * DAY, NaT)
    kit = (kind == "kit") | (training & (rng.random(n) < 0.5))
    kit_date = np.where(
        kind == "kit", economic, np.where(kit, training_end + rng.integers(10, 60, n) * DAY, NaT)
    )
    kit[kit_date > PERIOD_END] = False
    kit_date[kit_date > PERIOD_END] = NaT
    project = kind == "project"
    project_types = (
        {"individual": 0.8, "collective": 0.2}
        if mali
        else {"individual": 0.78, "collective": 0.18, "community": 0.04}
    )

    closed = np.full(n, NaT)
    dropped = started & np.isnat(economic) & (rng.random(n) < 0.3)
    closed[dropped] = np.minimum(
        start[dropped] + rng.integers(60, 240, int(dropped.sum())) * DAY, PERIOD_END
    )

    frame = person.with_columns(
        pl.Series("registration_date", arrival),
        pl.Series("case_type", np.full(n, "returnee")),
        pl.Series("nationality", np.full(n, iso3)),
        pl.Series("host_country", host.astype(str)),
        pl.Series("return_type", return_type.astype(str)),
        pl.Series("movement_ref", list(movement), dtype=pl.String),
        pl.Series("departure_date", departure),
        pl.Series("arrival_date", arrival),
        pl.Series("assisted_date", np.full(n, NaT)),
        pl.Series("return_action", list(np.full(n, None, dtype=object)), dtype=pl.String),
        pl.Series("arrival_allowance_xof", np.full(n, float(iom["arrival_allowance_xof"]))),
        pl.Series("arrival_allowance_date", arrival),
        pl.Series("vulnerability_screening_date", screening),
        pl.Series("vulnerable", vulnerable),
        pl.Series("medical_date", medical),
        pl.Series("post_arrival_action", post_arrival_action.astype(str)),
        pl.Series("psychosocial_first_date", psychosocial),
        pl.Series("psychosocial_sessions", rng.integers(1, 6, n)),
        pl.Series(
            "psychosocial_mode",
            _weighted(rng, {"individual": 0.5, "group": 0.35, "phone": 0.15}, n).astype(str),
        ),
        pl.Series("reintegration_start_date", start),
        pl.Series("counselling_sessions", rng.choice([1, 1, 2, 2, 3, 4], n)),
        pl.Series("reintegration_action", list(reintegration_action), dtype=pl.String),
        pl.Series("cash_date", np.where(cash, economic, NaT)),
        pl.Series("household_adults", adults),
        pl.Series("children_14_18", older),
        pl.Series("children_0_13", younger),
        pl.Series("cash_amount_xof", cash_amount.astype(float)),
        pl.Series("kit_date", kit_date),
        pl.Series("kit_type", rng.choice(KIT_TYPES, n)),
        pl.Series("kit_value_xof", rng.integers(25, 61, n) * 10000.0),
        pl.Series("training_centre", rng.choice(TRAINING_CENTRES, n)),
        pl.Series("training_start_date", np.where(training, economic, NaT)),
        pl.Series("training_end_date", training_end),
        pl.Series(
            "training_allowance_xof",
            months_trained * float(iom["training_allowance_xof_per_month"]),
        ),
        pl.Series("transport_days", months_trained * 22),
        pl.Series("transport_xof", months_trained * 22 * float(iom["transport_xof_per_day"])),
        pl.Series("project_type", _weighted(rng, project_types, n).astype(str)),
        pl.Series("project_date", np.where(project, economic, NaT)),
        pl.Series("project_value_xof", rng.integers(40, 151, n) * 10000.0),
        pl.Series("ejom_referral_date", referral),
        pl.Series("reintegration_completed_date", completed),
        pl.Series("closed_date", closed),
    )
    frame = _null_unused(frame)
    referred = frame.filter(pl.col("ejom_referral_date").is_not_null())
    return frame, referred


def _null_unused(frame: pl.DataFrame) -> pl.DataFrame:
    """Blank the detail columns of events a case never had."""
    exprs = []
    for date_col, dependents in DEPENDENTS.items():
        for dep in dependents:
            if dep in frame.columns and date_col in frame.columns:
                exprs.append(pl.when(pl.col(date_col).is_not_null()).then(pl.col(dep)).alias(dep))
    return frame.with_columns(exprs).with_columns(
        pl.when(pl.col("training_start_date").is_not_null())
        .then(pl.col("training_end_date"))
        .alias("training_end_date")
    )


def _mali_reintegration(
    rng: np.random.Generator,
    scale: float,
    arrival: np.ndarray,
    start: np.ndarray,
    economic: np.ndarray,
    completed: np.ndarray,
    psychosocial: np.ndarray,
    referral: np.ndarray,
) -> None:
    """Dates that make every dated statement of sections 3.2.2-3.2.6 hold (in place)."""
    iom = config()["iom"]
    july = d64("2020-07-31")
    s = scale

    def scaled(x: int) -> int:
        return round(x * s)

    early = pick(rng, arrival <= july - 7, scaled(11111), "reintegration started by 2020-07")
    start[early] = between(
        rng, arrival[early] + 7 * DAY, np.minimum(arrival[early] + 150 * DAY, july)
    )
    rest = scaled(iom["mali_reintegration_started_total"]) - scaled(11111)
    late = pick(
        rng, np.isnat(start) & (arrival <= d64("2021-12-15")), rest, "reintegration started later"
    )
    low = np.maximum(arrival[late] + 7 * DAY, d64("2020-08-01"))
    start[late] = between(
        rng, low, np.maximum(low, np.minimum(arrival[late] + 200 * DAY, PERIOD_END))
    )

    # Economic assistance: 10 131 by July 2020, cash cheques need room after April 2020.
    cash_ok = arrival >= d64(iom["mali_cash_eligible_arrival_from"])
    eco_early = pick(
        rng, ~np.isnat(start) & (start <= july - 7), scaled(10131), "economic by 2020-07"
    )
    low = start[eco_early] + 7 * DAY
    low = np.where(
        cash_ok[eco_early], np.maximum(low, np.minimum(d64(iom["mali_cash_start"]), july)), low
    )
    economic[eco_early] = between(rng, low, np.full(len(low), july))
    candidates = ~np.isnat(start) & np.isnat(economic) & (rng.random(len(start)) < 0.85)
    low = np.maximum(start[candidates] + 7 * DAY, d64("2020-08-01"))
    high = np.minimum(low + 240 * DAY, PERIOD_END)
    ok = low <= PERIOD_END
    idx = np.flatnonzero(candidates)[ok]
    economic[idx] = between(rng, low[ok], high[ok])

    # Completion: 4 803 by July 2020, 7 811 by February 2021.
    done_early = pick(
        rng, ~np.isnat(economic) & (economic <= july - 30), scaled(4803), "completed by 2020-07"
    )
    completed[done_early] = between(
        rng, economic[done_early] + 30 * DAY, np.full(len(done_early), july)
    )
    feb = d64("2021-02-28")
    mid = pick(
        rng,
        ~np.isnat(economic) & np.isnat(completed) & (economic <= feb - 30),
        scaled(7811) - scaled(4803),
        "completed by 2021-02",
    )
    low = np.maximum(economic[mid] + 30 * DAY, d64("2020-08-01"))
    completed[mid] = between(rng, low, np.full(len(mid), feb))
    later = np.flatnonzero(
        ~np.isnat(economic) & np.isnat(completed) & (economic <= d64("2021-09-30"))
    )
    later = later[rng.random(len(later)) < 0.35]
    completed[later] = between(
        rng,
        np.maximum(economic[later] + 30 * DAY, d64("2021-03-01")),
        np.full(len(later), PERIOD_END),
    )

    pss = pick(rng, arrival <= july, scaled(708), "psychosocial by 2020-07")
    psychosocial[pss] = between(rng, arrival[pss], np.minimum(arrival[pss] + 120 * DAY, july))
    more = pick(rng, np.isnat(psychosocial) & (arrival > july), scaled(300), "psychosocial later")
    psychosocial[more] = np.minimum(
        arrival[more] + rng.integers(0, 60, len(more)) * DAY, PERIOD_END
    )

    refs = iom["mali_ejom_referrals"]
    # Referrals before the third cohort joined the second one (registration May-June 2019).
    before = pick(
        rng,
        ~np.isnat(start) & (start <= d64("2019-06-01")),
        scaled(refs["before_cohort3"]),
        "EJOM referrals 2019",
    )
    referral[before] = between(
        rng, np.maximum(start[before], d64("2019-01-01")), np.full(len(before), d64("2019-06-15"))
    )
    cohort3 = pick(
        rng,
        ~np.isnat(start) & np.isnat(referral) & (start <= d64("2020-06-30")),
        scaled(refs["cohort3"]),
        "EJOM referrals cohort 3",
    )
    referral[cohort3] = between(
        rng, np.maximum(start[cohort3], d64("2020-01-01")), np.full(len(cohort3), d64("2020-06-30"))
    )


def transit(
    iso3: str, scale: float, volumes: dict[str, int], rng: np.random.Generator
) -> pl.DataFrame:
    """Foreign migrants assisted in the country, most of them returned home from it (AVR)."""
    cfg, iom = config(), config()["iom"]
    contract = cfg["countries"][iso3]["contract"]
    month_list = months(month(cfg["period"]["start"]), month(cfg["period"]["end"]))
    mali = iso3 == "MLI"
    n_eutf = round(volumes["3.4"] * scale)
    anchors = {month(k): round(v * scale) for k, v in iom["avr_cumulative"].get(iso3, {}).items()}
    weights = curve(month_list, rng)
    eutf_departures = dates_in_months(
        rng, month_list, allocate_anchored(month_list, weights, anchors, n_eutf)
    )
    if mali:
        in_2021 = np.array([m.year == 2021 for m in month_list])
        n_other = round(iom["mali_avr_2021_non_eutf"] * scale)
        counts = np.zeros(len(month_list), dtype=np.int64)
        counts[in_2021] = allocate(n_other, weights[in_2021])
    else:
        counts = allocate(round(n_eutf * iom["non_eutf_share"]), weights)
    other_departures = dates_in_months(rng, month_list, counts)
    departure = np.concatenate([eutf_departures, other_departures])
    action = np.array(
        [contract] * len(eutf_departures) + [iom["non_eutf_funder"]] * len(other_departures),
        dtype=object,
    )
    assisted = np.maximum(departure - rng.integers(5, 60, len(departure)) * DAY, PERIOD_START)

    n_avr = len(departure)
    nationality_weights = {k: v for k, v in iom["transit_nationalities"].items() if k != iso3}
    nationality = _weighted(rng, nationality_weights, n_avr)
    closed_assisted = np.array([], dtype="datetime64[D]")
    if mali:
        in_1819 = (departure >= d64("2018-01-01")) & (departure <= d64("2019-12-31"))
        nationality[in_1819 & (nationality == "SLE")] = "GIN"
        sle = pick(
            rng, in_1819, round(iom["mali_avr_sierra_leone_2018_2019"] * scale), "Sierra Leone AVR"
        )
        nationality[sle] = "SLE"
        # The 114 stranded at the end of 2020 leave in 2021; others of 2021 arrive in 2021.
        y2021 = departure >= d64("2021-01-01")
        assisted[y2021] = np.maximum(assisted[y2021], d64("2021-01-01"))
        assisted[y2021] = np.minimum(assisted[y2021], departure[y2021])
        stranded = pick(
            rng,
            y2021 & (departure <= d64("2021-03-31")),
            round(iom["mali_stranded_end_2020"] * scale),
            "stranded",
        )
        assisted[stranded] = between(
            rng,
            np.full(len(stranded), d64("2020-10-01")),
            np.full(len(stranded), d64("2020-12-31")),
        )
        target = round(iom["mali_transit_assisted_cumulative"]["2021-02"] * scale)
        counted = int(((assisted >= PERIOD_START) & (assisted <= d64("2021-02-28"))).sum())
        n_closed = target - counted
        if n_closed < 0:
            raise ValueError("Mali transit: AVR cases alone exceed the assisted total")
        window = [
            m
            for m in month_list
            if m <= dt.date(2020, 11, 1) or m in (dt.date(2021, 1, 1), dt.date(2021, 2, 1))
        ]
        closed_assisted = dates_in_months(rng, window, allocate(n_closed, curve(window, rng)))
        after = [m for m in month_list if m >= dt.date(2021, 3, 1)]
        closed_assisted = np.concatenate(
            [
                closed_assisted,
                dates_in_months(rng, after, allocate(round(300 * scale), np.ones(len(after)))),
            ]
        )
    else:
        n_closed = round(n_avr * (iom["assisted_per_avr"] - 1))
        closed_assisted = dates_in_months(rng, month_list, allocate(n_closed, weights))
    n_closed = len(closed_assisted)
    closed = closed_assisted + rng.integers(3, 30, n_closed) * DAY
    closed = np.where(
        (closed_assisted <= d64("2020-12-31")) & (closed > d64("2020-12-31")),
        d64("2020-12-31"),
        closed,
    )
    closed = np.minimum(closed, PERIOD_END)

    n = n_avr + n_closed
    person = people(rng, n, iso3, female_share=0.15)
    return_types = _weighted(
        rng, {"avr_commercial": 0.55, "avr_land": 0.3, "avr_charter": 0.15}, n_avr
    )
    frame = person.with_columns(
        pl.Series("registration_date", np.concatenate([assisted, closed_assisted])),
        pl.Series("case_type", np.full(n, "transit")),
        pl.Series(
            "nationality",
            np.concatenate([nationality, _weighted(rng, nationality_weights, n_closed)]).astype(
                str
            ),
        ),
        pl.Series("host_country", list(np.full(n, None, dtype=object)), dtype=pl.String),
        pl.Series(
            "return_type",
            list(np.concatenate([return_types, np.full(n_closed, None, dtype=object)])),
            dtype=pl.String,
        ),
        pl.Series("movement_ref", list(np.full(n, None, dtype=object)), dtype=pl.String),
        pl.Series("departure_date", np.concatenate([departure, np.full(n_closed, NaT)])),
        pl.Series("assisted_date", np.concatenate([assisted, closed_assisted])),
        pl.Series(
            "return_action",
            list(np.concatenate([action, np.full(n_closed, None, dtype=object)])),
            dtype=pl.String,
        ),
        pl.Series(
            "medical_date",
            np.where(rng.random(n) < 0.3, np.concatenate([assisted, closed_assisted]), NaT),
        ),
        pl.Series("closed_date", np.concatenate([np.full(n_avr, NaT), closed])),
    )
    return frame.with_columns(
        pl.when(pl.col("return_type") == "avr_charter")
        .then(pl.lit(iso3[:2]) + "-XX-" + pl.col("departure_date").dt.strftime("%Y%m%d"))
        .alias("movement_ref")
    )


def mission_cases(
    iso3: str, scale: float, volumes: dict[str, int], h1_2020: int, seed: int
) -> MissionCases:
    rng = np.random.default_rng([seed, sum(map(ord, iso3))])
    back, referred = returnees(iso3, scale, volumes, h1_2020, rng)
    moving = transit(iso3, scale, volumes, rng)
    columns = [
        c.name for c in CONTRACT.columns if c.name not in ("case_id", "status", "last_updated")
    ]
    both = pl.concat(
        [back, moving.with_columns(pl.lit(None, dtype=pl.Date).alias("arrival_date"))],
        how="diagonal_relaxed",
    ).sort("registration_date", maintain_order=True)
    iso2 = config()["countries"][iso3]["iso2"]
    both = both.with_columns(
        (
            pl.lit(f"{iso2}-")
            + pl.col("registration_date").dt.year().cast(pl.String)
            + "-"
            + (pl.int_range(pl.len()).over(pl.col("registration_date").dt.year()) + 1)
            .cast(pl.String)
            .str.zfill(6)
        ).alias("case_id")
    )
    for name in columns:
        if name not in both.columns:
            both = both.with_columns(pl.lit(None).alias(name))
    both = both.select("case_id", "registration_date", *columns)
    back_ids = both.filter(pl.col("case_type") == "returnee")
    referred = referred.join(
        back_ids.select("case_id", "first_name", "last_name", "date_of_birth"),
        on=["first_name", "last_name", "date_of_birth"],
        how="left",
    )
    return MissionCases(
        iso3,
        both.filter(pl.col("case_type") == "returnee"),
        both.filter(pl.col("case_type") == "transit"),
        referred,
    )


def snapshot(cases: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The export of a month: cases registered by then, as they stood (no future events)."""
    frame = cases.filter(pl.col("registration_date") <= as_of)
    exprs = []
    for date_col, dependents in DEPENDENTS.items():
        known = pl.col(date_col) <= as_of
        exprs.append(pl.when(known).then(pl.col(date_col)).alias(date_col))
        exprs.extend(pl.when(known).then(pl.col(dep)).alias(dep) for dep in dependents)
    frame = frame.with_columns(exprs)
    months_since = lambda col: (pl.lit(as_of) - pl.col(col)).dt.total_days() // 30 + 1  # noqa: E731
    frame = frame.with_columns(
        pl.min_horizontal("counselling_sessions", months_since("reintegration_start_date")).alias(
            "counselling_sessions"
        ),
        pl.min_horizontal("psychosocial_sessions", months_since("psychosocial_first_date")).alias(
            "psychosocial_sessions"
        ),
    )
    status = (
        pl.when(pl.col("case_type") == "transit")
        .then(
            pl.when(pl.col("departure_date").is_not_null())
            .then(pl.lit("returned"))
            .when(pl.col("closed_date").is_not_null())
            .then(pl.lit("closed"))
            .otherwise(pl.lit("stranded"))
        )
        .when(pl.col("reintegration_completed_date").is_not_null())
        .then(pl.lit("completed"))
        .when(pl.col("closed_date").is_not_null())
        .then(pl.lit("abandoned"))
        .when(pl.col("reintegration_start_date").is_not_null())
        .then(pl.lit("in_progress"))
        .otherwise(pl.lit("registered"))
    )
    dates = [c for c, t in frame.schema.items() if t == pl.Date and c not in ("date_of_birth",)]
    return frame.with_columns(
        status.alias("status"), pl.max_horizontal(dates).alias("last_updated")
    )


# --------------------------------------------------------------------------------------------
# Writing the monthly exports.


def _labels(language: str) -> dict[str, dict[str, str]]:
    """Code → label a mission writes (English or French), for every coded column."""
    index = 0 if language == "en" else 1
    return {
        c.name: {code: labels[min(index, len(labels) - 1)] for code, labels in c.codes.items()}
        for c in CONTRACT.columns
        if c.type == "code"
    }


def _country_spellings(iso3_values: list[str], language: str) -> dict[str, list[str]]:
    out = {}
    for iso3 in iso3_values:
        n = names(iso3)
        usual = n["fr"] if language == "fr" else n["en"]
        variants = {n["fr"], n["en"], iso3, usual.upper()}
        stripped = usual.replace("ô", "o").replace("é", "e").replace("’", "'")
        variants.add(stripped)
        variants.discard(usual)
        out[iso3] = [usual, *sorted(variants)]
    return out


def export_frame(
    snap: pl.DataFrame,
    language: str,
    template: str,
    spellings: dict[str, list[str]],
    variant_of_case: pl.DataFrame,
) -> pl.DataFrame:
    """A snapshot in the mission's language: labels, country spellings, headers."""
    labels = _labels(language)
    frame = snap.join(variant_of_case, on="case_id", how="left")
    exprs = [pl.col(name).replace_strict(mapping, default=None) for name, mapping in labels.items()]
    yes, no = ("Oui", "Non") if language == "fr" else ("Yes", "No")
    exprs.append(
        pl.when(pl.col("vulnerable"))
        .then(pl.lit(yes))
        .when(pl.col("vulnerable").not_())
        .then(pl.lit(no))
        .alias("vulnerable")
    )
    for col in ("nationality", "host_country"):
        usual = {k: v[0] for k, v in spellings.items()}
        variant = {k: v[1:] for k, v in spellings.items()}
        exprs.append(
            pl.when(pl.col("_variant") < 0)
            .then(pl.col(col).replace_strict(usual, default=pl.col(col)))
            .otherwise(
                pl.col(col).replace_strict(
                    {k: v[0] if v else usual[k] for k, v in variant.items()}, default=pl.col(col)
                )
            )
            .alias(col)
        )
    frame = frame.with_columns(exprs).drop("_variant", "registration_date")
    headers = {c.name: c.header_for(template) for c in CONTRACT.columns}
    return frame.select([pl.col(c.name).alias(headers[c.name]) for c in CONTRACT.columns])


@dataclass
class Delivery:
    feed: str
    path: Path
    delivery_key: str
    delivered_on: dt.date
    rows: int
    kind: str = "original"


def write_mission(
    cases: MissionCases,
    out: Path,
    rng: np.random.Generator,
    dirt: DirtLog,
    month_list: list[dt.date],
) -> list[Delivery]:
    """Every monthly export of a mission, with the mission's habits and the configured dirt."""
    cfg = config()
    rates = cfg["dirt"]
    spec = cfg["countries"][cases.iso3]
    language, usual_format = spec["language"], spec["format"]
    prefix = "OIM" if language == "fr" else "IOM"
    folder = out / "iom"
    folder.mkdir(parents=True, exist_ok=True)
    allcases = pl.concat([cases.returnees, cases.transit], how="vertical_relaxed").sort("case_id")
    used = sorted(
        set(allcases["nationality"].drop_nulls()) | set(allcases["host_country"].drop_nulls())
    )
    spellings = _country_spellings(used, language)
    # A case keeps its spelling from one export to the next (the mission's data-entry habit).
    variant = np.where(rng.random(allcases.height) < rates["country_spelling"], 1, -1)
    variant_of_case = pl.DataFrame({"case_id": allcases["case_id"], "_variant": variant})
    renamed_from = month(rates["renamed_header_from"])
    deliveries: list[Delivery] = []
    iso2 = spec["iso2"]
    for m in month_list:
        as_of = month_end(m)
        snap = snapshot(allcases, as_of)
        template = f"{language}_v2" if (language == "fr" and m >= renamed_from) else language
        frame = export_frame(snap, language, template, spellings, variant_of_case)
        fmt = usual_format
        if snap.height < 20000 and rng.random() < rates["format_switch"]:
            fmt = "xlsx" if usual_format == "csv" else "csv"
        key = f"{iso2}-{m:%Y-%m}"
        delivered = as_of + dt.timedelta(days=int(rng.integers(3, 12)))
        late = rng.random() < rates["late_delivery"]
        if late:
            delivered += dt.timedelta(days=int(rng.integers(32, 50)))
        spelled = snap.join(variant_of_case, on="case_id").filter(pl.col("_variant") >= 0).height
        name = f"{prefix}_{iso2}_cases_{m:%Y-%m}.{fmt}"
        allowance = CONTRACT.column("arrival_allowance_xof").header_for(template)
        has_allowance = np.flatnonzero(frame[allowance].is_not_null().to_numpy())
        correction = rng.random() < rates["corrected_redelivery"] and len(has_allowance) > 20
        if correction:
            # The first version divides a few arrival allowances by ten (a typing slip).
            rows = rng.choice(has_allowance, max(1, len(has_allowance) // 100), replace=False)
            wrong = frame.with_columns(
                pl.when(pl.int_range(pl.len()).is_in(rows.tolist()))
                .then(pl.col(allowance) / 10)
                .otherwise(pl.col(allowance))
                .alias(allowance)
            )
            path = _write(wrong, folder / name, fmt, language, rng, dirt, rates)
            deliveries.append(Delivery("iom", path, key, delivered, wrong.height))
            _log_file(dirt, path.name, fmt != usual_format, late, delivered, spelled)
            case_header = CONTRACT.column("case_id").header_for(template)
            dirt.add(
                "corrected_redelivery",
                path.name,
                column=allowance,
                cases=sorted(frame[case_header].gather(rows).to_list()),
                corrected_by=name.replace(f".{fmt}", f"_v2.{fmt}"),
            )
            # The platform must refuse it: IOM pays one arrival allowance (the bronze gate).
            dirt.add("refused_delivery", path.name, reason="quality gate: arrival_allowance_xof")
            name = name.replace(f".{fmt}", f"_v2.{fmt}")
            delivered += dt.timedelta(days=int(rng.integers(5, 20)))
        path = _write(frame, folder / name, fmt, language, rng, dirt, rates)
        _log_file(dirt, path.name, fmt != usual_format, late and not correction, delivered, spelled)
        deliveries.append(
            Delivery(
                "iom",
                path,
                key,
                delivered,
                frame.height,
                "correction" if correction else "original",
            )
        )
    return deliveries


def _log_file(
    dirt: DirtLog, name: str, switched: bool, late: bool, delivered: dt.date, spelled: int
) -> None:
    """File-level irregularities of one export (row-level ones are logged by _write)."""
    if switched:
        dirt.add("format_switch", name)
    if late:
        dirt.add("late_delivery", name, delivered_on=delivered.isoformat())
    if spelled:
        dirt.add("country_spelling", name, n=spelled, detail="rows whose countries use a variant")


def _write(
    frame: pl.DataFrame,
    path: Path,
    fmt: str,
    language: str,
    rng: np.random.Generator,
    dirt: DirtLog,
    rates: dict,
) -> Path:
    n_blank = int(rng.binomial(frame.height, rates["blank_row"])) if frame.height else 0
    positions = (
        np.sort(rng.choice(frame.height + 1, n_blank, replace=True))
        if n_blank
        else np.array([], int)
    )
    if fmt == "csv":
        french = language == "fr"
        text = insert_blank_rows(frame, positions)
        encoding = "utf-8"
        if french and rng.random() < rates["cp1252_file"]:
            encoding = "cp1252"
        elif rng.random() < rates["utf8_bom_file"]:
            encoding = "utf-8-sig"
        path.write_bytes(
            csv_bytes(text, separator=";" if french else ",", encoding=encoding, french=french)
        )
        if encoding != "utf-8":
            dirt.add(f"encoding_{encoding}", path.name)
        if french:
            dirt.add("decimal_comma", path.name)
    else:
        with_blanks = insert_blank_rows(frame, positions)
        serial = rng.random(with_blanks.height) < rates["excel_serial_date"]
        sheet = CONTRACT.xlsx_sheet or "Sheet1"
        write_xlsx(path, {sheet: with_blanks}, serial_dates={sheet: serial})
        if serial.any():
            dirt.add("excel_serial_date", path.name, [int(i) + 2 for i in np.flatnonzero(serial)])
    if n_blank:
        dirt.add("blank_row", path.name, [int(p) + 2 + i for i, p in enumerate(positions)])
    return path
