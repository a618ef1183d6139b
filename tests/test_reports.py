"""The reports show what the published marts hold, and nothing typed in by hand."""

from __future__ import annotations

from html.parser import HTMLParser

import polars as pl
import pytest

from reports.numbers import fmt_number


def test_the_reproduction_annex_is_the_published_mart(partner_warehouse):
    """The annex summarises the reproduction by chapter and lists the statements that
    differ; the full list beside the report (CSV) is the published mart, figure by figure,
    numerator and denominator, with the computed counts under the disclosure rule."""
    import csv

    from reports.reproduction import _computed

    settings = partner_warehouse[0]
    (report,) = sorted(settings.reports.glob("*/rapport_mali.fr.html"))
    mart = pl.read_parquet(settings.published_marts / "mart_report_figures.parquet")
    assert mart.height == 183
    (listing,) = sorted(report.parent.glob("rapport_mali.reproduction.fr.csv"))
    assert f'href="{listing.name}"' in report.read_text(encoding="utf-8")
    with listing.open(encoding="utf-8") as f:
        rows = {r["figure_key"]: r for r in csv.DictReader(f)}
    assert len(rows) == mart.height
    for figure in mart.iter_rows(named=True):
        row = rows[figure["figure_key"]]
        assert row["status"] == figure["reproduction_status"]
        assert (row["section"], row["as_of"]) == (figure["section"], figure["as_of"].isoformat())
        assert row["stated"] == fmt_number(figure["stated_value"], figure["unit"])
        assert row["computed"] == _computed(figure["value"], figure["unit"], "fr")
    parser = _Tables()
    parser.feed(report.read_text(encoding="utf-8"))
    (summary,) = [r for a, r in parser.tables if a["id"] == "table-reproduction-summary"]
    assert sum(int(r[3]) for r in summary) == mart.height
    assert sum(int(r[1]) for r in summary) == (mart["reproduction_status"] == "reproduced").sum()
    differs = [r for a, r in parser.tables if a["id"] == "reproduction"]
    assert sum(len(r) for r in differs) == (mart["reproduction_status"] == "differs").sum()
    # A figure that does not depend on the sample's scale or period is reproduced as stated.
    allowance = rows["iom.ml.arrival_allowance_all"]
    assert allowance["stated"] == allowance["computed"] == "52\u202f000"
    assert allowance["status"] == "reproduced"
    # Every statement of a share ("Z %", "X des Y") has its computed denominator; an amount
    # stated as a share of another amount ("70% soit 210 000 FCFA") is not a share of people.
    import re

    shares = re.compile(r"%|\b(des|parmi les|sur)\s+\d")
    stated = mart.filter(pl.col("stated_text").is_not_null() & (pl.col("unit") != "xof"))
    without = [
        r["figure_key"]
        for r in stated.iter_rows(named=True)
        if shares.search(r["stated_text"]) and r["denominator"] is None
    ]
    assert without == []
    # A part of a whole carries both: "281 des 333" reproduces on 281 and on 333.
    parts = mart.filter(pl.col("stated_denominator").is_not_null())
    assert parts.height >= 9
    assert (parts["denominator"] == parts["stated_denominator"]).all()
    assert (parts["reproduction_status"] == "reproduced").all()


def _tables_of(html: str) -> list:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


class _Tables(HTMLParser):
    """Every <table class="data">: its attributes and its body rows' cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables, self.current, self.body, self.cell = [], None, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            is_data = "data" in (attrs.get("class") or "").split()
            self.current = (attrs, []) if is_data else None
            if is_data:
                self.tables.append(self.current)
        elif tag == "tbody" and self.current is not None:
            self.body = True
        elif self.body and tag == "tr":
            self.current[1].append([])
        elif self.body and tag == "td":
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.body = False
        elif tag == "td" and self.cell is not None:
            self.current[1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


REPORTS = ("rapport_mali.fr.html", "regional_report.en.html", "rapport_regional.fr.html")


def test_every_count_of_people_in_every_report_obeys_the_disclosure_rule(partner_warehouse):
    """One rule everywhere: every table cell that counts people, in every report, is 0, at
    least the threshold, or the mask; a column printed as its public source published it
    names its declared exemption; no row total stands beside a masked cell; and the chart
    bars too few respondents make up are not drawn but masked."""
    from reports.disclosure import rule
    from reports.survey_charts import survey_figures

    settings = partner_warehouse[0]
    exemptions = {e.id for e in rule().exemptions}
    masked = 0
    for name in REPORTS:
        (report,) = sorted(settings.reports.glob(f"*/{name}"))
        parser = _Tables()
        parser.feed(report.read_text(encoding="utf-8"))
        assert {"table-returns-host", "table-delays", "table-referral-funnel"} <= {
            attrs["id"] for attrs, _ in parser.tables
        }, name
        for attrs, rows in parser.tables:
            for exempt in filter(None, attrs["data-exempt-columns"].split(",")):
                assert exempt.split(":")[1] in exemptions, (name, attrs["id"], exempt)
            if not attrs["data-count-columns"]:
                continue
            columns = [int(c) for c in attrs["data-count-columns"].split(",")]
            for row in rows:
                for column in columns:
                    cell = row[column]
                    if cell in (rule().shown_as, "–"):
                        masked += cell != "–"
                        continue
                    count = float(cell.replace("\u202f", "").replace(",", "").replace(" ", ""))
                    assert count == 0 or count >= rule().min_count, (name, attrs["id"], row)
        (returns,) = [rows for a, rows in parser.tables if a["id"] == "table-returns-host"]
        with_mask = [row for row in returns if rule().shown_as in row[1:-1]]
        assert all(row[-1] == "–" for row in with_mask), name
    # The scale-0.1 sample has small cells: the rule is exercised, not vacuous.
    assert masked > 0
    hidden = 0
    for figure in survey_figures(settings.published_marts, "MLI"):
        small = [v for v in figure.values if rule().hides(v[2])]
        hidden += len(small)
        assert figure.svg.count("&lt;5") >= len(small), figure.number
    assert hidden > 0


def test_survey_figures_are_drawn_from_the_published_answers(partner_warehouse):
    """Each declared figure is in the report with marks and its N; N and Mali's share of
    respondents trained agree with a count over the published answers themselves."""
    import duckdb

    from reports.survey_charts import declared, survey_figures

    settings = partner_warehouse[0]
    (report,) = sorted(settings.reports.glob("*/rapport_mali.fr.html"))
    html = report.read_text(encoding="utf-8")
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        trained, answered = con.execute(
            "select count(distinct response_id) filter (where answer = 'oui'), "
            "count(distinct response_id) from marts.fct_survey_responses "
            "where survey = 'returnee' and question = 'formation' and country_iso3 = 'MLI'"
        ).fetchone()
        only_option = con.execute(
            "select count(distinct response_id) from marts.fct_survey_responses "
            "where survey = 'returnee' and question = 'seule_option' and country_iso3 = 'MLI'"
        ).fetchone()[0]
    finally:
        con.close()
    figures = {f.number: f for f in survey_figures(settings.published_marts, "MLI")}
    assert sorted(figures) == sorted(spec["figure"] for spec in declared())
    for number, figure in figures.items():
        block = html.split(f'id="figure-{number}"', 1)[1].split("</figure>", 1)[0]
        assert f'data-respondents="{figure.respondents}"' in block
        assert f"N = {fmt_number(figure.respondents, 'people')} " in block
        assert figure.respondents > 0 and block.count("<path") > 3, number
    assert figures[2].respondents == only_option > 0
    assert {label: share for label, share, _ in figures[4].values}["Mali"] == pytest.approx(
        trained / answered
    )
    assert figures[4].rank == 1  # Mali is the only surveyed country of this warehouse


def test_the_monthly_schedule_reports_on_the_closed_month():
    """5 January 2022, 06:00 in Bamako: the refresh materialises the reports' December 2021
    partition; the partitions run from the first reporting month of report_rules.yml."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.jobs import monthly_refresh

    when = datetime(2022, 1, 5, 6, tzinfo=ZoneInfo("Africa/Bamako"))
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    (request,) = monthly_refresh.evaluate_tick(context).run_requests
    from orchestration.assets.reports import REPORT_MONTHS
    from reports.calendar import first_month

    assert request.tags["month"] == request.partition_key == "2021-12"
    job = defs.resolve_job_def("refresh")
    assert job.partitions_def == REPORT_MONTHS
    keys = REPORT_MONTHS.get_partition_keys(current_time=when)
    assert keys[0] == first_month() and keys[-1] == "2021-12"
    assert dg.validate_run_config(job, request.run_config)
    assert monthly_refresh.cron_schedule == "0 6 5 * *"
    assert monthly_refresh.execution_timezone == "Africa/Bamako"


def test_the_report_opens_in_a_browser_and_prints_to_pdf(partner_warehouse, tmp_path):
    """Headless Chromium opens the report offline: no console error, every figure drawn.
    The PDF beside it is a whole PDF."""
    import re

    from tests.browser import render

    settings = partner_warehouse[0]
    (report,) = sorted(settings.reports.glob("*/rapport_mali.fr.html"))
    dom, console_errors = render(report.as_uri(), tmp_path / "report.png", wait_ms=3000)
    assert not console_errors, console_errors
    from reports.survey_charts import declared

    numbers = re.findall(r'<figure id="figure-(\d+)"', dom)
    assert len(numbers) == len(declared()) + 1
    for number in numbers:
        figure = dom.split(f'id="figure-{number}"', 1)[1].split("</figure>", 1)[0]
        assert figure.count("<path") > 3, f"figure {number} is empty"
    assert "http://" not in dom.split("<body", 1)[1].replace("http://www.w3.org", "")
    pdf = report.with_suffix(".pdf").read_bytes()
    # A whole PDF (header to trailer) that holds the charts: the HTML's size, not a stub.
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 50_000


def test_the_regional_report_in_english_and_in_french(partner_warehouse, tmp_path):
    """Both languages: the comparison table is the published mart's, the appendix has the
    regional figures, every survey figure is drawn, Chromium finds no console error, and
    each has its PDF."""
    from reports.disclosure import masked_count
    from reports.survey_charts import declared
    from tests.browser import render

    settings = partner_warehouse[0]
    marts = settings.published_marts
    comparison = pl.read_parquet(marts / "mart_regional_comparison.parquet")
    regional = pl.read_parquet(marts / "mart_report_figures.parquet").filter(
        pl.col("report") == "regional"
    )
    captions = {"en": "Figure 4: Share of respondents trained", "fr": "Figure 4 : Part des"}
    yearly = pl.read_parquet(marts / "mart_irregular_crossings_yearly.parquet").filter(
        pl.col("is_slc_nationality") & pl.col("year").is_between(2011, 2021)
    )
    reconciliation = pl.read_parquet(marts / "mart_indicator_reconciliation.parquet").filter(
        pl.col("is_slc_window")
    )
    for lang, name in (("en", "regional_report.en.html"), ("fr", "rapport_regional.fr.html")):
        (report,) = sorted(settings.reports.glob(f"*/{name}"))
        html = report.read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in html and captions[lang] in html
        tables = _Tables()
        tables.feed(html)
        (rows,) = [rows for attrs, rows in tables.tables if attrs["id"] == "table-comparison"]
        assert len(rows) == comparison.height
        region = comparison.filter(pl.col("scope") == "region").row(0, named=True)
        assert rows[-1][2] == fmt_number(region["trained_share"], "share", lang)
        listing = report.parent / f"{report.stem.removesuffix('.' + lang)}.reproduction.{lang}.csv"
        listed = pl.read_csv(listing)
        assert listed["figure_key"].sort().to_list() == sorted(regional["figure_key"])
        # Every statement of the 2021 report has its English gloss beside the French words,
        # and the English report prints the gloss with the quote.
        stated = listed.filter(pl.col("statement").is_not_null())
        assert stated["statement_en"].null_count() == 0
        (differs,) = [r for a, r in _tables_of(html) if a["id"] == "reproduction"] or [[]]
        for row in differs:
            assert ("“" in row[1]) is (lang == "en"), row
        # Figure 1: the SLC nationals' detections of the published Frontex mart.
        figure_1 = html.split('id="figure-1"', 1)[1].split("</figure>", 1)[0]
        assert f"N = {fmt_number(yearly['detections'].sum(), 'people', lang)} " in figure_1
        # The indicators by country add up to the mart, computed and reported.
        (by_country,) = [r for a, r in tables.tables if a["id"] == "table-indicators-country"]
        assert sum(int(r[2]) for r in by_country) == reconciliation.height
        mali = reconciliation.filter(pl.col("action_country_iso3") == "MLI")
        names = {"en": "Mali", "fr": "Mali"}
        computed = {r[1]: r[3] for r in by_country if r[0] == names[lang]}
        expected = mali.group_by("indicator_code").agg(pl.col("computed_value").sum())
        for code, value in expected.iter_rows():
            assert computed[code] == (masked_count(value, lang) if value else "–")
        # The answers are labelled in the report's language.
        figure_2 = html.split('id="figure-2"', 1)[1].split("</figure>", 1)[0]
        assert {"en": ">Yes<", "fr": ">Oui<"}[lang] in figure_2
        dom, console_errors = render(report.as_uri(), tmp_path / f"{lang}.png", wait_ms=3000)
        assert not console_errors, console_errors
        for number in [1] + [spec["figure"] for spec in declared()]:
            figure = dom.split(f'id="figure-{number}"', 1)[1].split("</figure>", 1)[0]
            assert figure.count("<path") > 3, (lang, number)
        pdf = report.with_suffix(".pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and len(pdf) > 50_000
    assert fmt_number(0.125, "share", "en") == "12.5%"
    assert fmt_number(0.125, "share", "fr") == "12,5\u202f%"
    assert fmt_number(12345, "people", "en") == "12,345"


def test_a_report_written_by_a_child_process_says_which_report_failed(tmp_path):
    """The English regional report is written by a child process (here the PDF-only child,
    `python -m reports.output`): it writes a whole PDF beside the HTML, and a child that
    fails names the report and its error."""
    from reports.output import ReportInChild

    html = tmp_path / "report.html"
    html.write_text("<html><body><h1>Rapport</h1><p>1 234 retours</p></body></html>")
    written = ReportInChild("reports.output", [str(html)], html).wait()
    pdf = tmp_path / "report.pdf"
    assert written == (html, pdf)
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    assert not list(tmp_path.glob(".*.tmp"))
    missing = tmp_path / "missing.html"
    with pytest.raises(RuntimeError, match=r"missing\.html: the report was not written .*Error"):
        ReportInChild("reports.output", [str(missing)], missing).wait()
    assert not missing.with_suffix(".pdf").exists()
    # A child stopped mid-way (the other language failed) leaves no unfinished file.
    stopped = ReportInChild("reports.output", [str(html)], html)
    (tmp_path / ".report.pdf.tmp").write_bytes(b"%PDF-1.7 half")  # as if it had begun
    (tmp_path / ".report.html.tmp").write_text("<html>half")
    stopped.stop()
    assert stopped.process.returncode is not None
    assert not list(tmp_path.glob(".*.tmp")) and pdf.read_bytes().rstrip().endswith(b"%%EOF")


def test_the_report_runs_link_their_outputs(partner_warehouse):
    """The run page in the Dagster UI links each report's HTML and PDF (file:// URLs) for
    the month it reports on, and the links point at the files written."""
    from urllib.parse import unquote, urlparse

    import dagster as dg

    from reports.calendar import last_month_with_data

    settings, *_, dagster_home = partner_warehouse
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    links = {}
    for key in (["reports", "mali_report"], ["reports", "regional_report"]):
        event = instance.get_latest_materialization_event(dg.AssetKey(key))
        assert event is not None, key
        metadata = event.asset_materialization.metadata
        month = metadata["month"].value
        for name, value in metadata.items():
            if name.startswith(("html", "pdf")):
                assert isinstance(value, dg.UrlMetadataValue), name
                path = settings.home / unquote(urlparse(value.url).path)
                assert path.is_file() and path.parent.name == month, (name, path)
                links[f"{key[1]}:{name}"] = path.suffix
        # A rebuild without a partition reports on the last month the data reaches.
        assert month == last_month_with_data(settings.published_marts), key
    assert links == {
        "mali_report:html": ".html",
        "mali_report:pdf": ".pdf",
        "regional_report:html_en": ".html",
        "regional_report:pdf_en": ".pdf",
        "regional_report:html_fr": ".html",
        "regional_report:pdf_fr": ".pdf",
    }


def test_both_reports_read_as_documents(partner_warehouse):
    """Each report follows its outline: every section is there and says something (text,
    a figure or table, commentary, or the line saying what our data does not reach); our
    sentences and the shipped commentary cite only figures that exist and type no number;
    and no chart, table or paragraph overflows a PDF page."""
    import re

    from reports.document import commentary_of, outline, outline_problems
    from reports.facts import report_facts
    from reports.figures import FIGURE_1_YEARS
    from reports.text import commentary_file
    from tests.pdf_layout import overflowing

    settings = partner_warehouse[0]
    marts = settings.published_marts
    for name, report in (
        ("rapport_mali.fr.html", "mali"),
        ("regional_report.en.html", "regional"),
        ("rapport_regional.fr.html", "regional"),
    ):
        (path,) = sorted(settings.reports.glob(f"*/{name}"))
        html = path.read_text(encoding="utf-8")
        numbers = [s["number"] for s in outline()[report]["sections"]]
        for spec in outline()[report]["sections"]:
            chunk = html.split(f'<section id="section-{spec["id"]}"', 1)[1].split("</section>")[0]
            # A heading whose subsections follow (a chapter, 3.2) holds them, not text.
            is_chapter = any(n.startswith(spec["number"] + ".") for n in numbers)
            says = re.search(
                r'class="(generated|beyond|commentary|editorial-empty|notes)"|<figure|<table', chunk
            )
            assert is_chapter or says, (name, spec["id"])
        assert overflowing(path) == [], name
    for report, spec in outline().items():
        for lang in spec["languages"]:
            facts = report_facts(marts, spec["scope"], lang, FIGURE_1_YEARS)
            assert outline_problems(facts) == []
            assert commentary_file(report, lang, "2021-12") is not None, (report, lang)
            commentary = commentary_of(report, lang, "2021-12", facts)
            assert commentary.sections, (report, lang)


def test_a_month_is_reported_as_its_partition(partner_warehouse):
    """Materialising a report asset's partition (as the schedule or a backfill does) writes
    that month's report from the published warehouse, and the instance records the month
    as reported."""
    import shutil

    import dagster as dg

    from orchestration.assets.reports import mali_report

    settings, *_, dagster_home = partner_warehouse
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    folder = settings.reports / "2019-06"
    assert not folder.exists()
    try:
        result = dg.materialize([mali_report], partition_key="2019-06", instance=instance)
        assert result.success
        assert (folder / "rapport_mali.fr.html").is_file()
        assert (folder / "rapport_mali.fr.pdf").is_file()
        reported = instance.get_materialized_partitions(dg.AssetKey(["reports", "mali_report"]))
        assert "2019-06" in reported
    finally:
        shutil.rmtree(folder, ignore_errors=True)
