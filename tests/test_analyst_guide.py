"""Every query of docs/analyst-guide.md runs against a published warehouse and answers.

The warehouse is the partner sample's (`partner_warehouse`: IOM, EJOM, AECID and KoBo deliveries,
the Frontex release and the EUTF results export, published through the rebuild job).
"""

from __future__ import annotations

import re

import duckdb
import pytest

from ingest.settings import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "analyst-guide.md"


def guide_queries() -> list[tuple[str, str]]:
    """(question, SQL) of each example: the ### heading and the ```sql block under it."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.findall(r"^### (.+?)\n+```sql\n(.*?)```", text, flags=re.S | re.M)
    return [(title.strip(), sql.strip()) for title, sql in found]


def test_the_guide_has_at_least_ten_questions():
    queries = guide_queries()
    assert len(queries) >= 10
    # Every sql block of the guide is a numbered question (none escapes the test).
    assert len(queries) == GUIDE.read_text(encoding="utf-8").count("```sql")


@pytest.mark.parametrize(("question", "sql"), guide_queries(), ids=lambda v: v[:40])
def test_guide_query_answers(partner_warehouse, question: str, sql: str):
    settings = partner_warehouse[0]
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows, f"{question}: no rows"
