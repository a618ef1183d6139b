"""The reports' tables, from the published marts only (read as Parquet), formatted and with
the disclosure rule applied (reports/disclosure.py) to every count of people. Each table
says where it comes from in words a reader knows (partner, data, the date it stands at, N);
the mart it reads is kept for analysts in the HTML (`data-mart`).

Every table takes a `country` (ISO3) or None for the region (every SLC country together,
or country by country where the table has a country column), and a language (fr, en)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from reports.disclosure import masked_count, months_cell, rule
from reports.marts import country_names, read, read_fact
from reports.numbers import as_date, as_number, fmt_number, one_decimal

#: Host countries a returns table names; the others share one column.
MAX_HOSTS = 6

WORDS = {
    "fr": {
        "quarter": "{year}-T{quarter}",
        "total": "Total",
        "country": "Pays",
        "region_scope": "ensemble des pays",
        "multi_country": "Plusieurs pays (action régionale)",
        "others": "Autres pays",
        "partners": {"iom": "OIM", "snv": "EJOM (SNV)"},
        "returns": (
            "Retours par pays de provenance et par trimestre",
            ["Trimestre"],
            "mart_returns_by_host_quarter, OIM, dossiers des missions (retours à l'arrivée), "
            "jusqu'au trimestre {last} ; N = {n} retours.",
        ),
        "delays": (
            "Délais entre orientation (OIM) ou inscription (EJOM), formation et kit",
            [
                "Partenaire",
                "Année de début",
                "Personnes",
                "Formées",
                "Mois jusqu'à la formation (médiane)",
                "Avec kit",
                "Mois entre fin de formation et kit (médiane)",
            ],
            "mart_reintegration_delays, OIM (dossiers des missions) et EJOM (suivi Akvo "
            "Flow), parcours commencés jusqu'en {last} ; N = {n} personnes.",
        ),
        "funnel": (
            "Référencement OIM → EJOM : des référés aux kits, par trimestre de référencement",
            ["Trimestre", "Référés", "Inscrits à EJOM", "Formés", "Kit (1re tranche)"],
            "mart_referral_funnel, OIM (référencements) et EJOM (inscriptions, formations, "
            "kits), jusqu'au trimestre {last} ; N = {n} migrants de retour référés.",
        ),
        "actions": (
            "Indicateurs communs du FFU par action : calculés à partir des données, et rapportés",
            ["Indicateur", "Action", "Intitulé", "Calculé", "Rapporté", "Écart %", "Couverture"],
            "mart_indicator_reconciliation, valeurs calculées à partir des données des "
            "partenaires ; valeurs rapportées : cadre de résultats du FFU (Akvo RSR) ; "
            "N = {n} couples action × indicateur.",
        ),
        "by_country": (
            "Indicateurs communs du FFU par pays : calculés à partir des données, et rapportés",
            ["Pays", "Indicateur", "Actions", "Calculé", "Rapporté"],
            "mart_indicator_reconciliation, cadre de résultats du FFU (Akvo RSR), fenêtre "
            "Sahel et lac Tchad ; valeurs rapportées comptées une fois, au niveau le plus fin "
            "qui les rapporte ; N = {n} couples action × indicateur.",
        ),
        "coverage": {
            "both": "calculé et rapporté",
            "computed_only": "calculé seulement",
            "reported_only": "rapporté seulement",
        },
    },
    "en": {
        "quarter": "{year}-Q{quarter}",
        "total": "Total",
        "country": "Country",
        "region_scope": "all countries",
        "multi_country": "Several countries (regional action)",
        "others": "Other countries",
        "partners": {"iom": "IOM", "snv": "EJOM (SNV)"},
        "returns": (
            "Returns by host country and quarter",
            ["Quarter"],
            "mart_returns_by_host_quarter, IOM, mission case files (returns on arrival), up "
            "to quarter {last}; N = {n} returns.",
        ),
        "delays": (
            "Delays from orientation (IOM) or enrolment (EJOM) to training and to the kit",
            [
                "Partner",
                "Start year",
                "People",
                "Trained",
                "Months to training (median)",
                "With a kit",
                "Months from training to kit (median)",
            ],
            "mart_reintegration_delays, IOM (mission case files) and EJOM (Akvo Flow "
            "monitoring), pathways started up to {last}; N = {n} people.",
        ),
        "funnel": (
            "IOM → EJOM referrals: from referral to kit, by quarter of referral",
            ["Quarter", "Referred", "Enrolled in EJOM", "Trained", "Kit (1st tranche)"],
            "mart_referral_funnel, IOM (referrals) and EJOM (enrolments, trainings, kits), up "
            "to quarter {last}; N = {n} returning migrants referred.",
        ),
        "actions": (
            "EUTF common output indicators by action: computed from the data, and reported",
            ["Indicator", "Action", "Title", "Computed", "Reported", "Difference %", "Coverage"],
            "mart_indicator_reconciliation, values computed from the partners' data; "
            "reported values: EUTF results framework (Akvo RSR); N = {n} action × indicator "
            "pairs.",
        ),
        "by_country": (
            "EUTF common output indicators by country: computed from the data, and reported",
            ["Country", "Indicator", "Actions", "Computed", "Reported"],
            "mart_indicator_reconciliation, EUTF results framework (Akvo RSR), Sahel and Lake "
            "Chad window; reported values counted once, at the lowest level that reports "
            "them; N = {n} action × indicator pairs.",
        ),
        "coverage": {
            "both": "computed and reported",
            "computed_only": "computed only",
            "reported_only": "reported only",
        },
    },
}


def _count(value: int | float | None, *, lang: str = "fr") -> str:
    """A count of people, under the one disclosure rule."""
    return masked_count(value, lang)


@dataclass(frozen=True)
class Table:
    """A table as the template prints it: header, rows of formatted cells, and its source."""

    table_id: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    #: "mart_name, the rest": the mart's name, then the human source line.
    source: str
    #: Column positions that hold counts of people (what the disclosure test checks).
    count_columns: list[int] = field(default_factory=list)
    #: Column positions printed as their public source published them (an exemption
    #: declared in report_rules.yml, by id).
    exempt_columns: dict[int, str] = field(default_factory=dict)

    @property
    def mart(self) -> str:
        """The mart the table reads: the source line starts with its name."""
        return self.source.split(",")[0].split()[0]

    @property
    def source_text(self) -> str:
        """The source line a reader sees: without the mart's name."""
        return self.source.split(",", 1)[1].strip() if "," in self.source else ""


def _scope(frame: pl.DataFrame, country: str | None, column: str = "country_iso3") -> pl.DataFrame:
    return frame if country is None else frame.filter(pl.col(column) == country)


def _quarter(day: date | None, lang: str) -> str:
    if day is None:
        return "–"
    return WORDS[lang]["quarter"].format(year=day.year, quarter=(day.month - 1) // 3 + 1)


def _caption(caption: str, country: str | None, lang: str) -> str:
    return caption if country else f"{caption} ({WORDS[lang]['region_scope']})"


def _quarters(first: date, last: date) -> list[date]:
    """Every quarter from `first` to `last` (their first days): a quarter without a return
    is a row of zeros, not a missing row."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 10 else (year, month + 3)
    return out


def returns_by_host(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """Returns home by quarter (rows, every quarter of the period) and host country
    (columns: the largest by name, the others together)."""
    words = WORDS[lang]
    names = country_names(marts, lang)
    frame = (
        _scope(read(marts, "mart_returns_by_host_quarter"), country)
        .group_by("return_quarter", "host_country_iso3")
        .agg(pl.col("returns").sum())
    )
    ranked = (
        frame.group_by("host_country_iso3")
        .agg(pl.col("returns").sum())
        .sort("returns", "host_country_iso3", descending=[True, False])["host_country_iso3"]
        .to_list()
    )
    named = ranked[:MAX_HOSTS] if len(ranked) > MAX_HOSTS + 1 else ranked
    others = len(ranked) > len(named)
    frame = frame.with_columns(
        pl.when(pl.col("host_country_iso3").is_in(named))
        .then(pl.col("host_country_iso3"))
        .otherwise(pl.lit("_others"))
        .fill_null("_others")
        .alias("host")
    )
    hosts = [*named, *(["_others"] if others else [])]
    cells = {
        (as_date(r["return_quarter"]), r["host"]): r["returns"]
        for r in frame.group_by("return_quarter", "host")
        .agg(pl.col("returns").sum())
        .iter_rows(named=True)
    }
    first, last = as_date(frame["return_quarter"].min()), as_date(frame["return_quarter"].max())
    rows = []
    for quarter in _quarters(first, last) if first and last else []:
        values = [cells.get((quarter, h), 0) for h in hosts]
        printed = [_count(v, lang=lang) for v in values]
        # A total beside a masked cell would give it away by difference: not printed.
        total = "–" if rule().shown_as in printed else _count(sum(values), lang=lang)
        rows.append([_quarter(quarter, lang), *printed, total])
    caption, header, source = words["returns"]
    host_names = [words["others"] if h == "_others" else names.get(h, h or "?") for h in hosts]
    return Table(
        "table-returns-host",
        _caption(caption, country, lang),
        [*header, *host_names, words["total"]],
        rows,
        source.format(
            last=_quarter(last, lang),
            n=fmt_number(as_number(frame["returns"].sum()), "people", lang),
        ),
        count_columns=list(range(1, len(hosts) + 2)),
    )


def delays(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """Months from orientation or enrolment to training, and from training to the kit; for
    the region, one row per country, partner and start year."""
    words = WORDS[lang]
    frame = _scope(read(marts, "mart_reintegration_delays"), country)
    names = country_names(marts, lang)
    lead = [] if country else [words["country"]]
    rows = [
        ([] if country else [r["_n"]])
        + [
            words["partners"].get(r["partner_id"], r["partner_id"]),
            str(r["start_year"]),
            _count(r["people_started"], lang=lang),
            _count(r["people_trained"], lang=lang),
            months_cell(r["median_months_to_training"], r["people_trained"], lang),
            _count(r["people_with_kit"], lang=lang),
            months_cell(r["median_months_training_to_kit"], r["people_trained_then_kit"], lang),
        ]
        for r in frame.with_columns(
            pl.col("country_iso3").replace_strict(names, default=pl.col("country_iso3")).alias("_n")
        )
        .sort("_n", "partner_id", "start_year")
        .iter_rows(named=True)
    ]
    caption, header, source = words["delays"]
    return Table(
        "table-delays",
        _caption(caption, country, lang),
        [*lead, *header],
        rows,
        source.format(
            last=frame["start_year"].max() if frame.height else "–",
            n=fmt_number(frame["people_started"].sum(), "people", lang),
        ),
        count_columns=[c + len(lead) for c in (2, 3, 5)],
    )


def referral_funnel(marts: Path, country: str | None, lang: str = "fr") -> Table:
    words = WORDS[lang]
    frame = (
        _scope(read(marts, "mart_referral_funnel"), country)
        .group_by("referral_quarter", "stage")
        .agg(pl.col("people").sum())
    )
    stages = ["referred", "enrolled", "trained", "kit_received"]
    wide = frame.pivot(on="stage", index="referral_quarter", values="people").sort(
        "referral_quarter"
    )
    rows = [
        [_quarter(r["referral_quarter"], lang)] + [_count(r.get(s), lang=lang) for s in stages]
        for r in wide.iter_rows(named=True)
    ]
    referred = frame.filter(pl.col("stage") == "referred")["people"].sum()
    caption, header, source = words["funnel"]
    return Table(
        "table-referral-funnel",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(
            last=_quarter(as_date(frame["referral_quarter"].max()), lang),
            n=fmt_number(referred, "people", lang),
        ),
        count_columns=[1, 2, 3, 4],
    )


def _reconciliation(marts: Path) -> pl.DataFrame:
    return read(marts, "mart_indicator_reconciliation").filter(pl.col("is_slc_window"))


def indicator_reconciliation(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """EUTF common output indicators by action, computed next to reported: the country's
    actions, or for the region every action something is computed for."""
    words = WORDS[lang]
    frame = _reconciliation(marts)
    if country is None:
        frame = frame.filter(pl.col("coverage") != "reported_only")
    else:
        frame = frame.filter(pl.col("action_country_iso3") == country)
    rows = [
        [
            r["indicator_code"],
            r["iati_id"],
            r["action_title"] or "",
            _count(r["computed_value"], lang=lang),
            fmt_number(r["reported_value"], "people", lang),
            one_decimal(r["variance_pct"], lang),
            words["coverage"].get(r["coverage"], r["coverage"]),
        ]
        for r in frame.sort("iati_id", "indicator_code").iter_rows(named=True)
    ]
    caption, header, source = words["actions"]
    return Table(
        "table-indicators",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(n=frame.height),
        count_columns=[3],
        exempt_columns={4: "public_sources"},
    )


def indicators_by_country(marts: Path, lang: str = "fr") -> Table:
    """EUTF common output indicators summed by the country of the action (dim_action), the
    computed and the reported values side by side; regional actions on a row of their own."""
    words = WORDS[lang]
    frame = _reconciliation(marts)
    names = country_names(marts, lang)
    summed = (
        frame.group_by("action_country_iso3", "indicator_code")
        .agg(
            pl.len().alias("actions"),
            pl.col("computed_value").sum().alias("computed"),
            pl.col("computed_value").is_not_null().any().alias("has_computed"),
            pl.col("reported_value").sum().alias("reported"),
            pl.col("reported_value").is_not_null().any().alias("has_reported"),
        )
        .with_columns(
            pl.col("action_country_iso3")
            .replace_strict(names, default=None)
            .fill_null(words["multi_country"])
            .alias("country"),
            pl.col("action_country_iso3").is_null().alias("regional"),
        )
        .sort("regional", "country", "indicator_code")
    )
    rows = [
        [
            r["country"],
            r["indicator_code"],
            str(r["actions"]),
            _count(r["computed"] if r["has_computed"] else None, lang=lang),
            fmt_number(r["reported"] if r["has_reported"] else None, "people", lang),
        ]
        for r in summed.iter_rows(named=True)
    ]
    caption, header, source = words["by_country"]
    return Table(
        "table-indicators-country",
        caption,
        header,
        rows,
        source.format(n=frame.height),
        count_columns=[3],
        exempt_columns={4: "public_sources"},
    )


#: The words of the sample, departures, cycles, targets and activities tables.
TABLE_WORDS = {
    "fr": {
        "sample": (
            "Échantillons des enquêtes TPML par pays et par cycle",
            ["Pays", "Enquête", "Cycle", "Répondants", "Premier entretien", "Dernier entretien"],
            "fct_survey_responses, enquêtes TPML (KoBoToolbox) ; N = {n} répondants.",
        ),
        "surveys": {"returnee": "Migrants de retour", "sensitisation": "Sensibilisation"},
        "departures": (
            "Retours volontaires assistés organisés depuis le pays, par année et nationalité",
            ["Année"],
            "fct_returns, OIM, dossiers des missions (départs), jusqu'au {last} ; N = {n} retours.",
        ),
        "cycles": (
            "Réponses aux questions posées aux deux cycles : cycle 1 et cycle 3",
            ["Question", "Réponse", "Cycle 1", "Cycle 3", "Écart (points)"],
            "mart_survey_answer_shares, enquêtes TPML ; part des répondants de chaque cycle ; "
            "N = {n1} répondants au cycle 1, {n3} au cycle 3.",
        ),
        "targets": (
            "Progrès des actions vers les cibles qu'elles se fixent",
            [
                "Action",
                "Période",
                "Indicateurs avec cible",
                "Cible atteinte",
                "Taux de réalisation médian",
                "Indicateur le moins avancé",
            ],
            "mart_indicator_progress, cadre de résultats du FFU (Akvo RSR) ; valeurs comptées "
            "une fois, au niveau le plus fin qui les rapporte ; N = {n} indicateurs avec une "
            "cible.",
        ),
        "targets_by_country": [
            "Pays de l'action",
            "Actions",
            "Indicateurs avec cible",
            "Cible atteinte",
            "Taux de réalisation médian",
        ],
        "activities": (
            "Activités de sensibilisation par type",
            ["Type d'activité", "Canal", "Activités", "Personnes touchées"],
            "fct_sensitisation_activities, AECID, classeurs d'activités des partenaires ; "
            "N = {n} activités.",
        ),
        "channels": {"in_person": "en personne", "mass_media": "communication de masse"},
    },
    "en": {
        "sample": (
            "TPML survey samples by country and cycle",
            ["Country", "Survey", "Cycle", "Respondents", "First interview", "Last interview"],
            "fct_survey_responses, TPML surveys (KoBoToolbox); N = {n} respondents.",
        ),
        "surveys": {"returnee": "Returnees", "sensitisation": "Awareness raising"},
        "departures": (
            "Assisted voluntary returns organised from the country, by year and nationality",
            ["Year"],
            "fct_returns, IOM, mission case files (departures), up to {last}; N = {n} returns.",
        ),
        "cycles": (
            "Answers to the questions asked in both cycles: cycle 1 and cycle 3",
            ["Question", "Answer", "Cycle 1", "Cycle 3", "Difference (points)"],
            "mart_survey_answer_shares, TPML surveys; share of each cycle's respondents; "
            "N = {n1} respondents in cycle 1, {n3} in cycle 3.",
        ),
        "targets": (
            "Progress of the actions against the targets they set",
            [
                "Action",
                "Period",
                "Indicators with a target",
                "Target met",
                "Median achievement",
                "Least advanced indicator",
            ],
            "mart_indicator_progress, EUTF results framework (Akvo RSR); values counted once, "
            "at the lowest level that reports them; N = {n} indicators with a target.",
        ),
        "targets_by_country": [
            "Country of the action",
            "Actions",
            "Indicators with a target",
            "Target met",
            "Median achievement",
        ],
        "activities": (
            "Awareness-raising activities by type",
            ["Activity type", "Channel", "Activities", "People reached"],
            "fct_sensitisation_activities, AECID, partners' activity workbooks; N = {n} "
            "activities.",
        ),
        "channels": {"in_person": "in person", "mass_media": "mass media"},
    },
}


def survey_sample(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """Respondents per country, survey and cycle, with the collection dates."""
    words = TABLE_WORDS[lang]
    names = country_names(marts, lang)
    answers = _scope(read(marts, "fct_survey_responses"), country).filter(
        pl.col("survey").is_in(list(words["surveys"]))
    )
    frame = (
        answers.group_by("country_iso3", "survey", "cycle")
        .agg(
            pl.col("response_id").n_unique().alias("respondents"),
            pl.col("submitted_on").min().alias("first"),
            pl.col("submitted_on").max().alias("last"),
        )
        .with_columns(pl.col("country_iso3").replace_strict(names, default=None).alias("name"))
        .sort("name", "survey", "cycle")
    )
    rows = [
        [
            r["name"] or r["country_iso3"],
            words["surveys"].get(r["survey"], r["survey"]),
            str(r["cycle"]),
            _count(r["respondents"], lang=lang),
            (as_date(r["first"]) or date.min).isoformat(),
            (as_date(r["last"]) or date.min).isoformat(),
        ]
        for r in frame.iter_rows(named=True)
    ]
    caption, header, source = words["sample"]
    return Table(
        "table-sample",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(n=fmt_number(as_number(frame["respondents"].sum()), "people", lang)),
        count_columns=[3],
    )


def departures(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """AVRs organised from the country: per year, the largest nationalities by name."""
    words = TABLE_WORDS[lang]
    names = country_names(marts, lang)
    frame = _scope(
        read_fact(marts, "fct_returns").filter(pl.col("perspective") == "departure"),
        country,
        "mission_iso3",
    ).with_columns(pl.col("return_date").dt.year().alias("year"))
    ranked = (
        frame.group_by("nationality_iso3")
        .agg(pl.len())
        .sort("len", "nationality_iso3", descending=[True, False])["nationality_iso3"]
        .to_list()
    )
    named = ranked[:MAX_HOSTS] if len(ranked) > MAX_HOSTS + 1 else ranked
    frame = frame.with_columns(
        pl.when(pl.col("nationality_iso3").is_in(named))
        .then(pl.col("nationality_iso3"))
        .otherwise(pl.lit("_others"))
        .fill_null("_others")
        .alias("group")
    )
    groups = [*named, *(["_others"] if len(ranked) > len(named) else [])]
    counts = {
        (r["year"], r["group"]): r["len"]
        for r in frame.group_by("year", "group").agg(pl.len()).iter_rows(named=True)
    }
    years = sorted(frame["year"].unique().drop_nulls().to_list())
    rows = []
    for year in range(years[0], years[-1] + 1) if years else []:
        values = [counts.get((year, g), 0) for g in groups]
        printed = [_count(v, lang=lang) for v in values]
        total = "–" if rule().shown_as in printed else _count(sum(values), lang=lang)
        rows.append([str(year), *printed, total])
    caption, header, source = words["departures"]
    group_names = [
        WORDS[lang]["others"] if g == "_others" else str(names.get(g) or g) for g in groups
    ]
    return Table(
        "table-departures",
        _caption(caption, country, lang),
        [*header, *group_names, WORDS[lang]["total"]],
        rows,
        source.format(
            last=(as_date(frame["return_date"].max()) or date.min).isoformat(),
            n=fmt_number(frame.height, "people", lang),
        ),
        count_columns=list(range(1, len(groups) + 2)),
    )


def cycle_comparison(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """For every returnee question asked in cycles 1 and 3, each answer's share in each
    cycle and the difference in points; a share fewer than the threshold make up is masked."""
    words = TABLE_WORDS[lang]
    shares = _scope(read(marts, "mart_survey_answer_shares"), country).filter(
        pl.col("survey") == "returnee"
    )
    per_cycle = shares.group_by("question", "answer", "cycle").agg(
        pl.col("respondents_answering").sum().alias("hits"),
        pl.col(f"question_label_{lang}").first().alias("question_label"),
        pl.col(f"answer_label_{lang}").first().alias("answer_label"),
        pl.col("answer_position").first(),
    )
    bases = (
        shares.unique(["country_iso3", "cycle", "question"])
        .group_by("question", "cycle")
        .agg(pl.col("respondents").sum().alias("base"))
    )
    per_cycle = per_cycle.join(bases, on=["question", "cycle"])
    asked = (
        bases.filter(pl.col("base") > 0)
        .group_by("question")
        .agg(pl.col("cycle").n_unique().alias("cycles"))
        .filter(pl.col("cycles") >= 2)["question"]
        .to_list()
    )
    rows: list[list[str]] = []
    n = {1: 0, 3: 0}
    for question in sorted(asked):
        one = per_cycle.filter(pl.col("question") == question).sort("answer_position")
        for answer in one["answer"].unique(maintain_order=True).to_list():
            cells = {}
            for cycle in (1, 3):
                hit = one.filter((pl.col("answer") == answer) & (pl.col("cycle") == cycle))
                cells[cycle] = hit.row(0, named=True) if hit.height else None
            shown = []
            values = []
            for cycle in (1, 3):
                c = cells[cycle]
                if c is None or not c["base"]:
                    shown.append("–")
                    values.append(None)
                elif rule().hides(c["hits"]):
                    shown.append(rule().shown_as)
                    values.append(None)
                else:
                    shown.append(fmt_number(c["hits"] / c["base"], "share", lang))
                    values.append(c["hits"] / c["base"])
            difference = (
                one_decimal(100 * (values[1] - values[0]), lang)
                if values[0] is not None and values[1] is not None
                else "–"
            )
            label = next(c for c in cells.values() if c is not None)
            rows.append(
                [
                    label["question_label"] or question,
                    label["answer_label"] or answer,
                    *shown,
                    difference,
                ]
            )
    for cycle in (1, 3):
        base = bases.filter(pl.col("cycle") == cycle)["base"]
        n[cycle] = int(as_number(base.max())) if base.len() else 0
    caption, header, source = words["cycles"]
    return Table(
        "table-cycles",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(n1=fmt_number(n[1], "people", lang), n3=fmt_number(n[3], "people", lang)),
    )


def indicator_progress(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """Progress against the targets the actions set in the RSR export: for a country, one
    row per action (its indicators with a target, how many are met, the median share
    achieved, the least advanced); for the region, one row per country of the action."""
    words = TABLE_WORDS[lang]
    frame = read(marts, "mart_indicator_progress").filter(
        pl.col("is_slc_window") & (pl.col("target_value") > 0)
    )
    frame = frame if country is None else frame.filter(pl.col("action_country_iso3") == country)
    if country is None:
        return _progress_by_country(marts, frame, lang)
    # One row per action: an action reports dozens of indicators, listed in the mart.
    per_action = (
        frame.sort("achieved_share", nulls_last=True)
        .group_by("iati_id", maintain_order=True)
        .agg(
            pl.col("action_title").first(),
            pl.col("period_start").min(),
            pl.col("period_end").max(),
            pl.len().alias("indicators"),
            (pl.col("achieved_share") >= 1).sum().alias("met"),
            pl.col("achieved_share").median().alias("median"),
            pl.col("indicator_title").first().alias("lowest"),
            pl.col("achieved_share").first().alias("lowest_share"),
        )
        .sort("iati_id")
    )
    rows = [
        [
            f"{r['iati_id']} — {r['action_title'] or ''}",
            f"{(as_date(r['period_start']) or date.min).year}–"
            f"{(as_date(r['period_end']) or date.min).year}",
            str(r["indicators"]),
            str(r["met"]),
            fmt_number(r["median"], "share", lang),
            f"{r['lowest']} ({fmt_number(r['lowest_share'], 'share', lang)})",
        ]
        for r in per_action.iter_rows(named=True)
    ]
    caption, header, source = words["targets"]
    return Table(
        "table-targets",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(n=frame.height),
        exempt_columns={2: "not_people", 3: "not_people"},
    )


def _progress_by_country(marts: Path, frame: pl.DataFrame, lang: str) -> Table:
    """The region's progress: per action country, the indicators with a target, how many
    are met, and the median share achieved (hundreds of indicators do not fit a page)."""
    words = TABLE_WORDS[lang]
    names = country_names(marts, lang)
    summed = (
        frame.group_by("action_country_iso3")
        .agg(
            pl.col("iati_id").n_unique().alias("actions"),
            pl.len().alias("indicators"),
            (pl.col("achieved_share") >= 1).sum().alias("met"),
            pl.col("achieved_share").median().alias("median"),
        )
        .with_columns(
            pl.col("action_country_iso3")
            .replace_strict(names, default=None)
            .fill_null(WORDS[lang]["multi_country"])
            .alias("country"),
            pl.col("action_country_iso3").is_null().alias("regional"),
        )
        .sort("regional", "country")
    )
    rows = [
        [
            r["country"],
            str(r["actions"]),
            str(r["indicators"]),
            str(r["met"]),
            fmt_number(r["median"], "share", lang),
        ]
        for r in summed.iter_rows(named=True)
    ]
    caption, _, source = words["targets"]
    return Table(
        "table-targets",
        _caption(caption, None, lang),
        words["targets_by_country"],
        rows,
        source.format(n=frame.height),
        exempt_columns={1: "not_people", 2: "not_people", 3: "not_people"},
    )


def sensitisation_activities(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """Declared activities by type and channel, and the people they reached."""
    words = TABLE_WORDS[lang]
    types = read(marts, "dim_activity_type")
    labels = dict(zip(types["activity_type"], types[f"label_{lang}"], strict=True))
    frame = (
        _scope(read(marts, "fct_sensitisation_activities"), country)
        .group_by("activity_type", "channel")
        .agg(pl.len().alias("activities"), pl.col("people_reached").sum().alias("reached"))
        .sort("activities", descending=True)
    )
    rows = [
        [
            labels.get(r["activity_type"], r["activity_type"]),
            words["channels"].get(r["channel"], r["channel"] or "–"),
            fmt_number(r["activities"], "people", lang),
            _count(r["reached"], lang=lang),
        ]
        for r in frame.iter_rows(named=True)
    ]
    caption, header, source = words["activities"]
    return Table(
        "table-activities",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(n=fmt_number(as_number(frame["activities"].sum()), "people", lang)),
        count_columns=[3],
        exempt_columns={2: "not_people"},
    )


#: The tables a report's outline may show at a scope (a country, or None for the region),
#: by the id the outline names them with.
AT_SCOPE = {
    "table-sample": survey_sample,
    "table-departures": departures,
    "table-returns-host": returns_by_host,
    "table-referral-funnel": referral_funnel,
    "table-delays": delays,
    "table-cycles": cycle_comparison,
    "table-targets": indicator_progress,
    "table-indicators": indicator_reconciliation,
    "table-activities": sensitisation_activities,
}
