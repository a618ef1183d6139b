"""AECID sensitisation workbooks: one per organisation per quarter, one sheet per month.

Totals are exact where the report states them (potential migrants and communities reached by
31 July 2020, the EUTF 3.3 actual of T05-EUTF-SAH-ML-07-01); the rest is spread by activity
type (a radio programme reaches more people than a home visit).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from ingest.contracts import load_contract
from slc_samples.config import config
from slc_samples.iom import Delivery
from slc_samples.people import people
from slc_samples.timeline import allocate, between, d64
from slc_samples.writers import DirtLog, insert_blank_rows, write_xlsx

CONTRACT = load_contract("aecid")
TITLE = "PROJET MIGRATION AECID - MMEIA - UE : RAPPORT MENSUEL DES ACTIVITES DE SENSIBILISATION"
MONTHS_FR = [
    "Janvier",
    "Février",
    "Mars",
    "Avril",
    "Mai",
    "Juin",
    "Juillet",
    "Août",
    "Septembre",
    "Octobre",
    "Novembre",
    "Décembre",
]
CERCLES = {
    "Bamako": ["Commune I", "Commune II", "Commune III", "Commune IV", "Commune V", "Commune VI"],
    "Kayes": ["Kayes", "Bafoulabé", "Diéma", "Kéniéba", "Kita", "Nioro du Sahel", "Yélimané"],
    "Sikasso": ["Sikasso", "Bougouni", "Kadiolo", "Kolondiéba", "Koutiala", "Yanfolila", "Yorosso"],
}
#: Activity types: label, weight, participants (low, high), direct (in person) or media.
TYPES = {
    "causerie": ("Causerie éducative", 0.34, (15, 60)),
    "visite_domicile": ("Visite à domicile", 0.2, (4, 15)),
    "grin": ("Grin", 0.14, (8, 30)),
    "concert": ("Concert", 0.03, (200, 900)),
    "theatre": ("Théâtre", 0.05, (60, 300)),
    "sport": ("Evénement sportif", 0.04, (100, 600)),
    "preche": ("Prêche", 0.05, (50, 250)),
    "radio": ("Emission radio", 0.08, (300, 3000)),
    "television": ("Emission TV", 0.02, (500, 4000)),
    "reseaux_sociaux": ("Réseaux sociaux", 0.03, (200, 2500)),
    "presse": ("Presse / flyers / BD", 0.02, (100, 1000)),
}
#: Participants by sex and age band, as the workbook's columns count them.
BANDS = ["men_15_17", "men_18_35", "men_36_plus", "women_15_17", "women_18_35", "women_36_plus"]
THEMES = [
    "Risques de la migration irrégulière",
    "Opportunités d'emploi au Mali",
    "Migration légale",
    "Libre circulation CEDEAO",
]
SYLLABLES = [
    "ba",
    "ko",
    "di",
    "se",
    "ma",
    "ni",
    "so",
    "ka",
    "la",
    "fa",
    "to",
    "gou",
    "ri",
    "ya",
    "dou",
    "bou",
]


def organisations(rng: np.random.Generator) -> pl.DataFrame:
    cfg = config()["aecid"]
    rows = []
    for region, count in cfg["focal_points"].items():
        for k in range(count):
            rows.append(
                (
                    f"Point focal {region} {k + 1:02d}",
                    "Point focal",
                    None,
                    region,
                    "2019-01-01",
                    "2020-09-30",
                )
            )
    windows = {
        2019: ("2019-06-01", "2020-06-30"),
        2020: ("2020-03-01", "2021-03-31"),
        2021: ("2021-02-01", "2021-11-30"),
    }
    stems = [
        "ASDAP",
        "AMSS",
        "GRADEM",
        "Jeunesse Action",
        "Kayes Solidarité",
        "AJDM",
        "Wassa",
        "Benkadi",
        "Yeredeme",
        "Donko",
        "Sabati",
        "Tonus",
        "Siguida",
        "Jigiya",
        "Faso Kanu",
        "Nyeta",
    ]
    regions = list(cfg["regions"])
    for year, count in cfg["cso_calls"].items():
        for k in range(count):
            name = f"{stems[(k + year) % len(stems)]} {year % 100:02d}{k + 1:02d}"
            region = regions[int(rng.integers(len(regions)))]
            rows.append((name, "OSC", year, region, *windows[year]))
    return pl.DataFrame(
        rows,
        schema=["organisation", "organisation_type", "call_year", "region", "start", "end"],
        orient="row",
    )


def _slug(name: str) -> str:
    text = name.lower().replace("é", "e").replace("è", "e").replace(" ", "-")
    return "".join(ch for ch in text if ch.isalnum() or ch == "-")


def activities(rng: np.random.Generator, scale: float, orgs: pl.DataFrame) -> pl.DataFrame:
    cfg = config()["aecid"]
    cutoff = d64("2020-07-31")
    eutf_total = round(cfg["eutf_potential_migrants_total"] * scale)
    before_total = round(cfg["potential_migrants_by_2020_07_31"] * scale)
    # Funding split: MMEIA co-funded a share before the cutoff, less after.
    mmeia_before = round(60000 * scale)
    eutf_before = before_total - mmeia_before
    eutf_after = eutf_total - eutf_before
    mmeia_after = round(8000 * scale)
    if eutf_after < 0:
        raise ValueError("AECID: EUTF total below the EUTF part reached by July 2020")

    frames = []
    for period, (eutf, mmeia) in {
        "before": (eutf_before, mmeia_before),
        "after": (eutf_after, mmeia_after),
    }.items():
        mean = 75
        n = max(1, round((eutf + mmeia) / mean))
        type_keys = list(TYPES)
        p = np.array([TYPES[k][1] for k in type_keys])
        kinds = rng.choice(type_keys, n, p=p / p.sum())
        low = np.array([TYPES[k][2][0] for k in kinds])
        high = np.array([TYPES[k][2][1] for k in kinds])
        size = rng.integers(low, high + 1)
        funded = rng.random(n) < eutf / (eutf + mmeia)
        potential = np.zeros(n, dtype=np.int64)
        potential[funded] = allocate(eutf, size[funded])
        potential[~funded] = allocate(mmeia, size[~funded])
        org_rows = orgs.filter(
            (
                pl.col("start").str.to_date()
                <= (dt.date(2020, 7, 31) if period == "before" else dt.date(2021, 11, 30))
            )
            & (
                pl.col("end").str.to_date()
                >= (dt.date(2019, 1, 1) if period == "before" else dt.date(2020, 8, 1))
            )
        )
        org_idx = rng.integers(0, org_rows.height, n)
        start = np.maximum(
            np.array(org_rows["start"].to_list(), dtype="datetime64[D]")[org_idx],
            d64(cfg["first_activity"]) if period == "before" else cutoff + 1,
        )
        end = np.minimum(
            np.array(org_rows["end"].to_list(), dtype="datetime64[D]")[org_idx],
            cutoff if period == "before" else d64(cfg["last_activity"]),
        )
        when = between(rng, start, end)
        frames.append(
            pl.DataFrame(
                {
                    "organisation": org_rows["organisation"].to_numpy()[org_idx],
                    "organisation_type": org_rows["organisation_type"].to_numpy()[org_idx],
                    "call_year": org_rows["call_year"].to_numpy()[org_idx],
                    "region": org_rows["region"].to_numpy()[org_idx],
                    "activity_date": when,
                    "activity_type": kinds,
                    "potential_migrants": potential,
                    "funder": np.where(funded, "FFU", "MMEIA"),
                }
            )
        )
    acts = pl.concat(frames).sort("activity_date")
    return _places(rng, scale, acts)


def _places(rng: np.random.Generator, scale: float, acts: pl.DataFrame) -> pl.DataFrame:
    """Cercle, commune and locality; exactly N distinct communities reached by the cutoff."""
    cfg = config()["aecid"]
    n_communities = round(cfg["communities_by_2020_07_31"] * scale)
    pool = []
    for region, cercles in CERCLES.items():
        for cercle in cercles:
            for c in range(4):
                commune = (
                    cercle
                    if region == "Bamako"
                    else f"{cercle} {['Centre', 'Nord', 'Sud', 'Est'][c]}"
                )
                for _ in range(max(1, round(n_communities * 0.06))):
                    name = "".join(rng.choice(SYLLABLES, int(rng.integers(2, 4)))).capitalize()
                    pool.append((region, cercle, commune, name))
    pool_frame = pl.DataFrame(
        pool, schema=["region", "cercle", "commune", "locality"], orient="row"
    ).unique(maintain_order=True)
    region = acts["region"].to_numpy()
    before = acts["activity_date"].to_numpy() <= d64("2020-07-31")
    cercle = np.empty(acts.height, dtype=object)
    commune = np.empty(acts.height, dtype=object)
    locality = np.empty(acts.height, dtype=object)
    for reg in CERCLES:
        options = pool_frame.filter(pl.col("region") == reg)
        share = int((before & (region == reg)).sum())
        quota = round(n_communities * share / before.sum())
        if reg == list(CERCLES)[-1]:
            quota = n_communities - sum(
                round(n_communities * int((before & (region == r)).sum()) / before.sum())
                for r in list(CERCLES)[:-1]
            )
        chosen = options.sample(min(quota, options.height), seed=int(rng.integers(1 << 31)))
        if chosen.height < quota:
            raise ValueError(f"AECID: not enough localities in {reg}")
        idx_before = np.flatnonzero(before & (region == reg))
        if len(idx_before) < quota:
            raise ValueError(
                f"AECID: {quota} communities need at least as many activities in {reg}"
            )
        order = rng.permutation(idx_before)
        assign = np.concatenate([np.arange(quota), rng.integers(0, quota, len(order) - quota)])
        rows = chosen.to_numpy()
        cercle[order], commune[order], locality[order] = (
            rows[assign, 1],
            rows[assign, 2],
            rows[assign, 3],
        )
        idx_after = np.flatnonzero(~before & (region == reg))
        later = options.to_numpy()
        pick_after = rng.integers(0, len(later), len(idx_after))
        cercle[idx_after], commune[idx_after], locality[idx_after] = (
            later[pick_after, 1],
            later[pick_after, 2],
            later[pick_after, 3],
        )
    return acts.with_columns(
        pl.Series("cercle", list(cercle), dtype=pl.String),
        pl.Series("commune", list(commune), dtype=pl.String),
        pl.Series("locality", list(locality), dtype=pl.String),
    )


def _bands(rng: np.random.Generator, acts: pl.DataFrame) -> pl.DataFrame:
    """Participants by sex and age band; potential migrants are a share of participants."""
    potential = acts["potential_migrants"].to_numpy()
    share = rng.uniform(0.7, 0.95, len(potential))
    participants = np.maximum(potential, np.ceil(potential / share).astype(np.int64))
    weights = rng.dirichlet([1.5, 6, 2, 1, 3.5, 1.5], len(potential))
    bands = np.array([allocate(int(t), w) for t, w in zip(participants, weights, strict=True)])
    returnees = np.minimum(rng.poisson(0.4, len(potential)), participants - potential)
    return acts.with_columns(
        *[pl.Series(name, bands[:, i]) for i, name in enumerate(BANDS)],
        pl.Series("participants", participants),
        pl.Series("returnees_involved", returnees),
    )


def write_aecid(out: Path, scale: float, seed: int, dirt: DirtLog) -> list[Delivery]:
    rng = np.random.default_rng([seed, 202])
    folder = out / "aecid"
    folder.mkdir(parents=True, exist_ok=True)
    orgs = organisations(rng)
    acts = _bands(rng, activities(rng, scale, orgs))
    dates = acts["activity_date"].to_numpy()
    year_2021 = dates >= d64("2021-01-01")
    themes = []
    for later in year_2021:
        chosen = [THEMES[0]] if rng.random() < 0.8 else []
        for k, p in ((1, 0.28), (2, 0.1), (3, 0.35 if later else 0.08)):
            if rng.random() < p:
                chosen.append(THEMES[k])
        themes.append(" ; ".join(chosen or [THEMES[0]]))
    labels = {k: v[0] for k, v in TYPES.items()}
    acts = acts.with_columns(
        pl.Series("themes", themes),
        pl.col("activity_type").replace_strict(labels),
        pl.Series("participant_list", rng.random(acts.height) < 0.05),
        pl.lit(None, dtype=pl.String).alias("remarks"),
        pl.col("activity_date").dt.year().alias("_year"),
        ((pl.col("activity_date").dt.month() - 1) // 3 + 1).alias("_quarter"),
    )
    headers = {c.name: c.header for c in CONTRACT.columns}
    rates = config()["dirt"]
    deliveries = []
    for (org, year, quarter), part in acts.group_by(
        ["organisation", "_year", "_quarter"], maintain_order=True
    ):
        info = orgs.filter(pl.col("organisation") == org).row(0, named=True)
        kind = info["organisation_type"] + (
            f" - AMI {info['call_year']}" if info["call_year"] else ""
        )
        sheets, titles, merges = {}, {}, {}
        #: per sheet: the TOTAL row's number and the blank rows' numbers, as a person counts
        layout: dict[str, tuple[int, list[int]]] = {}
        listed = []
        for month_no, sheet_rows in part.sort("activity_date").group_by(
            pl.col("activity_date").dt.month(), maintain_order=True
        ):
            m = int(month_no[0])
            sheet_name = f"{MONTHS_FR[m - 1]} {year}"
            body = sheet_rows.with_columns(pl.int_range(1, pl.len() + 1).alias("activity_no"))
            listed.append(body.filter(pl.col("participant_list")))
            table = body.select(
                [pl.col(name).alias(h) for name, h in headers.items()]
            ).with_columns(
                pl.col(headers["participant_list"]).replace_strict(
                    {True: "Oui", False: "Non"}, return_dtype=pl.String
                )
            )
            numeric = [
                headers[c]
                for c in (
                    *BANDS,
                    "participants",
                    "potential_migrants",
                    "returnees_involved",
                )
            ]
            total = table.select(pl.col(numeric).sum()).with_columns(
                pl.lit("TOTAL").alias(headers["activity_no"])
            )
            n_blank = int(rng.binomial(table.height, rates["blank_row_small_file"]))
            positions = np.sort(rng.integers(0, table.height + 1, n_blank))
            table = insert_blank_rows(
                table.with_columns(pl.col(headers["activity_no"]).cast(pl.String)), positions
            )
            table = pl.concat(
                [
                    table,
                    total.select(
                        [
                            pl.col(c) if c in total.columns else pl.lit(None).alias(c)
                            for c in table.columns
                        ]
                    ),
                ],
                how="vertical_relaxed",
            )
            sheets[sheet_name] = table
            width = len(headers) - 1
            titles[sheet_name] = [
                [],
                [f"Structure : {org} ({kind})"],
                [f"Région : {info['region']} — Mois : {sheet_name}"],
                [],
            ]
            merges[sheet_name] = [
                (
                    0,
                    0,
                    0,
                    width,
                    TITLE,
                )
            ]
            file_stem = f"AECID_{_slug(org)}_{year}-T{quarter}"
            data_start = 6  # 4 title rows, then the header on row 5
            blanks = [int(p) + data_start + i for i, p in enumerate(positions)]
            layout[sheet_name] = (data_start + table.height - 1, blanks)
        listed_frame = pl.concat(listed)
        if listed_frame.height:
            sheets["Participants"] = _participants(rng, listed_frame)
            titles["Participants"] = []
        name = f"{file_stem}.xlsx"
        key = f"{_slug(org)}-{year}-T{quarter}"
        quarter_end = dt.date(year, quarter * 3, 28)
        delivered = quarter_end + dt.timedelta(days=int(rng.integers(10, 40)))
        correctable = any(v.height >= 3 for k, v in sheets.items() if k != "Participants")
        if rng.random() < rates["corrected_redelivery"] and correctable:
            # The first version misses the last activity of each month (the TOTAL row stays).
            wrong = {
                k: (
                    v
                    if k == "Participants" or v.height < 3
                    else pl.concat([v.head(v.height - 2), v.tail(1)])
                )
                for k, v in sheets.items()
            }
            write_xlsx(folder / name, wrong, title_rows=titles, merges=merges)
            for sheet_name, (total_row, blanks) in layout.items():
                if sheets[sheet_name].height < 3:
                    _log_sheet(dirt, name, sheet_name, total_row, blanks)
                    continue
                dropped = total_row - 1
                shifted = [r if r < dropped else r - 1 for r in blanks if r != dropped]
                _log_sheet(dirt, name, sheet_name, total_row - 1, shifted)
            deliveries.append(
                Delivery(
                    "aecid", folder / name, key, delivered, sum(v.height for v in wrong.values())
                )
            )
            dirt.add(
                "corrected_redelivery",
                name,
                corrected_by=name.replace(".xlsx", "_v2.xlsx"),
                detail="last activity of each month missing",
            )
            name = name.replace(".xlsx", "_v2.xlsx")
            delivered += dt.timedelta(days=int(rng.integers(7, 30)))
        write_xlsx(folder / name, sheets, title_rows=titles, merges=merges)
        for sheet_name, (total_row, blanks) in layout.items():
            _log_sheet(dirt, name, sheet_name, total_row, blanks)
        deliveries.append(
            Delivery(
                "aecid",
                folder / name,
                key,
                delivered,
                sum(v.height for v in sheets.values()),
                "correction" if name.endswith("_v2.xlsx") else "original",
            )
        )
    return deliveries


def _log_sheet(dirt: DirtLog, file: str, sheet: str, total_row: int, blanks: list[int]) -> None:
    dirt.add("totals_row", file, [total_row], sheet=sheet)
    if blanks:
        dirt.add("blank_row", file, blanks, sheet=sheet)


def _participants(rng: np.random.Generator, listed: pl.DataFrame) -> pl.DataFrame:
    counts = np.minimum(listed["participants"].to_numpy(), 40)
    who = people(rng, int(counts.sum()), "MLI", female_share=0.4, age_low=15, age_high=45)
    headers = {c["name"]: c["header"] for c in CONTRACT.raw["participant_columns"]}
    ages = rng.integers(15, 45, who.height)
    return who.with_columns(
        pl.Series("activity_no", np.repeat(listed["activity_no"].to_numpy(), counts)),
        pl.col("sex").replace_strict({"M": "H", "F": "F"}),
        pl.Series("age", ages),
    ).select([pl.col(k).alias(v) for k, v in headers.items()])
