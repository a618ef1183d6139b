"""TPML beneficiary surveys (KoBoToolbox): answer the questionnaires, then export them.

Answers are drawn question by question in questionnaire order (the XLSForms, read by
ingest.kobo). Skip logic (`relevant`) and form versions decide who is asked; the calibration
(sample_config.yml) then fixes exact counts where the report states them, and the default
weights (answer_weights.yml) fill the rest.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import numpy as np
import polars as pl

from ingest.kobo import cycle_of, lifted, questionnaires
from ingest.xlsform import Question, Questionnaire
from slc_samples.config import answer_weights, config
from slc_samples.iom import Delivery
from slc_samples.kobo_export import KoboExport, repeat_rows, submission_rows, to_csv, to_xlsx
from slc_samples.people import people
from slc_samples.timeline import allocate, d64
from slc_samples.writers import DirtLog

OTHER_REASONS = [
    "Mariage",
    "Suivre un ami",
    "Pression de la famille",
    "Aventure",
    "Dette à rembourser",
]


def relevant_sql(expression: str) -> str:
    """An XLSForm `relevant` as SQL over the answer columns, for the subset the TPML forms use:
    `${q} = 'v'`, `selected(${q}, 'c')` (the 0/1 column `q_c`), `and`, `or`."""
    sql = re.sub(r"selected\(\s*\$\{(\w+)\}\s*,\s*'(\w+)'\s*\)", r"\1_\2 = 1", expression)
    sql = re.sub(r"\$\{(\w+)\}", r"\1", sql)
    if "$" in sql or "(" in sql:
        raise ValueError(f"relevant expression the generator cannot evaluate: {expression!r}")
    return sql


def _mask(frame: pl.DataFrame, sql: str | None) -> np.ndarray:
    if not sql:
        return np.ones(frame.height, dtype=bool)
    return frame.select(pl.sql_expr(sql).fill_null(False)).to_series().to_numpy().astype(bool)


def _choices(form: Questionnaire, question: Question) -> list[str]:
    return [c.name for c in form.choices(str(question.list_name))]


def answer(
    frame: pl.DataFrame,
    form: Questionnaire,
    survey: list[Question],
    weights_of: dict[str, dict[str, float]],
    assignments: list[dict],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Answer every closed question of `survey` for the rows of `frame` (one country)."""
    by_question: dict[str, list[dict]] = {}
    for item in assignments:
        by_question.setdefault(item["q"], []).append(item)
    for question in survey:
        name, qtype = question.name, question.type
        if qtype not in ("select_one", "select_multiple") or name in lifted():
            continue
        asked = _mask(frame, relevant_sql(question.relevant) if question.relevant else None)
        cycles = [int(cycle_of(v)) for v in form.versions_asking(name)]
        asked &= np.isin(frame["cycle"].to_numpy(), cycles)
        choices = _choices(form, question)
        weights = weights_of.get(name) or dict.fromkeys(choices, 1.0)
        rules = by_question.get(name, [])
        if qtype == "select_one":
            values = np.full(frame.height, None, dtype=object)
            for rule in rules:
                scope = asked & _mask(frame, rule.get("where"))
                n = rule["count"] if "count" in rule else round(rule["share"] * scope.sum())
                eligible = np.flatnonzero(scope & (values == None))  # noqa: E711
                if n > len(eligible):
                    raise ValueError(
                        f"{name}={rule['value']}: need {n}, only {len(eligible)} eligible"
                    )
                values[rng.choice(eligible, n, replace=False)] = rule["value"]
            closed = {rule["value"] for rule in rules}
            open_weights = {k: v for k, v in weights.items() if k not in closed}
            if not open_weights:
                open_weights = {c: 1.0 for c in choices if c not in closed}
            rest = np.flatnonzero(asked & (values == None))  # noqa: E711
            if len(rest):
                if not open_weights:
                    raise ValueError(
                        f"{name}: every choice is closed but {len(rest)} rows are unanswered"
                    )
                keys = list(open_weights)
                p = np.array([open_weights[k] for k in keys], dtype=float)
                values[rest] = rng.choice(np.array(keys, dtype=object), len(rest), p=p / p.sum())
            frame = frame.with_columns(pl.Series(name, list(values), dtype=pl.String))
        else:
            picked = {}
            for choice in choices:
                column = np.where(asked, 0, -1)
                rules_c = [r for r in rules if r["value"] == choice]
                for rule in rules_c:
                    scope = asked & _mask(frame, rule.get("where"))
                    n = rule["count"] if "count" in rule else round(rule["share"] * scope.sum())
                    eligible = np.flatnonzero(scope & (column == 0))
                    if n > len(eligible):
                        raise ValueError(
                            f"{name}/{choice}: need {n}, only {len(eligible)} eligible"
                        )
                    column[rng.choice(eligible, n, replace=False)] = 1
                if not rules_c:
                    draw = asked & (rng.random(frame.height) < weights.get(choice, 0.0))
                    column[draw] = 1
                picked[choice] = column
            joined = [
                " ".join(c for c in choices if picked[c][i] == 1) if asked[i] else None
                for i in range(frame.height)
            ]
            frame = frame.with_columns(
                pl.Series(name, joined, dtype=pl.String),
                *[
                    pl.Series(f"{name}_{c}", picked[c]).replace(-1, None).alias(f"{name}_{c}")
                    for c in choices
                ],
            )
    return frame


def _regional_assignments(
    sizes: dict[int, dict[str, int]], rng: np.random.Generator
) -> dict[str, list[dict]]:
    """Per-country rules that make the pooled regional figures of the report hold."""
    survey = config()["surveys"]["returnee"]
    regional = survey["regional"]
    countries = sorted({c for cycle in sizes.values() for c in cycle})
    total = {c: sum(sizes[k].get(c, 0) for k in sizes) for c in countries}
    c3 = sizes[3]
    mali_trained = sum(r["count"] for r in survey["mali"] if r["q"] == "formation")
    mali_covid = sum(r["count"] for r in survey["mali"] if r["q"] == "covid_impact")
    others = [c for c in countries if c != "MLI"]
    factors = rng.uniform(0.7, 1.3, len(others))
    need = round(regional["trained"]["target"] * sum(total.values())) - mali_trained
    trained = allocate(need, np.array([total[c] for c in others]) * factors)
    need = round(regional["covid_negative"]["target"] * sum(c3.values())) - mali_covid
    covid = allocate(
        need, np.array([c3.get(c, 0) for c in others]) * rng.uniform(0.85, 1.15, len(others))
    )
    rules: dict[str, list[dict]] = {}
    for i, c in enumerate(others):
        rate = regional["satisfaction_by_country"][c]
        rules[c] = [
            {"q": "formation", "value": "oui", "count": int(trained[i])},
            {"q": "satisfaction_globale", "value": "satisfait", "share": rate * 0.85},
            {"q": "satisfaction_globale", "value": "tres_satisfait", "share": rate * 0.15},
            {"q": "covid_impact", "value": "ralentissement", "count": int(round(covid[i] * 0.85))},
            {
                "q": "covid_impact",
                "value": "arret",
                "count": int(covid[i] - round(covid[i] * 0.85)),
            },
        ]
    return rules


def _respondents(
    rng: np.random.Generator,
    country: str,
    cycles: dict[int, int],
    fieldwork: dict,
    form: Questionnaire,
) -> pl.DataFrame:
    frames = []
    for cycle, n in cycles.items():
        start_s, end_s = fieldwork[cycle]
        low, high = d64(start_s), d64(end_s)
        days = (high - low).astype(int)
        start = (low + rng.integers(0, days + 1, n)).astype("datetime64[s]") + rng.integers(
            8 * 3600, 17 * 3600, n
        )
        end = start + rng.integers(20 * 60, 75 * 60, n)
        who = people(
            rng,
            n,
            country,
            female_share=0.1 if form.form_id == "tpml_returnee" else 0.38,
            age_low=18,
            age_high=45,
        )
        frames.append(
            pl.DataFrame(
                {
                    "country": np.full(n, country),
                    "cycle": np.full(n, cycle),
                    "start": start.astype("datetime64[ms]"),
                    "end": end.astype("datetime64[ms]"),
                    "nom_repondant": (who["first_name"] + " " + who["last_name"]).to_list(),
                    "telephone": who["phone"].to_list(),
                    "age": rng.integers(18, 46, n),
                }
            )
        )
    return pl.concat(frames)


def _activities(
    rng: np.random.Generator, answered: pl.DataFrame, form: Questionnaire, country: str
) -> pl.DataFrame:
    """The repeat group of the sensitisation survey: activities each respondent attended."""
    cfg = config()["surveys"]["sensitisation"]
    direct = answered["participation_directe"].to_numpy() == "oui"
    media = answered["exposition_masse"].to_numpy() == "oui"
    n = answered.height
    base = direct.astype(int) + media.astype(int)
    total = cfg["mali_activities"] if country == "MLI" else int(base.sum() * rng.uniform(1.2, 1.6))
    extra = allocate(total - int(base.sum()), np.where(base > 0, 1.0, 0.0))
    modes: list[str] = []
    parents: list[int] = []
    for i in range(n):
        own = ["direct"] * int(direct[i]) + ["indirect"] * int(media[i])
        for _ in range(int(extra[i])):
            own.append(
                "direct" if (direct[i] and (not media[i] or rng.random() < 0.5)) else "indirect"
            )
        modes.extend(own)
        parents.extend([i + 1] * len(own))
    direct_types = ["causerie", "visite_domicile", "grin", "concert", "theatre", "sport", "preche"]
    media_types = ["radio", "television", "reseaux_sociaux", "presse"]
    kinds = [rng.choice(direct_types) if m == "direct" else rng.choice(media_types) for m in modes]
    frame = pl.DataFrame(
        {
            "country": country,
            "cycle": 3,
            "_parent_index": parents,
            "mode": modes,
            "activite_type": kinds,
        }
    )
    repeat = form.repeats()[0]
    rules = cfg.get("mali_repeat", []) if country == "MLI" else []
    weights = answer_weights().get(f"sensitisation_{repeat}", {})
    return answer(frame, form, form.questions(repeat), weights, rules, rng)


def write_surveys(out: Path, seed: int, dirt: DirtLog) -> list[Delivery]:
    cfg = config()
    forms = questionnaires()
    folder = out / "kobo"
    folder.mkdir(parents=True, exist_ok=True)
    deliveries = []
    rate = cfg["dirt"]["duplicate_submission"]
    for survey_name, form_key, conf_key in (
        ("returnee", "returnee", "returnee"),
        ("sensitisation", "sensitisation", "sensitisation"),
    ):
        form = forms[form_key]
        conf = cfg["surveys"][conf_key]
        sizes = {int(k): v for k, v in conf["sizes"].items()}
        rng = np.random.default_rng([seed, 303, len(survey_name)])
        regional = _regional_assignments(sizes, rng) if survey_name == "returnee" else {}
        countries = sorted({c for cycle in sizes.values() for c in cycle})
        for country in countries:
            cycles = {k: v[country] for k, v in sizes.items() if country in v}
            fieldwork = {
                int(k): v
                for k, v in (
                    conf["mali_fieldwork"] if country == "MLI" else conf["fieldwork"]
                ).items()
            }
            frame = _respondents(rng, country, cycles, fieldwork, form)
            rules = conf.get("mali", []) if country == "MLI" else regional.get(country, [])
            weights = answer_weights().get(survey_name, {})
            answered = answer(frame, form, form.questions(), weights, rules, rng)
            other = (
                answered["raison_depart"].to_numpy() == "autre"
                if "raison_depart" in answered.columns
                else np.zeros(answered.height, bool)
            )
            if other.any():
                answered = answered.with_columns(
                    pl.Series(
                        "raison_depart_autre",
                        [
                            str(reason) if chosen else None
                            for chosen, reason in zip(
                                other, rng.choice(OTHER_REASONS, answered.height), strict=True
                            )
                        ],
                        dtype=pl.String,
                    )
                )
                dirt.add(
                    "other_free_text",
                    f"{survey_name}:{country}",
                    [int(i) for i in np.flatnonzero(other)],
                )
            activities = _activities(rng, answered, form, country) if form.repeats() else None
            for cycle in cycles:
                part = answered.filter(pl.col("cycle") == cycle)
                deliveries.append(
                    _export(
                        folder, rng, survey_name, form, country, cycle, part, activities, rate, dirt
                    )
                )
    return deliveries


#: The export options the country offices use (kpi's settings), as real offices mix them:
#: anglophone offices export English labels; the others one of these, by country and cycle.
ENGLISH_OFFICES = {"GHA", "GMB", "NGA"}
FRENCH_LAYOUTS = (
    KoboExport(language="Français (fr)"),  # kpi's default: labels, no group paths
    KoboExport(language=None, groups=True),  # XML names with group paths
    KoboExport(language="Français (fr)", groups=True, hxl=True),
    KoboExport(language=None),
    KoboExport(language=None, groups=True, multiple_select="details"),
)
# Not among them: a select_multiple as its summary only, which cannot tell a question nobody
# ticked anything at from one not asked (docs/feeds/kobo.md).


def layout_for(country: str, cycle: int) -> KoboExport:
    if country in ENGLISH_OFFICES:
        return KoboExport(language="English (en)", groups=cycle == 3, group_sep=" / ")
    return FRENCH_LAYOUTS[(sum(map(ord, country)) + cycle) % len(FRENCH_LAYOUTS)]


def _export(
    folder: Path,
    rng: np.random.Generator,
    survey_name: str,
    form: Questionnaire,
    country: str,
    cycle: int,
    part: pl.DataFrame,
    activities: pl.DataFrame | None,
    rate: float,
    dirt: DirtLog,
) -> Delivery:
    n = part.height
    submitted = part["end"].to_numpy() + rng.integers(60, 3 * 86400, n).astype("timedelta64[s]")
    uuids = [str(uuid.UUID(int=int(x), version=4)) for x in rng.integers(0, 2**63, n)]
    version = next(v.version for v in form.versions if cycle_of(v) == str(cycle))
    # The submissions as the server holds them: answers by question name, kpi's metadata.
    rows = part.with_columns(
        pl.col("start").dt.strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
        pl.col("end").dt.strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
        pl.Series(
            "submission_id",
            np.arange(1, n + 1) + 100000 * cycle + 1000 * (sum(map(ord, country)) % 97),
        ),
        pl.Series("uuid", uuids),
        pl.Series("submitted_at", [str(s).replace("T", " ")[:19] for s in submitted]),
        pl.Series(
            "validation_status",
            rng.choice(["validation_status_approved", ""], n, p=[0.9, 0.1]),
        ),
        pl.lit(version).alias("form_version"),
        pl.Series("_index", np.arange(1, n + 1)),
    )
    dup = rng.random(n) < rate
    if dup.any():
        rows = pl.concat([rows, rows.filter(pl.Series(dup))], how="vertical_relaxed")
    exported = dt.date.fromisoformat(str(part["end"].max())[:10]) + dt.timedelta(
        days=int(rng.integers(3, 20))
    )
    options = layout_for(country, cycle)
    headers, body = submission_rows(form, rows, options)
    use_csv = activities is None and (sum(map(ord, country)) + cycle) % 3 == 0
    stem = f"TPML_{survey_name}_{country}_C{cycle}_{exported:%Y-%m-%d}"
    positions = np.array([], dtype=np.int64)
    first_data_row = 3 if options.hxl else 2  # the header is row 1, kpi's tag row row 2
    if use_csv:
        path = folder / f"{stem}.csv"
        n_blank = int(rng.binomial(len(body), config()["dirt"]["blank_row_small_file"]))
        positions = np.sort(rng.integers(0, len(body) + 1, n_blank))
        blank = [""] * len(headers)
        for shift, at in enumerate(positions):
            body.insert(int(at) + shift, blank)
        path.write_bytes(to_csv(headers, body, options))
        if n_blank:
            dirt.add(
                "blank_row",
                path.name,
                [int(p) + first_data_row + i for i, p in enumerate(positions)],
            )
    else:
        path = folder / f"{stem}.xlsx"
        sheets = {form.title: (headers, body)}
        if activities is not None:
            mine = activities.filter(pl.col("country") == country).with_columns(
                pl.int_range(1, pl.len() + 1).alias("_index")
            )
            repeat = form.repeats()[0]
            sheets[repeat] = repeat_rows(form, repeat, mine, rows, options)
        created = dt.datetime.combine(exported, dt.time(10, 22, 33))
        path.write_bytes(to_xlsx(sheets, options, created))
    dirt.add("export_options", path.name, [], options=options.describe())
    if dup.any():
        # Data row i is file row i + first_data_row, plus the blank lines inserted before it.
        dups = np.arange(n, n + int(dup.sum()))
        dups = dups + first_data_row + np.searchsorted(positions, dups, side="right")
        dirt.add("duplicate_submission", path.name, [int(r) for r in dups])
    return Delivery("kobo", path, f"{survey_name}-{country}-C{cycle}", exported, rows.height)
