"""A mart is read once per render (reports/marts.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from reports import marts


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...] | None]]:
    """Every Parquet file the report code opens, with its columns."""
    opened: list[tuple[str, tuple[str, ...] | None]] = []
    read_parquet = pl.read_parquet

    def counted(path: Path, columns: list[str] | None = None) -> pl.DataFrame:
        opened.append((Path(path).name, tuple(columns) if columns else None))
        return read_parquet(path, columns=columns)

    monkeypatch.setattr(marts.pl, "read_parquet", counted)
    return opened


def test_within_a_render_a_mart_is_read_once(tmp_path: Path, reads: list) -> None:
    pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}).write_parquet(tmp_path / "fct_x.parquet")
    with marts.frames_kept():
        whole = marts.read(tmp_path, "fct_x")
        assert marts.read(tmp_path, "fct_x").equals(whole)
        assert marts.read(tmp_path, "fct_x", ["a"]).columns == ["a"]
        marts.read(tmp_path, "fct_x", ["a"])
    assert reads == [("fct_x.parquet", None), ("fct_x.parquet", ("a",))]


def test_a_replaced_mart_is_read_again(tmp_path: Path, reads: list) -> None:
    path = tmp_path / "fct_x.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(path)
    with marts.frames_kept():
        marts.read(tmp_path, "fct_x")
        replacement = tmp_path / "new.parquet"
        pl.DataFrame({"a": [1, 2, 3]}).write_parquet(replacement)
        replacement.replace(path)
        assert marts.read(tmp_path, "fct_x").height == 3
    assert len(reads) == 2


def test_outside_a_render_every_read_opens_the_file(tmp_path: Path, reads: list) -> None:
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "fct_x.parquet")
    marts.read(tmp_path, "fct_x")
    marts.read(tmp_path, "fct_x")
    with marts.frames_kept():
        marts.read(tmp_path, "fct_x")
    marts.read(tmp_path, "fct_x")
    assert len(reads) == 4
