"""The dbt docs describe the built warehouse's columns (ingest/column_docs.py)."""

from __future__ import annotations

from ingest import column_docs

#: The share of the models' real columns the docs must describe.
COVERAGE = 0.9


def test_every_column_with_a_known_meaning_is_documented(partner_warehouse):
    settings = partner_warehouse[0]
    real = column_docs.real_columns(settings.build_db)
    assert column_docs.undeclared(real) == {}, "run `slc refresh`, then `slc docs`"
    described, total = column_docs.coverage(real)
    assert described >= COVERAGE * total, f"{described} of {total} columns described"
