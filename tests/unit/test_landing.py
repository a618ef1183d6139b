"""Landing as an attacker would use it: names that cannot be deliveries, files claimed by
one run and never read through a link, raw folders owner-only, and data rendered as text
wherever a person sees it (ingest/landing.py, the UI's previews, the report tables).
"""

from __future__ import annotations

import os
import shutil
import stat
import threading
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from ingest import landing
from ingest.contracts import load_contract
from ingest.deliveries import load_files
from ingest.frontex import parse as parse_frontex
from ingest.pseudonymise import create_key_file
from ingest.registry import read_registry
from orchestration.metadata import markdown_preview
from tests.conftest import FRONTEX_CSV, temporary_home

PAYLOADS = ("<script>alert('slc')</script>", '<img src=x onerror="alert(1)">', '=HYPERLINK("x")')


@pytest.mark.parametrize(
    "name,problem",
    [
        ("OIM_ML_cases_2020-01.csv", None),
        (".hidden.csv", "dot"),
        ("..", "not a file name"),
        ("a\nb.csv", "control"),
        ("é" * 101 + ".csv", "bytes long"),
    ],
)
def test_name_rules(name: str, problem: str | None):
    found = landing.name_problem(name)
    assert (found is None) if problem is None else (problem in found)
    stored = landing.stored_name(name) if name != ".." else "x"
    assert len(stored.encode()) <= 200 and "/" not in stored and "\n" not in stored


def test_a_file_is_claimed_by_one_run_and_never_through_a_link(tmp_path: Path):
    target = tmp_path / "f.csv"
    target.write_text("a\n")
    first = landing.Claim(target)
    try:
        with pytest.raises(landing.Busy):
            landing.Claim(target)
    finally:
        first.close()
    (tmp_path / "link.csv").symlink_to(target)
    with pytest.raises(landing.NotADelivery, match="symbolic link"):
        landing.Claim(tmp_path / "link.csv")
    os.mkfifo(tmp_path / "fifo.csv")  # O_NONBLOCK: opening it does not wait for a writer
    with pytest.raises(landing.NotADelivery, match="FIFO"):
        landing.Claim(tmp_path / "fifo.csv")


def test_two_loads_of_one_file_at_once_record_it_once(tmp_path: Path):
    contract = load_contract("frontex")
    with temporary_home(tmp_path / "warehouse") as settings:
        path = settings.landing("frontex") / FRONTEX_CSV.name
        shutil.copyfile(FRONTEX_CSV, path)
        outcomes: list[str] = []
        start = threading.Barrier(2)

        def load() -> None:
            start.wait()
            outcomes.extend(r.status for r in load_files(settings, contract, [path], parse_frontex))

        threads = [threading.Thread(target=load) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Counter(r.status for r in read_registry(settings)) == {"loaded": 1}
        assert sorted(outcomes) == ["loaded", "skipped"]


def test_raw_folders_and_the_key_folder_are_owner_only(tmp_path: Path):
    with temporary_home(tmp_path / "warehouse") as settings:
        for folder in (
            settings.landing("iom"),
            settings.quarantine("iom"),
            settings.home / "archive",
        ):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    key = create_key_file(tmp_path / "config" / "slc" / "pseudonym.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700


def test_previews_in_the_ui_are_inert():
    preview = markdown_preview(pl.DataFrame({"value": list(PAYLOADS)}))
    assert "<script" not in preview and "<img" not in preview
    assert "&lt;script&gt;" in preview


def test_report_tables_show_data_as_text():
    """Report cells come from marts that hold partner text (action titles, centres): the
    report templates escape them."""
    from reports.assemble import WORDS, text_columns
    from reports.disclosure import rule
    from reports.output import templates
    from reports.tables import Table

    macro = templates().get_template("_tables.html.j2").module.data_table  # type: ignore[attr-defined]
    table = Table(
        "t", PAYLOADS[1], [PAYLOADS[0]], [[p] for p in PAYLOADS], f"mart_x, {PAYLOADS[0]}"
    )
    html = str(macro(table, WORDS["en"], rule(), text_columns))
    assert "<script" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") == 3
