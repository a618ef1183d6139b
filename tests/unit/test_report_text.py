"""The reports' prose rules, without a warehouse: figures are cited, never typed; the
commentary names its file and line when it breaks a rule; nothing overflows a PDF page."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.facts import Fact
from reports.text import (
    CommentaryError,
    cited,
    commentary_file,
    problems_in,
    read_commentary,
    rendered_commentary,
)

FACTS = {
    "returns.arrivals": Fact("returns.arrivals", 17351, "returns"),
    "small": Fact("small", 3, "people"),
    "share": Fact("share", 0.706, "share", 333),
    "none": Fact("none", None, "people"),
}


def _commentary(root: Path, month: str, text: str, name: str = "mali.fr.md") -> Path:
    (root / month).mkdir(parents=True, exist_ok=True)
    path = root / month / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_figure_is_cited_and_printed_in_the_language_and_under_the_rule():
    text = 'Retours : {{ fig("returns.arrivals") }}, formés : {{ fig("share") }}.'
    assert cited(text, FACTS, "fr") == "Retours : 17\u202f351, formés : 70,6\u202f%."
    assert cited('{{ fig("returns.arrivals") }}', FACTS, "en") == "17,351"
    assert cited('{{ fig("small") }} personnes', FACTS, "fr") == "<5 personnes"
    assert cited('{{ fig("none") }} personnes', FACTS, "fr") is None  # left out, no gap


def test_bare_numbers_and_unknown_figures_are_errors_naming_file_and_line():
    assert (
        problems_in('Au cycle 3, voir la figure 4 ; {{ fig("small") }} ; COVID-19.', FACTS, "f")
        == []
    )
    found = problems_in('Ligne sans chiffre.\n333 répondants et {{ fig("nope") }}', FACTS, "c.md")
    assert any(p.startswith("c.md:2: the bare number '333'") for p in found)
    assert any(p.startswith("c.md:2: no figure 'nope'") for p in found)
    assert problems_in("{{ fig(returns) }}", FACTS, "c.md")[0].startswith(
        "c.md:1: a malformed reference"
    )


def test_the_commentary_of_a_month_is_its_own_or_the_latest_earlier_one(tmp_path):
    root = tmp_path / "commentary"
    _commentary(root, "2021-06", "## relevance\nTexte de juin.\n")
    _commentary(root, "2021-09", "## relevance\nTexte de septembre.\n")
    assert commentary_file("mali", "fr", "2021-08", root) == root / "2021-06" / "mali.fr.md"
    assert commentary_file("mali", "fr", "2021-09", root) == root / "2021-09" / "mali.fr.md"
    assert commentary_file("mali", "fr", "2021-05", root) is None
    assert commentary_file("regional", "en", "2021-09", root) is None
    read = read_commentary("mali", "fr", "2021-12", {"relevance"}, FACTS, root)
    assert read.month == "2021-09" and read.sections == {"relevance": "Texte de septembre."}


def test_commentary_that_breaks_a_rule_is_refused_with_every_problem(tmp_path):
    root = tmp_path / "commentary"
    _commentary(
        root,
        "2021-12",
        "Avant tout titre.\n## relevance\nIl y a eu 12 retours.\n## nowhere\n"
        'Voir {{ fig("missing") }}.\n',
    )
    with pytest.raises(CommentaryError) as error:
        read_commentary("mali", "fr", "2021-12", {"relevance"}, FACTS, root)
    problems = error.value.problems
    assert (
        problems[0]
        == "commentary/2021-12/mali.fr.md:1: text before the first '## <section>' heading"
    )
    assert any(":3: the bare number '12'" in p for p in problems)
    assert any(":4: no section 'nowhere'" in p for p in problems)
    assert any(":5: no figure 'missing'" in p for p in problems)


def test_commentary_html_is_escaped_and_figures_filled_in(tmp_path):
    root = tmp_path / "commentary"
    _commentary(root, "2021-12", '## relevance\n<script>x()</script> **{{ fig("small") }}**\n')
    read = read_commentary("mali", "fr", "2021-12", {"relevance"}, FACTS, root)
    html = rendered_commentary(read, FACTS, "fr")["relevance"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>&lt;5</strong>" in html


def test_the_overflow_check_finds_a_table_and_a_chart_wider_than_the_page(tmp_path):
    from tests.pdf_layout import overflowing

    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><p>Texte.</p>"
        '<table id="wide"><tr>' + "<td>colonne_sans_coupure_possible</td>" * 12 + "</tr></table>"
        '<svg id="chart" width="2000" height="40"><rect width="2000" height="40"/></svg>'
        "</body></html>",
        encoding="utf-8",
    )
    found = overflowing(page)
    assert any("table#wide" in f for f in found) and any("svg#chart" in f for f in found)
    page.write_text("<html><body><p>Texte.</p><table><tr><td>a</td></tr></table></body></html>")
    assert overflowing(page) == []


def test_a_long_word_in_a_partner_text_cell_stays_on_the_page(tmp_path):
    """Report tables break text cells at words; a partner's file name or identifier with
    no space (here 240 characters) must still wrap inside its column, in the report's own
    style, and come out escaped."""
    import re

    from markupsafe import escape

    from reports.assemble import WORDS, text_columns
    from reports.disclosure import rule
    from reports.output import breakable, templates
    from reports.tables import Table
    from tests.pdf_layout import overflowing

    long_word = "refus_" + "iom-cases_2021-12.v2/" * 10 + "<b>" + "X" * 20
    assert "<wbr>" in breakable(long_word) and "<b>" not in breakable(long_word)
    assert str(breakable(long_word)).replace("<wbr>", "") == str(escape(long_word))
    header = ["Série", "Reçues", "Motifs de refus"]
    table = Table("t", "Taux", header, [["iom-1903", "5", long_word]] * 3, "mart_x")
    macro = templates().get_template("_tables.html.j2").module.data_table  # type: ignore[attr-defined]
    template = Path(__file__).parents[2] / "reports" / "templates" / "report.html.j2"
    styles = re.findall(r"<style>(.*?)</style>", template.read_text("utf-8"), re.S)
    css = styles[0].replace("{{ font_css | safe }}", "")
    page = tmp_path / "page.html"
    page.write_text(
        f"<html><head><style>{css}</style></head><body>"
        f"{macro(table, WORDS['fr'], rule(), text_columns)}</body></html>",
        encoding="utf-8",
    )
    assert overflowing(page) == []
    assert "&lt;b&gt;" in page.read_text("utf-8")


def test_our_own_sentences_type_no_number():
    """The generated sentences of reports/outline.yml cite figures; a typed number in them
    fails here, before any warehouse exists (that the keys exist is checked against one)."""
    from reports.document import outline, outline_problems
    from reports.text import references

    cited_keys = {
        key
        for spec in outline().values()
        for section in spec["sections"]
        for sentence in section.get("text", [])
        for text in sentence.values()
        for key in references(text)
    }
    assert len(cited_keys) > 30
    facts = {key: Fact(key, 1, "count") for key in cited_keys}
    assert outline_problems(facts) == []


def test_charts_are_printed_as_svg_images_and_nothing_else_changes():
    """`for_print` turns each chart's inline SVG into an SVG image with the same bytes; the
    rest of the page, and an SVG outside a chart, stay as they are."""
    import base64
    import re

    from reports.output import for_print

    charts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>Réponses</text></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" class="marks"><g><rect/></g></svg>',
    ]
    other = '<svg id="logo"><rect/></svg>'
    page = (
        f'<figure><div class="chart">{charts[0]}</div><p class="source">Source</p></figure>'
        f"<p>Texte</p>{other}"
        f'<figure><div class="chart">{charts[1]}</div></figure>'
    )
    printed = for_print(page)
    images = re.findall(
        r'<div class="chart"><img alt="" src="data:image/svg\+xml;base64,([^"]+)">', printed
    )
    assert [base64.b64decode(i).decode("utf-8") for i in images] == charts
    assert printed.count("<svg") == 1 and other in printed
    assert '<p class="source">Source</p></figure><p>Texte</p>' in printed
