"""EJOM monitoring exports from Akvo Flow: four forms, one "raw data report" per form per month.

Beneficiaries IOM referred carry their IOM case number and the personal data IOM holds (as
the EJOM animator wrote it, which is not always as IOM wrote it): the pseudonymiser is what
links them across feeds.
"""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import numpy as np
import polars as pl

from ingest.contracts import load_contract
from slc_samples.config import config
from slc_samples.iom import Delivery
from slc_samples.people import people, respell
from slc_samples.timeline import DAY, between, d64, pick
from slc_samples.writers import DirtLog, write_xlsx

FORMS = ("registration", "training", "kits", "smes")
ANIMATORS = [
    "Adama Konaté",
    "Mariam Sidibé",
    "Seydou Coulibaly",
    "Awa Diarra",
    "Issa Maïga",
    "Oumou Sangaré",
]
OPTION_TEXT = {
    "sex": {"M": "1:Homme", "F": "2:Femme"},
    "region": {
        "kayes": "1:Kayes",
        "koulikoro": "2:Koulikoro",
        "segou": "3:Ségou",
        "gao": "4:Gao",
        "bamako": "5:Bamako",
    },
    "cohort": {1: "1:Cohorte 1", 2: "2:Cohorte 2", 3: "3:Cohorte 3", 4: "4:Fermes communautaires"},
    "filiere": {
        "horticulture": "1:Horticulture",
        "artisanat_utilitaire": "2:Artisanat utilitaire",
        "agro_alimentaire": "3:Agro-alimentaire",
        "gestion_dechets": "4:Gestion des déchets",
    },
    "bool": {True: "1:Oui", False: "2:Non"},
    "module": {
        "life_skills": "1:Compétences de vie et entrepreneuriat",
        "technical": "2:Formation technique",
    },
    "tranche": {1: "1:Première tranche (70%)", 2: "2:Deuxième tranche (30%)"},
}


def _identifiers(rng: np.random.Generator, n: int) -> list[str]:
    alphabet = np.array(list(string.ascii_lowercase + string.digits))
    chars = rng.choice(alphabet, (n, 12))
    return ["-".join(("".join(row[0:4]), "".join(row[4:8]), "".join(row[8:12]))) for row in chars]


def beneficiaries(
    rng: np.random.Generator, scale: float, referred: pl.DataFrame, iom_returnees: pl.DataFrame
) -> pl.DataFrame:
    """Registrations of the three cohorts (and the late farm trainees), with their returnees."""
    cfg = config()["ejom"]
    sizes = {k: round(v * scale) for k, v in cfg["cohorts"].items()}
    windows = {
        1: ("2018-08-01", "2018-09-30"),
        2: ("2019-05-01", "2019-06-30"),
        3: ("2020-01-05", "2020-06-30"),
        4: ("2021-04-01", "2021-06-30"),
    }
    sizes[4] = round(cfg["late_trainees"] * scale)
    cohort = np.concatenate([np.full(n, k) for k, n in sizes.items()])
    n = len(cohort)
    low = np.array([d64(windows[c][0]) for c in cohort])
    high = np.array([d64(windows[c][1]) for c in cohort])
    registered = between(rng, low, high)
    person = people(rng, n, "MLI", female_share=0.45, age_low=18, age_high=40)
    frame = person.with_columns(
        pl.Series("cohort", cohort),
        pl.Series("registered", registered),
        pl.Series("is_returnee", np.zeros(n, bool)),
        pl.Series("iom_case_id", [None] * n, dtype=pl.String),
    )
    # IOM referrals: cohort 2 before June 2019, cohort 3 in the first half of 2020.
    ref = referred.sort("ejom_referral_date")
    ref_cohort = np.where(ref["ejom_referral_date"].to_numpy() <= d64("2019-06-30"), 2, 3)
    slots: list[int] = []
    for c in (2, 3):
        need = int((ref_cohort == c).sum())
        slots.extend(
            pick(
                rng,
                (cohort == c) & ~np.isin(np.arange(n), slots),
                need,
                f"cohort {c} referral slots",
            ).tolist()
        )
    slots_arr = np.array(slots, dtype=np.int64)
    reg_dates = np.maximum(
        ref["ejom_referral_date"].to_numpy().astype("datetime64[D]")
        + rng.integers(0, 10, len(ref)) * DAY,
        registered[slots_arr],
    )
    reg_dates = np.minimum(reg_dates, np.array([d64(windows[c][1]) for c in ref_cohort]))
    # Self-declared returnees: some are IOM returnees who were not referred (same person).
    others_total = round(cfg["returnees"] * scale) - len(ref)
    free = np.ones(n, bool)
    free[slots_arr] = False
    free[cohort == 4] = False
    self_declared = pick(rng, free, others_total, "self-declared returnees")
    known = iom_returnees.filter(
        pl.col("ejom_referral_date").is_null() & (pl.col("arrival_date") < dt.date(2020, 1, 1))
    )
    known = known.sample(min(known.height, others_total * 4 // 10), seed=int(rng.integers(1 << 31)))
    replace_idx = np.concatenate([slots_arr, self_declared[: known.height]])
    source = pl.concat(
        [
            ref.select(
                "first_name", "last_name", "date_of_birth", "phone", "sex", "case_id"
            ).with_columns(pl.col("case_id").alias("truth_case")),
            known.select("first_name", "last_name", "date_of_birth", "phone", "sex").with_columns(
                case_id=pl.lit(None, pl.String), truth_case=known["case_id"]
            ),
        ]
    )
    respelled = rng.random(len(source)) < 0.5
    source = source.with_columns(
        pl.when(pl.Series(respelled))
        .then(respell(pl.col("last_name")))
        .otherwise(pl.col("last_name"))
        .alias("last_name"),
        pl.when(pl.Series(respelled))
        .then(pl.col("phone").str.replace_all(r"^(\+|00)\d{3} ?", ""))
        .otherwise(pl.col("phone"))
        .alias("phone"),
    )
    frame = frame.with_row_index("_i")
    updates = source.with_columns(pl.Series("_i", replace_idx.astype(np.uint32)))
    frame = frame.update(updates.drop("case_id", "truth_case"), on="_i").join(
        updates.select("_i", pl.col("case_id").alias("_case"), "truth_case"), on="_i", how="left"
    )
    returnee = np.zeros(n, bool)
    returnee[np.concatenate([slots_arr, self_declared])] = True
    registered[slots_arr] = reg_dates
    region = rng.choice(
        ["kayes", "koulikoro", "segou", "gao", "bamako"], n, p=[0.35, 0.25, 0.15, 0.1, 0.15]
    )
    filieres = cfg["filieres"]
    return frame.with_columns(
        pl.Series("registered", registered),
        pl.Series("is_returnee", returnee),
        pl.col("_case").alias("iom_case_id"),
        pl.Series("region", region),
        pl.Series(
            "filiere",
            rng.choice(
                list(filieres), n, p=np.array(list(filieres.values())) / sum(filieres.values())
            ),
        ),
        pl.Series("beneficiary_id", _identifiers(rng, n)),
    ).drop("_i", "_case")


def trainings(rng: np.random.Generator, people_frame: pl.DataFrame) -> pl.DataFrame:
    cfg = config()["ejom"]
    starts = {int(k): d64(v) for k, v in cfg["cohort_start"].items()}
    starts[4] = d64("2021-06-01")
    cohort = people_frame["cohort"].to_numpy()
    base = np.array([starts[c] for c in cohort])
    life = base + rng.integers(0, 45, len(cohort)) * DAY
    technical = life + rng.integers(7, 60, len(cohort)) * DAY
    # Everyone of cohorts 1-3 completed both before March 2021 (section 3.2.5).
    technical = np.where(cohort < 4, np.minimum(technical, d64("2021-02-20")), technical)
    rows = []
    for module, start, days in (("life_skills", life, 3), ("technical", technical, 5)):
        rows.append(
            pl.DataFrame(
                {
                    "beneficiary_id": people_frame["beneficiary_id"],
                    "module": module,
                    "start_date": start,
                    "end_date": start + (days - 1) * DAY,
                    "days_present": np.full(len(cohort), days),
                    "completed": True,
                }
            )
        )
    return pl.concat(rows)


def kits(
    rng: np.random.Generator, scale: float, people_frame: pl.DataFrame, training: pl.DataFrame
) -> pl.DataFrame:
    cfg = config()["ejom"]
    tech = training.filter(pl.col("module") == "technical").join(
        people_frame.select("beneficiary_id", "cohort"), on="beneficiary_id"
    )
    ready = tech["end_date"].to_numpy() + 14 * DAY
    cohort = tech["cohort"].to_numpy()
    march = d64("2021-03-05")
    first = pick(
        rng,
        (cohort < 4) & (ready <= march - 20),
        round(cfg["first_tranche_by_2021_03"] * scale),
        "first tranche by 2021-03",
    )
    first_date = np.full(len(cohort), np.datetime64("NaT", "D"))
    first_date[first] = between(rng, ready[first], np.minimum(ready[first] + 300 * DAY, march))
    later = np.flatnonzero(np.isnat(first_date) & (cohort < 4))
    later = later[rng.random(len(later)) < 0.8]
    first_date[later] = between(
        rng, np.maximum(ready[later], march + 1), np.full(len(later), d64("2021-12-31"))
    )
    has = ~np.isnat(first_date)
    value = cfg["kit_value_xof"]
    second = has & (rng.random(len(cohort)) < cfg["second_tranche_share_of_first"])
    second_date = first_date + rng.integers(60, 240, len(cohort)) * DAY
    second &= second_date <= d64("2021-12-31")
    ids = tech["beneficiary_id"].to_numpy()
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "beneficiary_id": ids[has],
                    "tranche": 1,
                    "amount_xof": value * cfg["first_tranche_share"],
                    "disbursed_date": first_date[has],
                }
            ),
            pl.DataFrame(
                {
                    "beneficiary_id": ids[second],
                    "tranche": 2,
                    "amount_xof": value * (1 - cfg["first_tranche_share"]),
                    "disbursed_date": second_date[second],
                }
            ),
        ]
    ).with_columns(
        pl.Series(
            "payment_modes",
            rng.choice(
                ["1:Espèces", "2:Mobile money", "1:Espèces|2:Mobile money", "3:Virement bancaire"],
                len(has[has]) + int(second.sum()),
            ),
        )
    )


def smes(rng: np.random.Generator, scale: float) -> pl.DataFrame:
    cfg = config()["ejom"]
    early = round(cfg["smes_selected_by_2021_03"] * scale)
    late = round(cfg["smes_after"] * scale)
    dates = np.concatenate(
        [
            between(rng, np.full(early, d64("2019-03-01")), np.full(early, d64("2021-03-05"))),
            between(rng, np.full(late, d64("2021-03-06")), np.full(late, d64("2021-12-31"))),
        ]
    )
    n = len(dates)
    kinds = ["Ets", "GIE", "SARL", "Coopérative"]
    trades = ["Agro", "Déchets", "Maraîchage", "Artisanat", "Transformation", "Services"]
    names_ = [f"{rng.choice(kinds)} {rng.choice(trades)} {i + 1:03d}" for i in range(n)]
    filieres = cfg["filieres"]
    return pl.DataFrame(
        {
            "sme_name": names_,
            "filiere": rng.choice(list(filieres), n),
            "region": rng.choice(["kayes", "koulikoro", "segou", "gao", "bamako"], n),
            "selected_date": dates,
            "jobs_created": rng.integers(0, 8, n),
        }
    )


def _metadata(
    rng: np.random.Generator,
    frame: pl.DataFrame,
    event_col: str,
    start_instance: int,
    display: pl.Expr,
) -> pl.DataFrame:
    n = frame.height
    seconds = rng.integers(7 * 3600, 18 * 3600, n)
    submitted = (
        frame[event_col].to_numpy().astype("datetime64[s]")
        + rng.integers(0, 4, n) * 86400
        + seconds
    )
    submitted = np.minimum(submitted, np.datetime64("2021-12-31T17:00:00"))
    duration = rng.integers(90, 1500, n)
    return frame.with_columns(
        pl.Series("identifier", _identifiers(rng, n))
        if "identifier" not in frame.columns
        else pl.col("identifier"),
        display.alias("display_name"),
        pl.Series("device_identifier", [f"ejom-tab-{k:02d}" for k in rng.integers(1, 40, n)]),
        pl.Series("instance", np.arange(start_instance, start_instance + n)),
        pl.Series("_submitted", submitted.astype("datetime64[ms]")),
        pl.Series("submitter", rng.choice(ANIMATORS, n)),
        pl.Series(
            "duration", [f"{d // 3600:02d}:{d % 3600 // 60:02d}:{d % 60:02d}" for d in duration]
        ),
        pl.lit("3.0").alias("form_version"),
    ).with_columns(
        # Java's `dd-MM-yyyy HH:mm:ss z` on an exporting machine in Europe/Paris: CEST in
        # summer (the last Sunday of March to the last Sunday of October), CET otherwise.
        (
            pl.col("_submitted").dt.strftime("%d-%m-%Y %H:%M:%S")
            + pl.when(_summer_time(pl.col("_submitted")))
            .then(pl.lit(" CEST"))
            .otherwise(pl.lit(" CET"))
        ).alias("submission_date")
    )


def _summer_time(when: pl.Expr) -> pl.Expr:
    """Central European Summer Time: from the last Sunday of March to the last Sunday of
    October (to the day: the changes happen at night, before any submission)."""

    def last_sunday(month: int) -> pl.Expr:
        end = pl.date(when.dt.year(), month, 31)
        return end - pl.duration(days=(end.dt.weekday() % 7))

    day = when.dt.date()
    return (day >= last_sunday(3)) & (day < last_sunday(10))


#: Forms whose Akvo survey has data approval (its exporter adds `Data approval status`).
APPROVAL_FORMS = ("kits",)
APPROVED = "Validation SNV - APPROVED"


def _headers(feed: str) -> dict[str, str]:
    """The form's columns as its raw data report heads them (approval is added per survey)."""
    return {c.name: c.header for c in load_contract(feed).columns if c.name != "approval_status"}


def _akvo_sheet(frame: pl.DataFrame, feed: str, group: str) -> tuple[pl.DataFrame, list]:
    headers = _headers(feed)
    out = frame.select([pl.col(name).alias(header) for name, header in headers.items()])
    merges = [(0, 0, 0, 7, "Metadata"), (0, 8, 0, len(headers) - 1, f"Group 1 - {group}")]
    return out, merges


def write_ejom(
    out: Path,
    scale: float,
    seed: int,
    referred: pl.DataFrame,
    iom_returnees: pl.DataFrame,
    dirt: DirtLog,
) -> list[Delivery]:
    rng = np.random.default_rng([seed, 101])
    folder = out / "ejom"
    folder.mkdir(parents=True, exist_ok=True)
    who = beneficiaries(rng, scale, referred, iom_returnees)
    # What the generator knows and the warehouse must find: which EJOM beneficiary is which
    # IOM returnee (issue 5 measures its linkage's precision and recall against this).
    truth = out / "truth"
    truth.mkdir(exist_ok=True)
    who.filter(pl.col("truth_case").is_not_null()).select(
        pl.col("beneficiary_id").alias("ejom_identifier"),
        pl.col("truth_case").alias("iom_case_id"),
        pl.col("iom_case_id").is_not_null().alias("referred_by_iom"),
    ).write_csv(truth / "ejom_iom_links.csv")
    training = trainings(rng, who)
    kit = kits(rng, scale, who, training)
    sme = smes(rng, scale)
    o = OPTION_TEXT
    registration = _metadata(
        rng,
        who.with_columns(pl.col("beneficiary_id").alias("identifier")),
        "registered",
        1,
        pl.col("last_name") + " " + pl.col("first_name"),
    ).with_columns(
        pl.col("sex").replace_strict(o["sex"]),
        pl.col("region").replace_strict(o["region"]),
        pl.col("cohort").replace_strict(o["cohort"], return_dtype=pl.String),
        pl.col("filiere").replace_strict(o["filiere"]),
        pl.col("is_returnee").replace_strict(o["bool"], return_dtype=pl.String),
        pl.col("registered").alias("_event"),
    )
    training_rows = _metadata(
        rng, training, "end_date", 100001, pl.col("beneficiary_id")
    ).with_columns(
        pl.col("module").replace_strict(o["module"]),
        pl.col("completed").replace_strict(o["bool"], return_dtype=pl.String),
        pl.col("end_date").alias("_event"),
    )
    kit_rows = _metadata(rng, kit, "disbursed_date", 200001, pl.col("beneficiary_id")).with_columns(
        pl.col("tranche").replace_strict(o["tranche"], return_dtype=pl.String),
        pl.col("disbursed_date").alias("_event"),
    )
    sme_rows = _metadata(rng, sme, "selected_date", 300001, pl.col("sme_name")).with_columns(
        pl.col("filiere").replace_strict(o["filiere"]),
        pl.col("region").replace_strict(o["region"]),
        pl.col("selected_date").alias("_event"),
    )
    groups = {
        "registration": "Identification",
        "training": "Formation",
        "kits": "Kit de démarrage",
        "smes": "PME",
    }
    deliveries = []
    rate = config()["dirt"]["duplicate_submission"]
    for form, frame in (
        ("registration", registration),
        ("training", training_rows),
        ("kits", kit_rows),
        ("smes", sme_rows),
    ):
        feed = f"ejom_{form}"
        frame = frame.with_columns(pl.col("_submitted").dt.truncate("1mo").alias("_month"))
        for (sub_month,), part in frame.sort("instance").group_by(["_month"], maintain_order=True):
            label = f"{sub_month:%Y-%m}"
            dup = rng.random(part.height) < rate
            sheet, merges = _akvo_sheet(part, feed, groups[form])
            if dup.any():
                sheet = pl.concat([sheet, sheet.filter(pl.Series(dup))])
            if form in APPROVAL_FORMS:  # a survey with data approval: every row decided
                sheet = sheet.insert_column(1, pl.lit(APPROVED).alias("Data approval status"))
                merges = [(0, 0, 0, 8, "Metadata"), (0, 9, 0, sheet.width - 1, merges[1][4])]
            sheets = {"Raw Data": sheet}
            all_merges = {"Raw Data": merges}
            if form == "training":
                sheets["Group 3"], all_merges["Group 3"] = _attendance(part)
            name = f"EJOM_{form}_{label}.xlsx"
            path = folder / name
            write_xlsx(path, sheets, title_rows={k: [[]] for k in sheets}, merges=all_merges)
            if dup.any():
                first = part.height + 3  # rows: group titles, header, data
                dirt.add("duplicate_submission", name, list(range(first, first + int(dup.sum()))))
            delivered = (sub_month.date() + dt.timedelta(days=40)).replace(
                day=int(rng.integers(2, 10))
            )
            deliveries.append(Delivery(feed, path, f"{form}-{label}", delivered, sheet.height))
    return deliveries


def _attendance(part: pl.DataFrame) -> tuple[pl.DataFrame, list]:
    """The repeatable group's sheet as Akvo's exporter writes it: the submission's metadata
    again, `Repeat no`, then the group's questions, one row per repetition (day)."""
    rows = (
        part.with_columns(pl.int_ranges(1, pl.col("days_present") + 1).alias("day"))
        .explode("day")
        .with_columns(
            (pl.col("start_date") + pl.duration(days=pl.col("day") - 1)).alias("attendance_date"),
            pl.lit("1:Oui").alias("present"),
            pl.col("day").alias("repeat_no"),
        )
    )
    contract = load_contract("ejom_training")
    metadata = contract.columns[:8]
    questions = {c["name"]: c["header"] for c in contract.raw["repeat_columns"]}
    sheet = rows.select(
        pl.col("identifier").alias("Identifier"),
        pl.col("repeat_no").alias("Repeat no"),
        *[pl.col(c.name).alias(c.header) for c in metadata if c.name not in ("identifier",)],
        *[pl.col(k).alias(v) for k, v in questions.items() if k not in ("instance", "repeat_no")],
    )
    return sheet, [
        (0, 0, 0, 8, "Metadata"),
        (0, 9, 0, sheet.width - 1, "Group 3 - Présences (repeat)"),
    ]
