"""Column descriptions come from where each column is defined (ingest/column_docs.py)."""

from __future__ import annotations

import yaml

from ingest import column_docs

PROPERTIES = """version: 2

models:
  - name: fct_things
    description: Things.
    # a hand-written comment stays
    columns:
      - name: thing_id
        description: Hand-written, kept.
        data_tests: [unique, not_null]
      - name: source_file
    data_tests:
      - unique_combination:
          arguments:
            columns: [thing_id]

  - name: fct_other
    description: No columns listed.

unit_tests:
  - name: a_test
    model: fct_things
"""


def test_the_docs_blocks_are_current():
    assert column_docs.stale() == [], "run `slc docs`"


def test_every_source_of_descriptions_is_used():
    described = column_docs.descriptions()
    assert described["source_row"] == column_docs.glossary()["source_row"]  # the glossary
    assert "«" in described["arrival_allowance_date"]  # a contract's header
    assert described["besoins_financier"].startswith("1 if the respondent chose")  # an option


def test_missing_columns_are_added_and_bare_ones_described_keeping_the_rest():
    text = column_docs.with_columns(PROPERTIES, "fct_things", ["delivery_key"], ["source_file"])
    text = column_docs.with_columns(text, "fct_other", ["source_row"], [])
    doc = yaml.safe_load(text)
    things, other = doc["models"]
    assert [c["name"] for c in things["columns"]] == ["thing_id", "source_file", "delivery_key"]
    assert things["columns"][0]["description"] == "Hand-written, kept."
    assert things["columns"][1]["description"] == '{{ doc("column__source_file") }}'
    assert things["data_tests"] and doc["unit_tests"][0]["model"] == "fct_things"
    assert other["columns"] == [
        {"name": "source_row", "description": '{{ doc("column__source_row") }}'}
    ]
    assert "# a hand-written comment stays" in text
