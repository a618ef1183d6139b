"""The feed registry (ingest/feeds.yml) is what makes a feed: each declared feed has what
its landing folder, bronze asset, gate and docs are made from."""

from __future__ import annotations

import importlib

import pytest

from ingest.feed_registry import feeds
from ingest.feeds import MAIN, bronze_table_names, bronze_tables
from ingest.settings import FEEDS, REPO_ROOT


def test_settings_know_the_feeds_the_registry_declares():
    assert tuple(feeds()) == FEEDS


@pytest.mark.parametrize("name", list(feeds()))
def test_a_declared_feed_has_its_reader_checks_contract_and_docs(name):
    spec = feeds()[name]
    assert callable(spec.parser())
    if spec.scope_of_file:
        assert callable(spec.scope_function())
    assert importlib.import_module(spec.suites).BRONZE_CHECKS
    assert (REPO_ROOT / spec.docs).is_file()
    assert spec.owner.startswith("team:")
    assert bronze_tables(name)[MAIN], "its contracts (ingest/contracts/) describe its bronze"
    # The tables the code location declares without building the contracts are theirs.
    assert bronze_table_names(name) == list(bronze_tables(name))
