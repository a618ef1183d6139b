"""The reports show what the published marts hold, and nothing typed in by hand."""

from __future__ import annotations

from html.parser import HTMLParser

import polars as pl
import pytest

from reports.numbers import fmt_number


class _Rows(HTMLParser):
    """The rows of the table with id `table_id`: (attributes of the <tr>, cell texts)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr" and "data-figure-key" in attrs:
            self.rows.append((attrs, []))
        elif self.inside and tag == "td" and self.rows:
            self.cell = []
        elif self.inside and tag == "small" and self.cell is not None:
            self.cell.append("\n")  # the note under a statement

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1][1].append("".join(self.cell).split("\n")[0].strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_the_reproduction_appendix_is_the_published_mart(partner_warehouse):
    settings = partner_warehouse[0]
    (report,) = sorted(settings.reports.glob("*/rapport_mali.fr.html"))
    parser = _Rows("reproduction")
    parser.feed(report.read_text(encoding="utf-8"))
    mart = pl.read_parquet(settings.published_marts / "mart_report_figures.parquet")
    assert len(parser.rows) == mart.height == 183
    figures = {r["figure_key"]: r for r in mart.iter_rows(named=True)}
    for attrs, (section, statement, stated, computed, as_of, _status) in parser.rows:
        figure = figures[attrs["data-figure-key"]]
        assert attrs["data-status"] == figure["reproduction_status"]
        assert (section, as_of) == (figure["section"], figure["as_of"].isoformat())
        assert statement == figure["stated_text"]
        assert stated == fmt_number(figure["stated_value"], figure["unit"])
        assert computed == fmt_number(figure["value"], figure["unit"])
    # A figure that does not depend on the sample's scale or period is reproduced as stated.
    allowance = {a["data-figure-key"]: cells for a, cells in parser.rows}[
        "iom.ml.arrival_allowance_all"
    ]
    assert allowance[2] == allowance[3] == "52\u202f000" and allowance[5] == "reproduit"


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


def test_no_report_cell_finer_than_country_and_year_shows_fewer_than_five(partner_warehouse):
    from reports.tables import disclosure

    settings = partner_warehouse[0]
    fine = {"table-returns-host", "table-delays", "table-referral-funnel"}
    rows_with_mask = 0
    for name in REPORTS:
        (report,) = sorted(settings.reports.glob(f"*/{name}"))
        parser = _Tables()
        parser.feed(report.read_text(encoding="utf-8"))
        assert fine <= {attrs["id"] for attrs, _ in parser.tables}, name
        masked = 0
        for attrs, rows in parser.tables:
            if attrs["data-disclosure"] != "fine":
                continue
            columns = [int(c) for c in attrs["data-count-columns"].split(",")]
            assert rows and columns, attrs["id"]
            for row in rows:
                for column in columns:
                    cell = row[column]
                    if cell in (disclosure()["shown_as"], "–"):
                        masked += cell != "–"
                        continue
                    count = int(cell.replace("\u202f", "").replace(",", ""))
                    assert count == 0 or count >= disclosure()["min_count"], (
                        name,
                        attrs["id"],
                        row,
                    )
        # The scale-0.1 sample has small cells: the rule is exercised, not vacuous.
        assert masked > 0, name
        # No row total beside a masked cell: it would give the cell away by difference.
        (returns,) = [rows for a, rows in parser.tables if a["id"] == "table-returns-host"]
        with_mask = [row for row in returns if disclosure()["shown_as"] in row[1:-1]]
        assert all(row[-1] == "–" for row in with_mask), name
        rows_with_mask += len(with_mask)
    assert rows_with_mask > 0
    (report,) = sorted(settings.reports.glob("*/rapport_mali.fr.html"))
    parser = _Tables()
    parser.feed(report.read_text(encoding="utf-8"))
    funnel = pl.read_parquet(settings.published_marts / "mart_referral_funnel.parquet")
    small = funnel.filter(
        (pl.col("country_iso3") == "MLI")
        & pl.col("people").is_between(1, disclosure()["min_count"] - 1)
    ).height
    shown = [r for a, rows in parser.tables if a["id"] == "table-referral-funnel" for r in rows]
    assert sum(c == disclosure()["shown_as"] for r in shown for c in r[1:]) == small


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
    assert dict(figures[4].values)["Mali"] == pytest.approx(trained / answered)
    assert figures[4].rank == 1  # Mali is the only surveyed country of this warehouse


def test_the_monthly_schedule_reports_on_the_closed_month():
    """5 January 2022, 06:00 in Bamako: the refresh reports on December 2021, and its run
    config is valid for the refresh job."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.jobs import monthly_refresh

    when = datetime(2022, 1, 5, 6, tzinfo=ZoneInfo("Africa/Bamako"))
    context = dg.build_schedule_context(scheduled_execution_time=when)
    (request,) = monthly_refresh.evaluate_tick(context).run_requests
    assert request.tags["month"] == "2021-12"
    assert request.run_config == {
        "ops": {
            "reports__mali_report": {"config": {"month": "2021-12"}},
            "reports__regional_report": {"config": {"month": "2021-12"}},
        }
    }
    job = defs.resolve_job_def("refresh")
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
    numbers = re.findall(r'<figure id="figure-(\d+)"', dom)
    assert len(numbers) == 15
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
        appendix = _Rows("reproduction")
        appendix.feed(html)
        assert sorted(a["data-figure-key"] for a, _ in appendix.rows) == sorted(
            regional["figure_key"]
        )
        # Figure 1: the SLC nationals' detections of the published Frontex mart.
        figure_1 = html.split('id="figure-1"', 1)[1].split("</figure>", 1)[0]
        assert f'data-detections="{yearly["detections"].sum()}"' in figure_1
        assert f"N = {fmt_number(yearly['detections'].sum(), 'people', lang)} " in figure_1
        # The indicators by country add up to the mart, computed and reported.
        (by_country,) = [r for a, r in tables.tables if a["id"] == "table-indicators-country"]
        assert sum(int(r[2]) for r in by_country) == reconciliation.height
        mali = reconciliation.filter(pl.col("action_country_iso3") == "MLI")
        names = {"en": "Mali", "fr": "Mali"}
        computed = {r[1]: r[3] for r in by_country if r[0] == names[lang]}
        expected = mali.group_by("indicator_code").agg(pl.col("computed_value").sum())
        for code, value in expected.iter_rows():
            assert computed[code] == (fmt_number(value, "people", lang) if value else "–")
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


def test_a_pdf_written_by_a_child_process_says_which_report_failed(tmp_path):
    """The English regional PDF is printed by a child process: it writes a whole PDF beside
    the HTML, and a child that fails names the report and WeasyPrint's error."""
    from reports.output import PdfInChild

    html = tmp_path / "report.html"
    html.write_text("<html><body><h1>Rapport</h1><p>1 234 retours</p></body></html>")
    pdf = PdfInChild(html).wait()
    assert pdf == tmp_path / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    assert not list(tmp_path.glob(".*.tmp"))
    missing = tmp_path / "missing.html"
    with pytest.raises(RuntimeError, match=r"missing\.html: the PDF was not written .*Error"):
        PdfInChild(missing).wait()
    assert not missing.with_suffix(".pdf").exists()
    # A child stopped mid-way (the other language failed) leaves no unfinished file.
    stopped = PdfInChild(html)
    (tmp_path / ".report.pdf.tmp").write_bytes(b"%PDF-1.7 half")  # as if it had begun
    stopped.stop()
    assert stopped.process.returncode is not None
    assert not list(tmp_path.glob(".*.tmp")) and pdf.read_bytes().rstrip().endswith(b"%%EOF")


def test_the_report_runs_link_their_outputs(partner_warehouse):
    """The run page in the Dagster UI links each report's HTML and PDF (file:// URLs) for
    the month it reports on, and the links point at the files written."""
    from urllib.parse import unquote, urlparse

    import dagster as dg

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
    assert links == {
        "mali_report:html": ".html",
        "mali_report:pdf": ".pdf",
        "regional_report:html_en": ".html",
        "regional_report:pdf_en": ".pdf",
        "regional_report:html_fr": ".html",
        "regional_report:pdf_fr": ".pdf",
    }
